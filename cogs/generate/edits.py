"""The edits of one reply, coalesced: one in flight, at most one every `min_interval` seconds,
always of the latest state (the edit reads the state when it goes out, not when it was asked
for). Replies in one channel share its lane (`lanes.EditLanes`): when the channel has room,
a final state goes first (a member waits on it; the one that ended first before the others, so
none waits while later ones pass it), then an urgent edit, then the reply with the most
progress not yet shown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable

from cogs.generate.lanes import EditLanes

Spawn = Callable[..., "asyncio.Task[None]"]  # bot.tasks.spawn: (coroutine, *, name) → its task


async def _at_once() -> None:
    return None


class ReplyEdits:
    """Owns the edit schedule of one reply: whether an edit is wanted, since when one is
    urgent and since when its state is final, when the last went out and how much progress it
    showed, and the task sending them. `send` makes the edit (reading the latest state);
    `progress` counts what the reply gains from an edit (clips done); `final` says whether the
    state to show is final; `ready` waits, outside the lane, until the reply may be edited (a
    final state waits for its thread posts)."""

    def __init__(
        self,
        lanes: EditLanes,
        lane: Hashable,
        send: Callable[[], Awaitable[None]],
        *,
        progress: Callable[[], int],
        spawn: Spawn,
        min_interval: float,
        final: Callable[[], bool] = lambda: False,
        ready: Callable[[], Awaitable[None]] = _at_once,
        last_edit: float = 0.0,
    ) -> None:
        self._lanes, self._lane = lanes, lane
        self._send, self._progress, self._final, self._ready = send, progress, final, ready
        self._spawn = spawn
        self._min_interval = min_interval
        self.last_edit = last_edit  # time.monotonic() of the last edit sent
        self.wanted = False
        self._urgent_since: float | None = None
        self._final_since: float | None = None  # when an edit was first wanted of a final state
        self._shown = 0  # progress shown by the last edit
        self._task: asyncio.Task[None] | None = None

    def want(self, *, urgent: bool = False) -> None:
        """Ask for an edit (of whatever the state is when it goes out)."""
        if urgent and self._urgent_since is None:
            self._urgent_since = time.monotonic()
        if self._final_since is None and self._final():
            self._final_since = time.monotonic()
        self.wanted = True
        if self._task is None or self._task.done():
            self._task = self._spawn(self._flush(), name="reply-edit")

    def rank(self) -> tuple[int, int, float]:
        """Which waiting reply the channel's next edit goes to (smaller first): final states
        first, the oldest first (each is due a fixed time after its end; ranked by progress,
        one whose clips were all shown waited while later ones passed it, ~45 s with fifty
        replies in a channel); then urgent ones, then the one with the most progress not yet
        shown, then the one waiting longest."""
        if self._final():
            if self._final_since is None:  # became final while its edit waited
                self._final_since = time.monotonic()
            return (0, 0, self._final_since)
        since = self._urgent_since
        return (1 if since is not None else 2, self._shown - self._progress(), since or 0.0)

    async def _flush(self) -> None:
        while self.wanted:
            wait = self.last_edit + self._min_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._ready()
            async with self._lanes.turn(self._lane, self.rank):
                self.wanted, self._urgent_since = False, None
                self._shown = self._progress()
                await self._send()
            self.last_edit = time.monotonic()
