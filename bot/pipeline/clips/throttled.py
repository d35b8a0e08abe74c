"""A create Replicate answered 429, and how long the answer said to wait."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from replicate.exceptions import ReplicateError


class Throttled(ReplicateError):
    """A 429: Replicate's budget for the account is spent. `retry_after`: the seconds it said
    to wait, when it said (`told_wait`)."""

    retry_after: float | None = None


# "Request was throttled. Your rate limit resets in ~30s." (the rate-limits page, below);
# "Request was throttled. Expected available in 2 seconds." (Django REST framework's default
# throttle message, the same `detail` shape; the fake's plain 429 says it)
_RESETS_IN = re.compile(r"\b(?:resets|available) in ~?\s*(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)


def told_wait(response: httpx.Response) -> float | None:
    """The seconds a 429 says to wait: its `Retry-After` header (seconds, or an HTTP date: RFC
    9110 §10.2.3), else the "~N s" of its `detail`; None when it says neither. Replicate:
    "If you exceed the rate limit, you'll receive a 429 status code with a body like
    {"detail":"Request was throttled. Your rate limit resets in ~30s."}"
    (https://replicate.com/docs/topics/predictions/rate-limits). replicate-python 1.0.7 reads
    the same header for the GETs it retries (`RetryTransport._calculate_sleep`, client.py);
    its `ReplicateError` keeps the detail but no header, hence this read of the response."""
    header = response.headers.get("Retry-After", "").strip()
    if header:
        if header.replace(".", "", 1).isdigit():
            return float(header)
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    found = _RESETS_IN.search(detail) if isinstance(detail, str) else None
    return float(found[1]) if found else None


def throttled_wait(exc: BaseException) -> float | None:
    """For the create policy: what a 429 said to wait (the budget was paused that long); a
    429 that said nothing, or "0 s", is an attempt like any failure, with the backoff."""
    if isinstance(exc, Throttled) and exc.retry_after is not None and exc.retry_after > 0:
        return exc.retry_after
    return None
