"""What tests ask the fake: recorded calls, messages, threads, DMs; waiting on state."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .ratelimit import route_key
from .records import Attachment, Call, Edit, Message, Problem, User
from .wire import SETUP_ROUTES

if TYPE_CHECKING:
    from .state import World


class QueryMixin:
    """Read-only helpers of ``FakeDiscord`` (plus ``wait_for``)."""

    world: World
    calls: list[Call]
    validation_errors: list[Problem]
    unhandled: list[Problem]
    channel_id: int
    _changed: asyncio.Event

    @property
    def commands(self) -> list[dict[str, Any]]:
        return [c for scope in self.world.commands.values() for c in scope.values()]

    def rest_calls(
        self, exclude_setup: bool = True, *, method: str | None = None, route: str | None = None
    ) -> list[Call]:
        """REST calls, without login/app-info/gateway/command-sync ones by default."""
        wanted = route_key(method or "GET", route).split(" ", 1)[1] if route else None
        out = []
        for call in self.calls:
            key = route_key(call.method, call.route)
            if exclude_setup and key in SETUP_ROUTES:
                continue
            if method is not None and call.method != method.upper():
                continue
            if wanted is not None and key.split(" ", 1)[1] != wanted:
                continue
            out.append(call)
        return out

    def messages_in(
        self, channel_id: int | None = None, *, include_ephemeral: bool = False
    ) -> list[Message]:
        """Live messages of a channel (default: the default channel), oldest first."""
        return self.world.messages_in(channel_id or self.channel_id, include_ephemeral)

    def message(self, message_id: int | str) -> Message:
        return self.world.messages[int(message_id)]

    def edits(self, message_id: int | str) -> list[Edit]:
        """Every edit of a message, in order (creation excluded; see ``message().history``)."""
        return self.message(message_id).edits

    def thread_for(self, message_id: int | str) -> dict[str, Any] | None:
        thread_id = self.world.thread_by_message.get(int(message_id))
        return None if thread_id is None else self.world.channels[thread_id]

    def dm_channel(self, user: str | int | User) -> dict[str, Any] | None:
        channel_id = self.world.dm_by_user.get(self.world.user(user).id)
        return None if channel_id is None else self.world.channels[channel_id]

    def dm_messages(self, user: str | int | User) -> list[Message]:
        channel = self.dm_channel(user)
        return [] if channel is None else self.world.messages_in(int(channel["id"]))

    def attachment(self, attachment_id: int | str) -> Attachment:
        return self.world.attachments[int(attachment_id)]

    def assert_clean(self) -> None:
        """Fail when a request body was rejected as invalid or hit an unknown route."""
        problems = [*self.validation_errors, *self.unhandled]
        if problems:
            lines = [f"{p.method} {p.route}: {p.message}" for p in problems]
            raise AssertionError("fake Discord saw bad requests:\n" + "\n".join(lines))

    def loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    def touch(self) -> None:
        """Wake ``wait_for`` callers (called after every request and gateway change)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05
    ) -> Any:
        """Until ``predicate()`` is truthy; returns its value. Re-checked after every
        request the fake answers, and at least every ``interval`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(interval, remaining))
