"""Announced shutdown dates of OpenAI chat models, as the installed `openai` SDK lists them.

The SDK generates `openai/types/shared/chat_model.py` from OpenAI's API description; under the
`ChatModel` literal it keeps a "Deprecated values" note, one bullet per group of model ids:

    - "gpt-4.1", "gpt-4.1-mini", ...: Announced shutdown date: 2027-01-14. See
      https://developers.openai.com/api/docs/deprecations for details ...

Reading that note (rather than a table of our own) keeps the dates as current as the installed
SDK; OpenAI's deprecations page is the same list. The server's own `shutdown_date` on the model
object (`GET /v1/models/{model}`) wins over this when the start-up check reaches OpenAI.
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
    """Model id -> shutdown date, from the "Deprecated values" note of a module the SDK
    generates (empty when its source no longer carries the note). Reads one small file."""
    assert module.__file__ is not None
    source = Path(module.__file__).read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and node.value.value.lstrip().startswith("Deprecated values")
        ):
            return parse_deprecation_note(node.value.value)
    return {}


@functools.cache
def sdk_shutdown_dates() -> dict[str, date]:
    """Chat model id -> announced shutdown date, from the installed SDK (the server's
    `shutdown_date` still applies). Reads one small file once; call it off the event loop the
    first time."""
    from openai.types.shared import chat_model

    return note_dates(chat_model)
