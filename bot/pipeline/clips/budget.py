"""A token bucket that paces requests to a provider under its documented rate limit."""

from __future__ import annotations

import asyncio
import time


class RequestBudget:
    """Allow `per_minute` requests a minute on average, with bursts of up to `burst`."""

    def __init__(self, per_minute: float, *, burst: int | None = None) -> None:
        self._rate = self._full_rate = per_minute / 60.0
        self._capacity = float(burst if burst is not None else max(1, int(self._rate * 2)))
        self._full_capacity = self._capacity
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

    @property
    def per_minute(self) -> float:
        return self._rate * 60.0

    def share(self, parts: int) -> None:
        """Keep a `parts`-th of the rate and of the burst (at least one request): the limit is
        shared with `parts - 1` other processes on the same account."""
        self._refill()
        parts = max(1, parts)
        self._rate = self._full_rate / parts
        self._capacity = max(1.0, self._full_capacity / parts)
        self._tokens = min(self._tokens, self._capacity)

    def pause(self, seconds: float) -> None:
        """The provider said to slow down: spend what is left and owe `seconds` more."""
        self._refill()
        self._tokens = min(self._tokens, 0.0) - seconds * self._rate
