"""Per-route, per-major-parameter rate limits with Discord's headers and 429 bodies."""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass

_PARAM = re.compile(r"\{[^}]*\}")


def route_key(method: str, template: str) -> str:
    """``"PATCH /channels/{}/messages/{}"``: parameter names do not matter."""
    template = template.removeprefix("/api/v10")
    return f"{method.upper()} {_PARAM.sub('{}', template)}"


@dataclass
class Limit:
    limit: int
    per: float
    bucket: str
    hidden: bool = False


@dataclass
class _Window:
    count: int
    reset_at: float


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0


def _bucket(key: str) -> str:
    return hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()


def _ceil_ms(seconds: float) -> float:
    return max(0.001, math.ceil(seconds * 1000) / 1000)


class RateLimiter:
    """Fixed windows that start at the first request, like Discord's buckets."""

    def __init__(self, clock: object) -> None:
        self._clock = clock  # a callable returning monotonic seconds (the loop's time)
        self.limits: dict[str, Limit] = {}
        self._windows: dict[tuple[str, str], _Window] = {}
        self.count_429 = 0
        # Routes without a limit of their own answer with the headers of this generous
        # bucket (as Discord always sends headers); None sends no headers at all, and
        # discord.py then runs one request at a time per route and major parameter.
        self.default: tuple[int, float] | None = (10000, 1.0)
        self._defaults: dict[str, Limit] = {}

    def set(
        self, method: str, template: str, limit: int, per_seconds: float, hidden: bool = False
    ) -> None:
        key = route_key(method, template)
        bucket = _bucket(key)
        self.limits[key] = Limit(limit, per_seconds, bucket, hidden)
        self._windows = {k: w for k, w in self._windows.items() if k[0] != bucket}

    def clear(self) -> None:
        self.limits.clear()
        self._defaults.clear()
        self._windows.clear()

    def check(self, key: str, major: str) -> Verdict | None:
        """``None`` when the route has no limit; otherwise the verdict and headers."""
        limit = self.limits.get(key)
        if limit is None:
            if self.default is None:
                return None
            limit = self._defaults.get(key)
            if limit is None:
                limit = self._defaults[key] = Limit(*self.default, _bucket(key))
        now = self._clock()  # type: ignore[operator]
        window = self._windows.get((limit.bucket, major))
        if window is None or now >= window.reset_at:
            window = _Window(0, now + limit.per)
            self._windows[(limit.bucket, major)] = window
        reset_after = _ceil_ms(window.reset_at - now)
        headers = {
            "X-RateLimit-Limit": str(limit.limit),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": limit.bucket,
        }
        if window.count >= limit.limit:
            self.count_429 += 1
            headers.update(
                {
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Scope": "user",
                    "Retry-After": str(math.ceil(reset_after)),
                    "Via": "1.1 google",
                }
            )
            return Verdict(False, headers, reset_after)
        window.count += 1
        headers["X-RateLimit-Remaining"] = str(limit.limit - window.count)
        if limit.hidden:
            headers = {}
        return Verdict(True, headers)
