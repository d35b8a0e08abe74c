"""A token bucket that paces requests to a provider under its documented rate limit.

Waiters are served first come, first served: `take()` holds one `asyncio.Lock` while it waits
for its token, and asyncio's lock wakes its waiters in the order they came. So the k-th task
inside `take()` gets its token when the bucket has refilled to k tokens (after a pause ends):
`eta(k)` is that moment, known from the tokens, the rate and the pause alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

_EPSILON = 1e-9  # a token refilled to 0.999999999 by float rounding is a token


class RequestBudget:
    """Allow `per_minute` requests a minute on average, with bursts of up to `burst`.
    `clock` (monotonic seconds) is for tests of `eta` alone: `take()` sleeps real time."""

    def __init__(
        self,
        per_minute: float,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._rate = self._full_rate = per_minute / 60.0
        self._capacity = float(burst if burst is not None else max(1, int(self._rate * 2)))
        self._full_capacity = self._capacity
        self._tokens = self._capacity
        self._stamp = clock()
        self._held_until = 0.0  # no token refills before this moment (`pause`)
        self._lock = asyncio.Lock()
        self._waiting = 0  # tasks inside `take()`, the one holding the lock included

    def _refill(self) -> float:
        """Bring the tokens up to now (none refill while paused); returns now."""
        now = self._clock()
        start = max(self._stamp, self._held_until)
        if now > start:
            self._tokens = min(self._capacity, self._tokens + (now - start) * self._rate)
        self._stamp = now
        return now

    def _until(self, count: float, now: float) -> float:
        """Seconds from `now` until `count` tokens have accumulated (0 when they are there)."""
        missing = count - self._tokens
        if missing <= _EPSILON:
            return 0.0
        return max(0.0, self._held_until - now) + missing / self._rate

    async def take(self) -> None:
        """Wait until a request may be sent, then spend it. Waits again if the budget was
        paused or shared meanwhile, so a pause holds the request being waited for too."""
        self._waiting += 1
        try:
            async with self._lock:
                # not a poll: each sleep is the exact wait; it is computed again only because
                # a pause or a share may have moved the token's moment meanwhile
                while (wait := self._until(1, self._refill())) > 0:  # noqa: ASYNC110
                    await asyncio.sleep(wait)
                self._tokens -= 1
        finally:
            self._waiting -= 1

    @property
    def waiting(self) -> int:
        """How many requests are waiting for their token now."""
        return self._waiting

    def eta(self, k: int) -> float:
        """Seconds until the k-th waiter (1 = the first in line) gets its token, if nothing
        pauses or shares the budget meanwhile: waiters are served in order (the module's
        docstring), each spending one token."""
        return self._until(max(1, k), self._refill())

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
        """The provider said to slow down for `seconds`: what is left is spent, and nothing
        refills until then. Pauses do not add up: the latest end wins (several requests
        throttled at once are told the same moment)."""
        now = self._refill()
        self._tokens = min(self._tokens, 0.0)
        self._held_until = max(self._held_until, now + max(0.0, seconds))
