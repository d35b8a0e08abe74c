"""Keeps each reply up to date from the pipeline's events, and fills its thread.

Edits are coalesced: one edit in flight per reply, at most one every `min_interval` seconds,
always of the latest state, through the channel message endpoint with the bot token (never
the interaction webhook, whose token expires). Thread posts run in order, each recorded so
that a restart never posts anything twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord

from bot.pipeline.events import (
    AnalysisDone,
    Cancelled,
    ClipCompleted,
    ClipFailed,
    Event,
    Failed,
    Finished,
    Queued,
    Started,
    Stitched,
)
from bot.pipeline.progress import ClipShows
from bot.tasks import spawn
from bot.tree import NO_MENTIONS
from cogs.generate import recovery, render
from cogs.generate.lanes import EditLanes
from cogs.generate.state import ReplyState
from cogs.generate.thread import ThreadPoster, failed_posts

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

log = logging.getLogger(__name__)

FINAL_EDIT_ATTEMPTS = 3
# what a member waits for: edited in as soon as the channel allows (so are final states)
URGENT = (AnalysisDone, ClipCompleted)
# events that change what the reply shows enough to be worth an edit
SHOWN = (
    Queued,
    Started,
    AnalysisDone,
    ClipCompleted,
    ClipFailed,
    Stitched,
    Finished,
    Failed,
    Cancelled,
)


class ReplyUpdater:
    def __init__(self, bot: Reelbot, *, min_interval: float = 1.0) -> None:
        self._bot = bot
        self._repo = bot.services.repo
        self._min_interval = min_interval
        self._states: dict[int, ReplyState] = {}
        self._backlog: dict[int, list[Event]] = {}  # events that came while a state loads
        self._dirty: set[int] = set()
        self._flushers: dict[int, asyncio.Task[None]] = {}
        self._last_edit: dict[int, float] = {}
        self._ready: dict[int, dict[int, Path]] = {}  # completed clips not yet posted, by index
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._shown: set[int] = set()  # final state shown; settled once thread posts are done
        # One edit at a time per channel; when it has room, urgent changes (the analysis, a clip
        # done, the final state) go before the others, the most clips not yet shown first.
        self._lanes = EditLanes()
        self._urgent: dict[int, float] = {}  # generation id → since when it has one waiting
        self._shown_done: dict[int, int] = {}  # clips shown done by the last edit
        self.threads = ThreadPoster(bot)
        self.threads.on_failure = self._refresh
        self._posts = self.threads.queued  # thread posts, chained in order per generation

    # state -------------------------------------------------------------------------------

    def track(self, state: ReplyState) -> None:
        """Follow a generation whose reply was just sent (its first render is that reply)."""
        self._states[state.generation_id] = state
        self._last_edit[state.generation_id] = time.monotonic()
        self.post(state.generation_id, self.threads.ensure_thread)

    def _refresh(self, state: ReplyState) -> None:
        """Edit the reply to what `state` shows now (a post that failed, say)."""
        gid = state.generation_id
        if self._closed or self._states.get(gid) is not state:
            return
        self._dirty.add(gid)
        flusher = self._flushers.get(gid)
        if flusher is None or flusher.done():
            self._flushers[gid] = self._spawn(self._flush(gid), name=f"reply-edit-{gid}")

    def state(self, generation_id: int) -> ReplyState | None:
        return self._states.get(generation_id)

    def show(self, state: ReplyState) -> None:
        """Follow a generation loaded from the database and edit its reply to `state`."""
        gid = state.generation_id
        self._states[gid] = state
        self._dirty.add(gid)
        if state.final:
            self._mark_urgent(gid)
        flusher = self._flushers.get(gid)
        if flusher is None or flusher.done():
            self._flushers[gid] = self._spawn(self._flush(gid), name=f"reply-edit-{gid}")

    def repair(self) -> None:
        """In the background: show the final state of generations that ended just before a
        crash, before their reply and thread were brought up to date."""
        self._spawn(recovery.repair(self, self._bot), name="reply-repair")

    def handle(self, event: Event) -> None:
        """The bus subscriber: update the state, then schedule an edit and thread posts."""
        if self._closed:
            return
        gid = event.generation_id
        if gid in self._backlog:
            self._backlog[gid].append(event)
            return
        state = self._states.get(gid)
        if state is None:
            self._backlog[gid] = [event]
            self._spawn(self._load(gid), name=f"reply-load-{gid}")
            return
        self._apply(state, event)

    async def _load(self, gid: int) -> None:
        try:
            generation = await self._repo.generation(gid)
            if generation is None or generation.source != "discord":
                return
            generation = await recovery.find_reply(self._bot, generation)  # id lost in a crash?
            if generation is None:
                return
            clips = await self._repo.clips(gid)
            state = ReplyState.from_rows(generation, clips)
            state.post_failures = failed_posts(await self._repo.posts(gid))
            self._states[gid] = state
            recovery.catch_up(self, generation, clips)  # posts a crash kept from the thread
            if state.final:  # it ended before this process showed anything (e.g. at resume)
                self.show(state)
        finally:
            backlog = self._backlog.pop(gid, [])
        for event in backlog:
            self._apply(state, event)

    def _apply(self, state: ReplyState, event: Event) -> None:
        if not state.apply(event):
            return
        gid = state.generation_id
        if isinstance(event, AnalysisDone):
            shot_list = event.shot_list
            self.post(gid, lambda s: self.threads.post_shot_list(s, shot_list))
        elif isinstance(event, ClipCompleted):
            self._ready.setdefault(gid, {})[event.index] = event.path
        if isinstance(event, ClipCompleted | ClipFailed) or state.final:
            self._release_clips(state)
        if isinstance(event, URGENT) or state.final:
            self._mark_urgent(gid)
        if isinstance(event, SHOWN):
            self._dirty.add(gid)
            flusher = self._flushers.get(gid)
            if flusher is None or flusher.done():
                self._flushers[gid] = self._spawn(self._flush(gid), name=f"reply-edit-{gid}")

    # edits -------------------------------------------------------------------------------

    def _mark_urgent(self, gid: int) -> None:
        self._urgent.setdefault(gid, time.monotonic())

    def _rank(self, gid: int) -> tuple[int, int, float]:
        """Which waiting reply the channel's next edit goes to: urgent first, then the one
        with the most clips done and not yet shown, then the one waiting longest."""
        state = self._states.get(gid)
        unshown = state.done_count - self._shown_done.get(gid, 0) if state else 0
        since = self._urgent.get(gid)
        return (0 if since is not None else 1, -unshown, since or 0.0)

    async def _flush(self, gid: int) -> None:
        while gid in self._dirty:
            wait = self._last_edit.get(gid, 0.0) + self._min_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            state = self._states[gid]
            posts = self._posts.get(gid)
            if state.final and posts is not None and not posts.done():
                await asyncio.wait([posts])  # the final state comes after the thread is complete
            async with self._lanes.turn(state.channel_id, lambda: self._rank(gid)):
                self._dirty.discard(gid)
                self._urgent.pop(gid, None)
                self._shown_done[gid] = state.done_count
                await self._edit(state)
            self._last_edit[gid] = time.monotonic()
            if state.final and gid not in self._dirty:
                self._forget_later(gid)

    async def _edit(self, state: ReplyState) -> None:
        if state.channel_id is None or state.message_id is None:
            return
        message = self._bot.get_partial_messageable(state.channel_id).get_partial_message(
            state.message_id
        )
        attempts = FINAL_EDIT_ATTEMPTS if state.final else 1
        for attempt in range(1, attempts + 1):
            try:
                await message.edit(
                    embed=render.embed(state), view=render.view(state), allowed_mentions=NO_MENTIONS
                )
                if state.final:
                    self._shown.add(state.generation_id)
                return
            except discord.NotFound:
                log.warning("reply of generation %s is gone; no more edits", state.generation_id)
                self._shown.add(state.generation_id)
                return
            except discord.HTTPException as exc:
                log.warning(
                    "editing the reply of generation %s failed (attempt %d/%d): %s",
                    state.generation_id,
                    attempt,
                    attempts,
                    exc,
                )
                if attempt < attempts:
                    await asyncio.sleep(2.0 * attempt)

    def _forget_later(self, gid: int) -> None:
        """Drop a finished generation's state once its thread posts are done."""

        async def forget() -> None:
            posts = self._posts.get(gid)
            if posts is not None:
                await asyncio.wait([posts])
            if gid not in self._dirty and self._states.get(gid) and self._states[gid].final:
                self._states.pop(gid, None)
                self._last_edit.pop(gid, None)
                self._flushers.pop(gid, None)
                self._posts.pop(gid, None)
                self._urgent.pop(gid, None)
                self._shown_done.pop(gid, None)
                if gid in self._shown:  # reply and thread show the final state: settled
                    self._shown.discard(gid)
                    await self._repo.mark_settled(gid)

        self._spawn(forget(), name=f"reply-forget-{gid}")

    # thread posts, in order --------------------------------------------------------------

    def _release_clips(self, state: ReplyState) -> None:
        """Post completed clips in scene order: a clip that finished early waits for the ones
        before it to finish or fail (or for the generation to end)."""
        gid = state.generation_id
        ready = self._ready.get(gid, {})
        for index in sorted(ready):
            earlier = state.clips[:index]
            if not state.final and any(ClipShows(s).pending for s in earlier):
                break
            path = ready.pop(index)
            self.post(gid, functools.partial(self.threads.post_clip, index=index, path=path))
        if not ready:
            self._ready.pop(gid, None)

    def post(self, gid: int, job: Callable[[ReplyState], Awaitable[None]]) -> None:
        if self._closed:
            return  # the next start catches the thread up (recovery.catch_up)
        previous = self._posts.get(gid)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            state = self._states.get(gid)
            if state is not None:
                await job(state)

        self._posts[gid] = self._spawn(run(), name=f"thread-post-{gid}")

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
