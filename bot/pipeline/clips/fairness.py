"""A fair queue: slots shared round-robin between keys (members), with positions reported."""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

PositionCallback = Callable[[int], None]


@dataclass(eq=False)
class _Waiter:
    """One task waiting for its turn: the future that lets it run, and its place in the
    queue as last told to `on_position`."""

    future: asyncio.Future[None]
    on_position: PositionCallback | None = None
    position: int = field(default=0)


class FairQueue(Generic[K]):
    """At most `capacity` holders in all and `per_key` per key (None = unbounded); waiters are
    served round-robin across keys, first come first served within a key."""

    def __init__(self, *, capacity: int | None = None, per_key: int | None = None) -> None:
        self._capacity = capacity
        self._per_key = per_key
        self._active: Counter[K] = Counter()
        self._total = 0
        self._queues: OrderedDict[K, deque[_Waiter]] = OrderedDict()
        self._turn = 0
        self._last_turn: dict[K, int] = {}  # round-robin: the key served longest ago goes first

    @property
    def active(self) -> int:
        return self._total

    def waiting(self, key: K | None = None) -> int:
        if key is not None:
            return len(self._queues.get(key, ()))
        return sum(len(q) for q in self._queues.values())

    def _has_room(self, key: K) -> bool:
        if self._capacity is not None and self._total >= self._capacity:
            return False
        return self._per_key is None or self._active[key] < self._per_key

    @asynccontextmanager
    async def slot(
        self, key: K, on_position: PositionCallback | None = None
    ) -> AsyncIterator[None]:
        """Hold one slot for `key` while the block runs; `on_position(n)` hears the place in
        this key's line (1 = next) whenever it changes while waiting."""
        await self._acquire(key, on_position)
        try:
            yield
        finally:
            self._active[key] -= 1
            if self._active[key] <= 0:
                del self._active[key]
            self._total -= 1
            if not self._active.get(key) and key not in self._queues:
                self._last_turn.pop(key, None)
            self._dispatch()

    async def _acquire(self, key: K, on_position: PositionCallback | None) -> None:
        if key not in self._queues and self._has_room(key):
            self._grant(key)
            return
        waiter = _Waiter(asyncio.get_running_loop().create_future(), on_position)
        self._queues.setdefault(key, deque()).append(waiter)
        self._report(key)
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                # granted just as we were cancelled: hand the slot on
                self._active[key] -= 1
                self._total -= 1
            else:
                queue = self._queues.get(key)
                if queue is not None and waiter in queue:
                    queue.remove(waiter)
                    if not queue:
                        del self._queues[key]
                    self._report(key)
            self._dispatch()
            raise

    def _grant(self, key: K) -> None:
        self._active[key] += 1
        self._total += 1
        self._turn += 1
        self._last_turn[key] = self._turn

    def _dispatch(self) -> None:
        while self._queues:
            ready = [key for key in self._queues if self._has_room(key)]
            if not ready:
                return
            key = min(ready, key=lambda k: self._last_turn.get(k, 0))
            queue = self._queues[key]
            waiter = queue.popleft()
            if not queue:
                del self._queues[key]
            if waiter.future.done():  # cancelled while waiting: skipped, its task cleans up
                continue
            self._grant(key)
            waiter.future.set_result(None)
            self._report(key)

    def _report(self, key: K) -> None:
        for place, waiter in enumerate(self._queues.get(key, ()), start=1):
            if waiter.position != place:
                waiter.position = place
                if waiter.on_position is not None:
                    waiter.on_position(place)
