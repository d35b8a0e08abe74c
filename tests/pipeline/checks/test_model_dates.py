"""Issue 19 §1: every model the bot calls by default is current. The installed SDK's own
"Deprecated values" notes (every file under openai/types, wherever the note sits: under a type
alias as in openai/types/audio/speech_model.py, or in a field's docstring as in
openai/types/realtime/realtime_session_create_request.py) are read, and no default may have an
announced shutdown within 90 days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, get_args, get_type_hints

import openai
from openai.types.moderation_model import ModerationModel
from openai.types.realtime.realtime_session_create_request_param import (
    RealtimeSessionCreateRequestParam,
)
from openai.types.shared.chat_model import ChatModel

from bot.config import DEFAULT_OPENAI_MODEL, Settings
from bot.pipeline.analysis.writer import MODERATION_MODEL
from bot.pipeline.checks.deprecations import all_shutdown_dates, source_dates
from bot.pipeline.sound.speakers import DEFAULT_TTS_MODEL, VOICES, on_endpoint

MARGIN = timedelta(days=90)


def every_note_in_the_sdk() -> dict[str, date]:
    """Model id -> shutdown date, from every note in every type file of the installed SDK."""
    types = Path(openai.__file__).parent / "types"
    dates: dict[str, date] = {}
    for path in sorted(types.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "Announced shutdown date" in source:
            dates.update(source_dates(source))
    return dates


def literal_values(annotation: Any) -> set[str]:
    """The strings of a Literal, however deep in Unions it sits."""
    args = get_args(annotation)
    if not args:
        return set()
    found = {a for a in args if isinstance(a, str)}
    for arg in args:
        found |= literal_values(arg)
    return found


def test_the_sdk_notes_are_read() -> None:
    dates = every_note_in_the_sdk()
    assert dates["gpt-4o-mini-tts"] == date(2027, 1, 6)  # speech_model.py
    assert dates["gpt-realtime-mini"] == date(2027, 1, 20)  # a field's docstring
    assert dates["gpt-4.1-mini"] == date(2027, 1, 14)  # chat_model.py
    # what the start-up check reads (three files) agrees with the whole SDK
    for model, when in all_shutdown_dates().items():
        assert dates[model] == when, model


def test_no_default_model_shuts_down_within_90_days() -> None:
    dates = every_note_in_the_sdk()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    defaults = {settings.openai_model, settings.tts_model, MODERATION_MODEL}
    assert defaults == {DEFAULT_OPENAI_MODEL, DEFAULT_TTS_MODEL, MODERATION_MODEL}
    horizon = datetime.now(UTC).date() + MARGIN
    for model in defaults:
        assert model not in dates or dates[model] > horizon, (model, dates.get(model))


def test_each_default_is_a_model_the_sdk_knows_for_its_use() -> None:
    assert DEFAULT_OPENAI_MODEL in get_args(ChatModel)
    assert MODERATION_MODEL in get_args(ModerationModel)
    realtime = literal_values(get_type_hints(RealtimeSessionCreateRequestParam)["model"])
    assert DEFAULT_TTS_MODEL in realtime and not on_endpoint(DEFAULT_TTS_MODEL)


def test_the_voices_offered_are_the_realtime_apis() -> None:
    from openai.types.realtime.realtime_audio_config_output_param import Voice

    assert set(VOICES) == literal_values(Voice)
    assert not {"fable", "onyx", "nova"} & set(VOICES)
