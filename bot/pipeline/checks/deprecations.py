"""Announced shutdown dates of OpenAI models, as the installed `openai` SDK lists them.

The SDK generates `openai/types/shared/chat_model.py` from OpenAI's API description; under the
`ChatModel` literal it keeps a "Deprecated values" note, one bullet per group of model ids:

    - "gpt-4.1", "gpt-4.1-mini", ...: Announced shutdown date: 2027-01-14. See
      https://developers.openai.com/api/docs/deprecations for details ...

The speech models carry the same note under `SpeechModel` (openai/types/audio/speech_model.py)
and the Realtime models under the `model` field of a session
(openai/types/realtime/realtime_session_create_request.py: the note sits in the field's
docstring, indented). Reading those notes (rather than a table of our own) keeps the dates as
current as the installed SDK; OpenAI's deprecations page is the same list. The server's own
`shutdown_date` on the model object (`GET /v1/models/{model}`) wins over this when the start-up
check reaches OpenAI.
"""

from __future__ import annotations

import ast
import functools
import re
from datetime import date
from pathlib import Path
from types import ModuleType

DEPRECATIONS_URL = "https://developers.openai.com/api/docs/deprecations"

_DATE = re.compile(r"Announced shutdown date:\s*(\d{4}-\d{2}-\d{2})")
_QUOTED = re.compile(r'"([^"]+)"')


def parse_deprecation_note(note: str) -> dict[str, date]:
    """Model id -> shutdown date, from the SDK's "Deprecated values" note (bullets `- "id", ...:
    Announced shutdown date: YYYY-MM-DD`). Bullets without a date are left out."""
    dates: dict[str, date] = {}
    for bullet in re.split(r"^\s*- ", note, flags=re.MULTILINE)[1:]:
        text = " ".join(bullet.split())
        found = _DATE.search(text)
        if found is None:
            continue
        when = date.fromisoformat(found.group(1))
        for model in _QUOTED.findall(text[: found.start()]):
            dates[model] = when
    return dates


def note_dates(module: ModuleType) -> dict[str, date]:
    """Model id -> shutdown date, from every "Deprecated values" note of a module the SDK
    generates: the one under a type alias, or one inside a field's docstring (empty when its
    source carries none). Reads one small file."""
    assert module.__file__ is not None
    return source_dates(Path(module.__file__).read_text(encoding="utf-8"))


def source_dates(source: str) -> dict[str, date]:
    """Model id -> shutdown date, from the "Deprecated values" notes in the string constants of
    one Python source file."""
    dates: dict[str, date] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            _, marker, note = node.value.partition("Deprecated values")
            if marker:
                dates.update(parse_deprecation_note(note))
    return dates


@functools.cache
def sdk_shutdown_dates() -> dict[str, date]:
    """Chat model id -> announced shutdown date, from the installed SDK (the server's
    `shutdown_date` still applies). Reads one small file once; call it off the event loop the
    first time."""
    from openai.types.shared import chat_model

    return note_dates(chat_model)


@functools.cache
def speech_shutdown_dates() -> dict[str, date]:
    """Speech model id -> announced shutdown date: the models of `/v1/audio/speech`
    (openai/types/audio/speech_model.py) and of the Realtime API (the `model` field of
    openai/types/realtime/realtime_session_create_request.py). Call it off the event loop the
    first time."""
    from openai.types.audio import speech_model
    from openai.types.realtime import realtime_session_create_request

    return {**note_dates(speech_model), **note_dates(realtime_session_create_request)}


def all_shutdown_dates() -> dict[str, date]:
    """Every model id the SDK's notes name (chat, speech, Realtime) -> its shutdown date."""
    return {**sdk_shutdown_dates(), **speech_shutdown_dates()}
