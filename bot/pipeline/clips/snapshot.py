"""What Replicate says about one prediction, read entry by entry so one odd entry stays alone.

`GET /v1/predictions` lists every prediction of the account — other apps', the web UI's,
other models' — so anything may be in a page: a status newer than the installed SDK (replicate
1.0.7's `Prediction` model rejects `aborted`, documented at
https://replicate.com/docs/topics/predictions/lifecycle), an `error` that is not a string. The
SDK's model validates a whole page at once and fails it for one such entry; here each entry is
read on its own, and one that cannot be read concerns at most the clip waiting for its id.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KNOWN = frozenset({"starting", "processing", "succeeded", "failed", "canceled", "aborted"})
# "aborted": the prediction exceeded its deadline before it could start running
TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
UNREADABLE = "unreadable"  # ours: the entry has an id but the rest could not be read
DATA_KEPT_SECONDS = 3600  # https://replicate.com/docs/topics/predictions/data-retention
_ERROR_CHARS = 500
_MAX_SECONDS = 7 * 24 * 3600.0  # no prediction runs longer: a larger figure is not believed


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One prediction as Replicate last described it."""

    id: str
    status: str
    model: str | None = None
    input: dict[str, Any] | None = None
    output: Any = None
    error: str | None = None
    data_removed: bool = False  # input, output, files and logs removed (about an hour after)
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        """Terminal for the waiter: it ended at Replicate, or its entry cannot be read."""
        return self.status in TERMINAL or self.status == UNREADABLE


def entry_id(raw: object) -> str | None:
    """The id of a listed entry, or None when it has none worth reading."""
    if isinstance(raw, dict):
        value = raw.get("id")
        if isinstance(value, str) and value:
            return value
    return None


def parse(raw: object) -> Snapshot | None:
    """A snapshot of one entry; None without an id; status `UNREADABLE` (with the problem as
    its `error`) when the id is there but the rest is not what the API documents."""
    prediction_id = entry_id(raw)
    if prediction_id is None:
        return None
    assert isinstance(raw, dict)
    status = raw.get("status")
    inputs = raw.get("input")
    metrics = raw.get("metrics")
    if not isinstance(status, str) or not status:
        return Snapshot(prediction_id, UNREADABLE, error=f"status is {_short(status)}")
    if inputs is not None and not isinstance(inputs, dict):
        return Snapshot(prediction_id, UNREADABLE, error=f"input is {_short(inputs)}")
    model = raw.get("model")
    return Snapshot(
        id=prediction_id,
        status=status,
        model=model if isinstance(model, str) else None,
        input=inputs,
        output=raw.get("output"),
        error=error_text(raw.get("error")),
        data_removed=raw.get("data_removed") is True,
        created_at=_text_or_none(raw.get("created_at")),
        started_at=_text_or_none(raw.get("started_at")),
        completed_at=_text_or_none(raw.get("completed_at")),
        metrics=metrics if isinstance(metrics, dict) else {},
    )


def error_text(value: object) -> str | None:
    """A prediction's `error` as text: documented as a string, read whatever it is."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict):
        named = next(
            (value[k] for k in ("detail", "message", "error") if isinstance(value.get(k), str)),
            None,
        )
        text = named or json.dumps(value, default=str)
    else:
        text = json.dumps(value, default=str)
    return text[:_ERROR_CHARS]


def timestamp(value: object) -> float:
    """Replicate's ISO 8601 time as epoch seconds (0.0 when absent or unreadable). Takes any
    value: it is read from a listed entry, which may be any JSON (a number, an object)."""
    if not isinstance(value, str) or not value:
        return 0.0
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError, OSError):  # OverflowError/OSError: out of range
        return 0.0


def predict_seconds(snapshot: Snapshot) -> float:
    """Replicate's billed time for the prediction, or its wall time when not reported."""
    predict_time = snapshot.metrics.get("predict_time")
    if isinstance(predict_time, int | float) and not isinstance(predict_time, bool):
        seconds = float(min(predict_time, _MAX_SECONDS))  # an int too large for a float
        if math.isfinite(seconds) and seconds >= 0:  # JSON may say NaN, Infinity or -1
            return seconds
    started, completed = timestamp(snapshot.started_at), timestamp(snapshot.completed_at)
    return min(max(0.0, completed - started), _MAX_SECONDS) if started and completed else 0.0


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _short(value: object) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
