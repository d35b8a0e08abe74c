"""Issue 19 §1: the start-up check knows every model the bot calls (analysis, moderation,
speech; the video model is Replicate's, tests/pipeline/checks/test_preflight.py). A shut-down or
unknown speech model stops narration only, refused before anything is spent."""

from __future__ import annotations

from datetime import date

import pytest

from bot.pipeline.checks.preflight import MODERATION, Severity
from bot.pipeline.errors import GenerationError
from bot.pipeline.run import held
from bot.pipeline.run.validation import validate_request
from bot.services import check_configuration
from storage.models import GenerationStatus
from tests.pipeline.run.test_held import generation

BEFORE = date(2026, 12, 7)
AFTER = date(2027, 1, 7)  # the day after /v1/audio/speech's models shut down


def ask(settings, **options):  # type: ignore[no-untyped-def]
    return validate_request(
        "a seal", clips=None, aspect_ratio=None, seed=None, settings=settings, **options
    )


async def test_a_retiring_speech_model_is_a_warning_naming_its_date(
    make_settings, openai_fake, replicate_fake
) -> None:
    openai_fake.today = BEFORE
    settings = make_settings(tts_model="gpt-4o-mini-tts")

    result = await check_configuration(settings, today=BEFORE)

    (warning,) = result.problems
    assert (warning.severity, warning.setting) == (Severity.WARNING, "TTS_MODEL")
    assert "TTS_MODEL=gpt-4o-mini-tts is deprecated" in warning.text
    assert "2027-01-06" in warning.text and "narration is refused" in warning.text
    assert "gpt-realtime-2.1-mini" in warning.text  # what to set instead
    assert ask(settings, narration=True)["narration"] is True  # it still speaks until then


async def test_a_shut_down_speech_model_refuses_narration_only(
    make_settings, openai_fake, replicate_fake
) -> None:
    openai_fake.today = AFTER
    settings = make_settings(tts_model="gpt-4o-mini-tts", narration_default=True)

    result = await check_configuration(settings, today=AFTER)

    (error,) = result.errors
    assert error.setting == "TTS_MODEL" and error.narration_only
    assert "404 model_not_found" in error.text
    assert result.generation_errors == [] and settings.generation_config_errors() == []
    with pytest.raises(GenerationError, match="Narration is not available: OpenAI does not serve"):
        ask(settings, narration=True)
    with pytest.raises(GenerationError, match=r"Narration \(on by default here\)"):
        ask(settings)
    assert ask(settings, narration=False)["narration"] is False  # a film without a voice: fine
    assert openai_fake.calls == {"chat": 0, "moderations": 0}


async def test_an_unknown_speech_model_is_an_error_too(make_settings, openai_fake) -> None:
    settings = make_settings(tts_model="gpt-realtime-9-nano")
    result = await check_configuration(settings, today=BEFORE)
    assert [(p.setting, p.severity) for p in result.errors] == [("TTS_MODEL", Severity.ERROR)]
    assert settings.narration_config_errors()


async def test_no_key_still_reads_the_sdks_dates(make_settings) -> None:
    settings = make_settings(openai_api_key=None, tts_model="tts-1")
    result = await check_configuration(settings, today=AFTER)
    (error,) = [p for p in result.problems if p.setting == "TTS_MODEL"]
    assert error.severity is Severity.ERROR and "shut down on 2027-01-06" in error.text


async def test_a_moderation_model_that_is_gone_stops_the_films(
    settings, openai_fake, replicate_fake
) -> None:
    openai_fake.models.discard("omni-moderation-latest")

    result = await check_configuration(settings, today=BEFORE)

    (error,) = result.errors
    assert error.setting == MODERATION and not error.narration_only
    assert "the moderation model omni-moderation-latest" in error.text
    assert settings.generation_config_errors() == [error.text.rstrip(".")]


async def test_a_speech_model_error_stops_no_resumed_generation(make_settings, openai_fake) -> None:
    openai_fake.today = AFTER
    result = await check_configuration(make_settings(tts_model="tts-1-hd"), today=AFTER)
    for status in (GenerationStatus.QUEUED, GenerationStatus.RENDERING):
        queued = generation(status, None)
        assert result.errors and held.stopping(result.errors, queued, video=True) == []
