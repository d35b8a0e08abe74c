"""The thread on each reply: created once, then the shot list and each clip, each posted once."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import discord

from bot.pipeline import media
from bot.pipeline.errors import MediaError
from bot.pipeline.shotlist import ShotList
from bot.tree import NO_MENTIONS
from cogs.generate.state import ReplyState

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

log = logging.getLogger(__name__)

DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
NO_THREAD = 0  # stored thread id when the bot may not create threads there
THREAD_EXISTS = 160004  # "A thread has already been created for this message"


def shot_list_text(shot_list: ShotList) -> str:
    """The shot list as one message (≤ 2000 characters)."""
    title = discord.utils.escape_markdown(shot_list.title)
    head = f"**{title}**\n*{discord.utils.escape_markdown(shot_list.style)[:400]}*\n"
    room = (2000 - len(head)) // max(1, len(shot_list.scenes)) - 12
    scenes = [
        f"{i}. ({s.duration}s) {discord.utils.escape_markdown(s.prompt)[: max(40, room)]}"
        + (f"\n   🎙️ “{discord.utils.escape_markdown(s.narration)[:200]}”" if s.narration else "")
        for i, s in enumerate(shot_list.scenes, start=1)
    ]
    return (head + "\n".join(scenes))[:2000]


async def read_file(path: Path, name: str) -> discord.File:
    """A `discord.File` whose bytes were read off the event loop."""
    data = await asyncio.to_thread(path.read_bytes)
    return discord.File(io.BytesIO(data), filename=name)


class ThreadPoster:
    def __init__(self, bot: Reelbot) -> None:
        self._bot = bot
        self._repo = bot.services.repo
        self.upload_limits: dict[int, int] = {}  # generation id → limit the interaction reported
        self.queued: dict[int, asyncio.Task[None]] = {}  # generation id → its last queued post

    def upload_limit(self, generation_id: int) -> int:
        return self.upload_limits.get(generation_id, DEFAULT_UPLOAD_LIMIT)

    async def drain(self, generation_id: int) -> None:
        """Until the posts queued for the generation so far are done (so the film, posted
        here when DMs are closed, comes after its clips)."""
        task = self.queued.get(generation_id)
        if task is not None and not task.done():
            await asyncio.wait([task])

    async def ensure_thread(self, state: ReplyState) -> None:
        if state.thread_id is not None or state.channel_id is None or state.message_id is None:
            return
        name = (state.title or state.prompt).replace("\n", " ")[:90] or "Reelbot film"
        try:
            thread = await self._bot.http.start_thread_with_message(
                state.channel_id, state.message_id, name=name, auto_archive_duration=1440
            )
        except discord.Forbidden:
            log.warning("no permission to create a thread in channel %s", state.channel_id)
            state.thread_id = NO_THREAD
        except discord.HTTPException as exc:
            if exc.code == THREAD_EXISTS:  # created before a crash: its id is the message's
                state.thread_id = state.message_id
                await self._repo.set_thread(state.generation_id, state.thread_id)
                return
            log.warning("creating the thread of generation %s failed: %s", state.generation_id, exc)
            return
        else:
            state.thread_id = int(thread["id"])
        await self._repo.set_thread(state.generation_id, state.thread_id)

    async def _send_once(self, state: ReplyState, key: str, **kwargs: object) -> None:
        """Post in the thread unless `key` was posted already (restarts included)."""
        await self.ensure_thread(state)
        if not state.thread_id:
            return
        if key in await self._repo.posts(state.generation_id):
            return
        thread = self._bot.get_partial_messageable(state.thread_id)
        try:
            message = await thread.send(  # type: ignore[call-overload]
                # a nonce Discord enforces: a post resent after a crash returns the first one
                nonce=f"rb-{state.generation_id}-{key}",
                allowed_mentions=NO_MENTIONS,
                **kwargs,
            )
        except discord.HTTPException as exc:
            log.warning("posting %s of generation %s failed: %s", key, state.generation_id, exc)
            return
        await self._repo.record_post(state.generation_id, key, f"{thread.id}/{message.id}")

    async def post_shot_list(self, state: ReplyState, shot_list: ShotList) -> None:
        await self._send_once(state, "shot_list", content=shot_list_text(shot_list))

    async def post_clip(self, state: ReplyState, index: int, path: Path) -> None:
        total = len(state.clips)
        label = f"Clip {index + 1}/{total}"
        limit = self.upload_limit(state.generation_id)
        try:  # a clip over the upload limit is attached transcoded smaller
            fitted = await media.fit_to_size(
                path, path.with_name(f"clip-{index + 1}-small.mp4"), limit
            )
        except MediaError as exc:
            log.warning("clip %d of generation %s: %s", index + 1, state.generation_id, exc)
            size = await asyncio.to_thread(lambda: path.stat().st_size)
            await self._send_once(
                state,
                f"clip:{index}",
                content=f"{label} is {size / 1024 / 1024:.1f} MiB, too large to attach here.",
            )
            return
        file = await read_file(fitted, f"clip-{index + 1}.mp4")
        await self._send_once(state, f"clip:{index}", content=label, file=file)
