"""One reply edit at a time per channel, and when the channel can take one, the most useful.

Discord limits message edits per channel (5 every 5 s), whatever message they touch, so fifty
replies in one channel share one edit a second. discord.py paces each bucket from the
rate-limit headers: the request that spends the last edit of a window returns only once the
window has reset. Edits sent concurrently into one bucket get their answers out of order,
which can make discord.py believe the window has room left (a 429, and a retry that counts
against the next window). One edit at a time per channel keeps that pacing exact, and lets
each reply's schedule (`edits.ReplyEdits`) be chosen, each time the channel has room, by what
the reply gains from an edit rather than by who asked first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any

Rank = Callable[[], Any]
"""Smaller goes first; called when the lane frees up, so it sees the latest state."""


class EditLanes:
    """Owns which lanes (channels) have an edit in flight, and the edits waiting for each."""

    def __init__(self) -> None:
        self._busy: set[Hashable] = set()
        self._waiting: dict[Hashable, list[tuple[Rank, asyncio.Future[None]]]] = {}

    @asynccontextmanager
    async def turn(self, lane: Hashable, rank: Rank) -> AsyncIterator[None]:
        """Hold ``lane`` (a channel) while the block runs; waiters are let in by ``rank``."""
        if lane in self._busy:
            entry = (rank, asyncio.get_running_loop().create_future())
            self._waiting.setdefault(lane, []).append(entry)
            try:
                await entry[1]
            except asyncio.CancelledError:
                if entry[1].done() and not entry[1].cancelled():
                    self._pass_on(lane)  # let in just as we were cancelled: hand it over
                else:
                    waiting = self._waiting.get(lane, [])
                    if entry in waiting:
                        waiting.remove(entry)
                raise
        else:
            self._busy.add(lane)
        try:
            yield
        finally:
            self._pass_on(lane)

    def _pass_on(self, lane: Hashable) -> None:
        waiting = self._waiting.get(lane)
        while waiting:
            entry = min(waiting, key=lambda e: e[0]())
            waiting.remove(entry)
            if not entry[1].done():
                entry[1].set_result(None)
                return
        self._waiting.pop(lane, None)
        self._busy.discard(lane)
