"""Keeps each reply up to date from the pipeline's events, and fills its thread.

One `LiveReply` per reply followed. Its edits are coalesced (`edits.ReplyEdits`): one in
flight, at most one every `min_interval` seconds, always of the latest state, through the
channel message endpoint with the bot token (never the interaction webhook, whose token
expires); replies in one channel take turns (`lanes.EditLanes`). Thread posts run in order
(`thread.ThreadPoster`), each recorded so that a restart never posts anything twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import discord

from bot.pipeline.events import (
    AnalysisDone,
    Cancelled,
    CastReady,
    ClipCompleted,
    ClipFailed,
    ClipHeld,
    Event,
    Failed,
    Finished,
    Narrated,
    Queued,
    RerollEnded,
    RerollStarted,
    Started,
    Stitched,
)
from bot.retry import Retries
from bot.tasks import spawn
from bot.tree import NO_MENTIONS
from cogs.generate import recovery, render
from cogs.generate.edits import ReplyEdits
from cogs.generate.lanes import EditLanes
from cogs.generate.live import LiveReply
from cogs.generate.state import ReplyState
from cogs.generate.thread import ThreadPoster

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

log = logging.getLogger(__name__)

# what a member waits for: edited in as soon as the channel allows (so are final states)
URGENT = (AnalysisDone, ClipCompleted, ClipHeld)
# events that change what the reply shows enough to be worth an edit
SHOWN = (
    Queued,
    Started,
    AnalysisDone,
    ClipCompleted,
    ClipFailed,
    Stitched,
    Narrated,
    Finished,
    Failed,
    Cancelled,
    RerollStarted,
    RerollEnded,
    ClipHeld,  # the create budget holds clips back: their place and the wait (issue 21)
)

Post = Callable[[ReplyState], Awaitable[None]]


class ReplyUpdater:
    """Owns the replies this process follows (`LiveReply` by generation id; forgetting one is
    one `pop`), the channel lanes their edits share, the thread poster, and every background
    task of its own (`close` stops them)."""

    def __init__(
        self, bot: Reelbot, *, min_interval: float = 1.0, retries: Retries | None = None
    ) -> None:
        retries = retries or Retries()
        self._bot = bot
        self._final_edits = retries.discord_edit
        self._repo = bot.services.repo
        self._min_interval = min_interval
        self._replies: dict[int, LiveReply] = {}
        self._lanes = EditLanes()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.threads = ThreadPoster(bot, retries=retries, spawn=self._spawn)

    # following a reply -------------------------------------------------------------------

    def track(self, state: ReplyState) -> None:
        """Follow a generation whose reply was just sent (its first render is that reply)."""
        reply = self._follow(state, last_edit=time.monotonic())
        self._post(reply, self.threads.ensure_thread)

    def show(self, state: ReplyState) -> None:
        """Follow a generation loaded from the database and edit its reply to `state`."""
        self._want_edit(self._follow(state), urgent=state.final)

    def repair(self) -> None:
        """In the background: show the final state of generations that ended just before a
        crash, before their reply and thread were brought up to date."""
        self._spawn(self._repair(), name="reply-repair")

    async def _repair(self) -> None:
        for found in await recovery.unsettled(self._bot):
            log.info(
                "showing the final state of generation %s (%s)",
                found.state.generation_id,
                found.state.status,
            )
            self.show(found.state)
            self._catch_up(self._replies[found.state.generation_id], found)

    def _follow(self, state: ReplyState, *, last_edit: float = 0.0) -> LiveReply:
        gid = state.generation_id
        reply = self._replies.get(gid)
        if reply is None or (reply.state is None and not reply.loading):
            reply = self._replies[gid] = LiveReply(gid)
        reply.state = state
        if reply.edits is None:
            reply.edits = ReplyEdits(
                self._lanes,
                state.channel_id,
                lambda: self._edit(reply),
                progress=lambda: reply.state.done_count if reply.state else 0,
                final=lambda: reply.state is not None and reply.state.final,
                spawn=self._spawn,
                min_interval=self._min_interval,
                ready=lambda: self._thread_done(reply),
                last_edit=last_edit,
            )
        return reply

    def handle(self, event: Event) -> None:
        """The bus subscriber: update the state, then schedule an edit and thread posts."""
        if self._closed:
            return
        gid = event.generation_id
        reply = self._replies.get(gid)
        if reply is None:
            reply = self._replies[gid] = LiveReply(gid, loading=True)
            self._spawn(self._load(reply), name=f"reply-load-{gid}")
        if reply.loading:
            reply.backlog.append(event)
        elif reply.state is not None:
            self._apply(reply, event)
        elif isinstance(event, Finished | Failed | Cancelled):
            self._replies.pop(gid, None)  # no reply to show: forgotten once it ends

    async def _load(self, reply: LiveReply) -> None:
        """Load a reply this process did not follow (resumed at start-up, or its id lost)."""
        try:
            found = await recovery.load(self._bot, reply.generation_id)
        except BaseException:
            reply.loading = False
            if self._replies.get(reply.generation_id) is reply:
                del self._replies[reply.generation_id]  # tried again at the next event
            raise
        if found is not None:
            if reply.state is None:  # not sent meanwhile by this process
                self._follow(found.state)
            self._catch_up(reply, found)
            if found.state.final:  # it ended before this process showed anything
                self.show(found.state)
        reply.loading = False  # no reply found: remembered, later events are ignored
        backlog, reply.backlog = reply.backlog, []
        if reply.state is not None:
            for event in backlog:
                self._apply(reply, event)

    def _apply(self, reply: LiveReply, event: Event) -> None:
        state = reply.state
        if state is None or not state.apply(event):
            return
        if isinstance(event, AnalysisDone):
            shot_list = event.shot_list
            self._post(reply, lambda s: self.threads.post_shot_list(s, shot_list))
        elif isinstance(event, CastReady):  # issue 24: the cast sheet, before the clips
            for portrait in event.portraits:
                post = functools.partial(self.threads.post_portrait, portrait=portrait)
                self._post(reply, post)
            if event.note:
                self._post(reply, functools.partial(self.threads.post_cast_note, note=event.note))
        elif isinstance(event, ClipCompleted):
            reply.ready[event.index] = event.path
        if isinstance(event, ClipCompleted | ClipFailed) or state.final:
            self._post_clips(reply)
        if isinstance(event, SHOWN):
            self._want_edit(reply, urgent=isinstance(event, URGENT) or state.final)

    # edits -------------------------------------------------------------------------------

    def _want_edit(self, reply: LiveReply, *, urgent: bool = False) -> None:
        if not self._closed and reply.edits is not None:
            reply.edits.want(urgent=urgent)

    async def _thread_done(self, reply: LiveReply) -> None:
        """The final state comes after the thread is complete."""
        if reply.state is not None and reply.state.final:
            await self.threads.drain(reply.generation_id)

    async def _edit(self, reply: LiveReply) -> None:
        state = reply.state
        if state is None:
            return
        if state.channel_id is not None and state.message_id is not None:
            reply.final_shown = await self._send_edit(state, state.channel_id, state.message_id)
        if state.final:
            self._spawn(self._forget(reply), name=f"reply-forget-{state.generation_id}")

    async def _send_edit(self, state: ReplyState, channel_id: int, message_id: int) -> bool:
        """Edit the reply to `state`; True when it shows the final state (or is gone)."""
        message = self._bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        # a final state is edited in until Discord takes it (bot.retry's final-edit policy);
        # a progress edit is not repeated: a later one shows a newer state anyway
        policy = self._final_edits if state.final else self._final_edits.once()
        metrics = self._bot.metrics

        async def edit() -> None:
            try:
                await message.edit(
                    embed=render.embed(state), view=render.view(state), allowed_mentions=NO_MENTIONS
                )
            except discord.HTTPException:
                if metrics is not None:
                    metrics.reply_edit(sent=False)
                raise
            if metrics is not None:
                metrics.reply_edit(sent=True)

        try:
            await policy.call(
                edit,
                "editing the reply of generation %s",
                state.generation_id,
            )
        except discord.NotFound:
            log.warning("reply of generation %s is gone; no more edits", state.generation_id)
            return True
        except discord.HTTPException as exc:
            log.warning("editing the reply of generation %s failed: %s", state.generation_id, exc)
            return False
        return state.final

    async def _forget(self, reply: LiveReply) -> None:
        """Drop a finished reply once its thread posts are done; settled when its reply and
        thread show the final state."""
        gid = reply.generation_id
        await self.threads.drain(gid)
        state, edits = reply.state, reply.edits
        if self._replies.get(gid) is not reply or state is None or not state.final:
            return
        if edits is not None and edits.wanted:
            return  # a later edit forgets it
        del self._replies[gid]
        if reply.final_shown:
            await self._repo.mark_settled(gid)

    # thread posts, in order --------------------------------------------------------------

    def _post_clips(self, reply: LiveReply) -> None:
        for index, path in reply.clips_to_post():
            self._post(reply, functools.partial(self.threads.post_clip, index=index, path=path))

    def _catch_up(self, reply: LiveReply, found: recovery.Found) -> None:
        """Queue the thread posts a crash may have missed (the recorded ones are skipped)."""
        shot_list = found.shot_list
        if shot_list is not None:
            self._post(reply, lambda s: self.threads.post_shot_list(s, shot_list))
        for index, path in found.clips:
            self._post(reply, functools.partial(self.threads.post_clip, index=index, path=path))

    def _post(self, reply: LiveReply, post: Post) -> None:
        """Queue `post` in the reply's thread; a post that failed for good edits the reply
        (it says what was not posted)."""
        if self._closed:
            return  # the next start catches the thread up (recovery)

        async def run() -> None:
            state = reply.state
            if state is None or self._replies.get(reply.generation_id) is not reply:
                return
            failures = len(state.post_failures)
            await post(state)
            if len(state.post_failures) > failures and reply.state is state:
                self._want_edit(reply)

        self.threads.queue(reply.generation_id, run)

    def _spawn(self, coro: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        """A background task of this updater: `close` stops every one of them (thread posts
        chained behind others included), so none outlives the bot's connection or storage."""
        task = spawn(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self, grace: float = 2.0) -> None:
        """Stop following events; edits and posts in flight get `grace` seconds to land (so
        the reply shows the last state), then they are cancelled."""
        self._closed = True
        tasks = [t for t in self._tasks if not t.done()]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
