"""Narration in the request and the shot list: the word budget, the schema, the options."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import Settings
from bot.pipeline.analysis.shotlist import Scene, ShotList, clamp, fit_line, narration_budget
from bot.pipeline.analysis.writer import NARRATED_RESPONSE_FORMAT, RESPONSE_FORMAT
from bot.pipeline.errors import GenerationError
from bot.pipeline.run.validation import validate_request
from bot.pipeline.sound.speech import DEFAULT_TTS_MODEL, tts_shutdown_dates, voices_for


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_budget_is_the_natural_speaking_rate() -> None:
    assert [narration_budget(s) for s in (2, 4, 5, 10)] == [5, 10, 12, 25]  # 2.5 words/s


def test_a_long_line_is_cut_at_a_word_to_its_scene() -> None:
    line = "The keeper climbs\nthe stairs " + "again " * 30
    fitted = fit_line(line, 2)
    assert fitted == "The keeper climbs the stairs"  # 5 words, whole, one line


def test_clamp_keeps_and_fits_each_scenes_line() -> None:
    answer = ShotList(
        title="T",
        style="S",
        scenes=[
            Scene(prompt="a", duration=4, narration="Il était une fois un gardien de phare."),
            Scene(prompt="b", duration=2, narration="un deux trois quatre cinq six sept"),
            Scene(prompt="c", duration=4),
        ],
    )
    scenes = clamp(answer, wanted=None, max_clips=4).scenes
    assert [s.narration for s in scenes] == [
        "Il était une fois un gardien de phare.",
        "un deux trois quatre cinq",
        "",
    ]


def test_only_a_narrated_request_asks_the_model_for_lines() -> None:
    assert "narration" not in str(RESPONSE_FORMAT)
    scene = NARRATED_RESPONSE_FORMAT["json_schema"]["schema"]["$defs"]["_NarratedShot"]
    assert "narration" in scene["required"]  # strict: the model must write one per scene


def test_narration_defaults_to_the_operators_setting() -> None:
    off = validate_request("a seal", clips=None, aspect_ratio=None, seed=None, settings=settings())
    on = validate_request(
        "a seal", clips=None, aspect_ratio=None, seed=None,
        settings=settings(narration_default=True, tts_voice="onyx"),
    )  # fmt: skip
    assert (off["narration"], off["voice"]) == (False, None)
    # onyx is no Realtime voice: the default gives way to the nearest one (speakers.CLOSEST)
    assert (on["narration"], on["voice"]) == (True, "cedar")


def test_a_voice_asks_for_narration_and_is_checked() -> None:
    request = validate_request(
        "a seal", clips=None, aspect_ratio=None, seed=None, settings=settings(), voice="Marin"
    )
    assert (request["narration"], request["voice"]) == (True, "marin")
    with pytest.raises(GenerationError, match="voice must be one of alloy"):
        validate_request(
            "a seal", clips=None, aspect_ratio=None, seed=None, settings=settings(), voice="hal"
        )
    with pytest.raises(GenerationError, match="voice must be one of"):  # tts-1 has fewer voices
        validate_request(
            "a seal", clips=None, aspect_ratio=None, seed=None,
            settings=settings(tts_model="tts-1"), narration=True, voice="marin",
        )  # fmt: skip


def test_narration_false_wins_over_the_default() -> None:
    request = validate_request(
        "a seal", clips=None, aspect_ratio=None, seed=None,
        settings=settings(narration_default=True), narration=False,
    )  # fmt: skip
    assert request["narration"] is False


def test_an_unknown_default_voice_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="unknown voice"):
        settings(tts_voice="hal")


def test_the_sdk_names_the_speech_models_shutdown_date() -> None:
    dates = tts_shutdown_dates()
    assert dates["gpt-4o-mini-tts"] == date(2027, 1, 6)
    assert set(voices_for("tts-1")) < set(voices_for("gpt-4o-mini-tts"))
    assert DEFAULT_TTS_MODEL not in dates
