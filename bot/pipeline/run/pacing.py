"""Answers first: a burst of commands is answered before the work those commands start.

Each `/generate` costs the bot little to answer and a lot more to follow (moderation and the
shot list through the OpenAI client, then status writes and reply edits), about three times
as much CPU. Started at once, the work of the first commands of a burst runs between the
answers of the later ones, and the later members wait longer and longer for theirs. The
runner marks each command it answers (`answering`) and starts a generation's work only when
no command has been answered for `quiet` seconds (`after_answers`), or `patience` seconds
have passed, whichever comes first: a lone command costs its film `quiet` seconds, a burst
delays its films by at most `patience`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

QUIET = 0.05  # s without a command answered before the follow-up work starts
PATIENCE = 2.0  # s a generation's work waits at most, however long a burst lasts


class AnswersFirst:
    """Owns the count of commands being answered now, and the event set once none has been
    for `quiet` seconds (with the timer that sets it)."""

    def __init__(self, *, quiet: float = QUIET, patience: float = PATIENCE) -> None:
        self._quiet = quiet
        self._patience = patience
        self._answering = 0
        self._settled = asyncio.Event()
        self._settled.set()
        self._timer: asyncio.TimerHandle | None = None

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Around the answer to one command (admission, storing it, the reply)."""
        self._answering += 1
        self._settled.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            yield
        finally:
            self._answering -= 1
            if self._answering == 0:
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(self._quiet, self._settle)

    def _settle(self) -> None:
        self._timer = None
        if self._answering == 0:
            self._settled.set()

    async def after_answers(self) -> None:
        """Return once no command has been answered for `quiet` seconds, or after
        `patience` seconds."""
        if self._settled.is_set():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._patience):
                await self._settled.wait()
