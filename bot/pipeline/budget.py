"""A token bucket that paces requests to a provider under its documented rate limit."""

from __future__ import annotations

import asyncio
import time


class RequestBudget:
    """Allow `per_minute` requests a minute on average, with bursts of up to `burst`."""

    def __init__(self, per_minute: float, *, burst: int | None = None) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(burst if burst is not None else max(1, int(self._rate * 2)))
        self._tokens = self._capacity
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    async def take(self) -> None:
        """Wait until a request may be sent, then spend it."""
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self._rate)
                self._refill()
            self._tokens -= 1

    def pause(self, seconds: float) -> None:
        """The provider said to slow down: spend what is left and owe `seconds` more."""
        self._refill()
        self._tokens = min(self._tokens, 0.0) - seconds * self._rate
