"""The thread on each reply: created once, then the shot list and each clip, each posted once.

Where Discord cannot start a thread on the reply (the command was used in a thread, a forum
post or a voice channel's chat; or the bot may not create threads or post in them) the posts
go in the channel itself, and that choice is stored so no later post asks again. Each post is
recorded, or recorded failed with its reason (shown on the reply), so a restart never posts
anything twice and nothing goes missing unsaid; a post Discord fails for a moment (5xx, 429,
a dropped connection) is tried again (`bot.retry`'s Discord-post policy).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot import tasks
from bot.pipeline import media
from bot.pipeline.analysis.shotlist import ShotList
from bot.pipeline.errors import MediaError
from bot.pipeline.events import Portrait
from bot.retry import Retries
from bot.tree import NO_MENTIONS
from cogs.generate import cast as cast_posts
from cogs.generate import permissions
from cogs.generate.reroll import RerollButton
from cogs.generate.state import ReplyState

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

log = logging.getLogger(__name__)

Spawn = Callable[..., "asyncio.Task[None]"]  # bot.tasks.spawn: (coroutine, *, name) → its task

# Discord's limit on the bot's uploads without boosts, and in every DM (discord.py's
# DEFAULT_FILE_SIZE_LIMIT_BYTES, 10 MiB); a guild's boost tier raises it (Guild.filesize_limit).
DEFAULT_UPLOAD_LIMIT = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
NO_THREAD = 0  # stored by earlier versions when no thread could be made: posts go in the channel
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
WRONG_CHANNEL_TYPE = 50024  # "Cannot execute action on this channel type"
MISSING_ACCESS, MISSING_PERMISSIONS = 50001, 50013
TOO_LARGE = 40005  # "Request entity too large"
FAILED = "failed:"  # a post recorded as failed: the prefix, then the reason


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


def upload_limit(bot: Reelbot, channel_id: int | None) -> int:
    """The largest file the bot may upload in a channel: the guild's boost tier there (never
    the member's own Nitro limit), 10 MiB in a DM; lowered by MAX_UPLOAD_BYTES."""
    channel = bot.get_channel(channel_id) if channel_id else None
    guild = getattr(channel, "guild", None)
    limit = guild.filesize_limit if isinstance(guild, discord.Guild) else DEFAULT_UPLOAD_LIMIT
    cap = bot.settings.max_upload_bytes
    return min(limit, cap) if cap else limit


def failed_posts(posts: dict[str, str]) -> dict[str, str]:
    """Recorded posts that failed: key → reason."""
    return {k: v.removeprefix(FAILED) for k, v in posts.items() if v.startswith(FAILED)}


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        if exc.status == 413 or exc.code == TOO_LARGE:
            return "the file is over this server's upload limit (Discord answered 413)"
        if exc.status == 403:
            return f"Discord refused it ({exc.text or 'Forbidden'}, code {exc.code})"
        return f"Discord answered {exc.status} {exc.text or ''}".rstrip()
    return f"Discord could not be reached ({type(exc).__name__})"


async def read_file(path: Path, name: str) -> discord.File:
    """A `discord.File` whose bytes were read off the event loop."""
    data = await asyncio.to_thread(path.read_bytes)
    return discord.File(io.BytesIO(data), filename=name)


class ThreadPoster:
    """Owns the chain of posts queued for each generation (run in order, one at a time; an
    entry goes when its last post is done) and posts them: in the thread on its reply, or in
    the channel where no thread can be. Where the posts go is stored on the generation, what
    was posted (or failed, with its reason, into the state's `post_failures`) in its posts."""

    def __init__(
        self, bot: Reelbot, *, retries: Retries | None = None, spawn: Spawn = tasks.spawn
    ) -> None:
        self._bot = bot
        self._posts = (retries or Retries()).discord_post  # 5xx, 429, a dropped connection
        self._repo = bot.services.repo
        self._spawn = spawn
        self._chains: dict[int, asyncio.Task[None]] = {}  # generation id → its last queued post

    def queue(self, generation_id: int, post: Callable[[], Awaitable[None]]) -> None:
        """Run `post` once every post queued before it for the generation is done."""
        previous = self._chains.get(generation_id)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await post()

        task = self._spawn(run(), name=f"thread-post-{generation_id}")
        self._chains[generation_id] = task

        def done(finished: asyncio.Task[None]) -> None:
            if self._chains.get(generation_id) is finished:
                del self._chains[generation_id]

        task.add_done_callback(done)

    async def drain(self, generation_id: int) -> None:
        """Until the posts queued for the generation so far are done (so the film, posted
        here when DMs are closed, comes after its clips; the final state after its thread)."""
        task = self._chains.get(generation_id)
        if task is not None and not task.done():
            await asyncio.wait([task])

    @staticmethod
    def target(state: ReplyState) -> int | None:
        """Where the generation's posts go, once decided: its thread or its channel."""
        if state.thread_id is None:
            return None
        return state.thread_id or state.channel_id

    async def ensure_thread(self, state: ReplyState) -> None:
        """Decide where the posts go (once; stored): a thread started on the reply, or the
        channel itself where Discord cannot start one or the bot may not use it."""
        if state.thread_id is not None or state.channel_id is None or state.message_id is None:
            return
        channel = self._bot.get_channel(state.channel_id)
        guild = getattr(channel, "guild", None)
        me = guild.me if isinstance(guild, discord.Guild) else None
        if permissions.can_start_thread(channel, me) is False:
            log.info(
                "generation %s posts in channel %s: no thread can be started or used there",
                state.generation_id,
                state.channel_id,
            )
            await self._settle_target(state, state.channel_id)
            return
        name = (state.title or state.prompt).replace("\n", " ")[:90] or "Reelbot film"
        if not isinstance(guild, discord.Guild) and state.guild_id is not None:
            guild = self._bot.get_guild(state.guild_id)  # the channel is not cached here
        if guild is None:  # not in this process's cache: a Thread cannot be made without it
            log.info(
                "generation %s posts in channel %s: its server is not known to this process",
                state.generation_id,
                state.channel_id,
            )
            await self._settle_target(state, state.channel_id)
            return
        message = self._bot.get_partial_messageable(
            state.channel_id, guild_id=guild.id
        ).get_partial_message(state.message_id)
        try:
            thread = await self._posts.call(
                lambda: message.create_thread(name=name, auto_archive_duration=1440),
                "creating the thread of generation %s",
                state.generation_id,
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_EXISTS:  # created before a crash: its id is the message's
                await self._settle_target(state, state.message_id)
                return
            if exc.status == 403 or exc.code == WRONG_CHANNEL_TYPE:
                log.warning(
                    "%s in channel %s (code %s): posting there",
                    "no permission to create a thread"
                    if exc.status == 403
                    else "Discord cannot start a thread",
                    state.channel_id,
                    exc.code,
                )
            else:
                log.warning(
                    "creating the thread of generation %s failed: %s; posting in the channel",
                    state.generation_id,
                    exc,
                )
            await self._settle_target(state, state.channel_id)
            return
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("creating the thread of generation %s failed: %r", state.generation_id, exc)
            await self._settle_target(state, state.channel_id)
            return
        await self._settle_target(state, thread.id)

    async def _settle_target(self, state: ReplyState, target: int) -> None:
        state.thread_id = target
        await self._repo.set_thread(state.generation_id, target)

    async def _send_once(
        self,
        state: ReplyState,
        key: str,
        make: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        """Post unless `key` was posted (or failed) already, restarts included; the message
        comes from `make` (called again for each attempt: a sent file is consumed)."""
        await self.ensure_thread(state)
        target = self.target(state)
        if target is None or key in await self._repo.posts(state.generation_id):
            return
        channel = self._bot.get_partial_messageable(target)

        async def send() -> discord.Message:
            return await channel.send(  # type: ignore[call-overload, no-any-return]
                # Discord enforces the nonce for a few minutes: a post resent after a
                # crash within them returns the first message
                nonce=f"rb-{state.generation_id}-{key}",
                allowed_mentions=NO_MENTIONS,
                **await make(),
            )

        try:
            message = await self._posts.call(
                send, "posting %s of generation %s", key, state.generation_id
            )
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            await self._record_failure(state, key, failure_reason(exc))
            return
        await self._repo.record_post(state.generation_id, key, f"{target}/{message.id}")

    async def _record_failure(self, state: ReplyState, key: str, reason: str) -> None:
        log.warning("%s of generation %s could not be posted: %s", key, state.generation_id, reason)
        if await self._repo.record_post(state.generation_id, key, FAILED + reason):
            state.post_failures[key] = reason  # the reply says so at its next edit

    async def post_shot_list(self, state: ReplyState, shot_list: ShotList) -> None:
        text = shot_list_text(shot_list)

        async def make() -> dict[str, Any]:
            return {"content": text}

        await self._send_once(state, "shot_list", make)

    async def post_portrait(self, state: ReplyState, portrait: Portrait) -> None:
        """One character of the cast sheet (issue 24), before the clips: the portrait with its
        Recast button, or why there is none (posted once per take)."""
        await self._send_once(state, cast_posts.key(portrait), cast_posts.message(state, portrait))

    async def post_cast_note(self, state: ReplyState, note: str) -> None:
        """What could not use the cast (said once)."""

        async def make() -> dict[str, Any]:
            return {"content": cast_posts.note_text(note)}

        await self._send_once(state, "cast:note", make)

    async def post_clip(self, state: ReplyState, index: int, path: Path) -> None:
        """Post the clip with its Reroll button (a reroll's take as "v2", posted once too)."""
        total = len(state.clips)
        take = state.changed.get(index, 1)
        label = f"Clip {index + 1}/{total}" + (f" · v{take}" if take > 1 else "")
        key = f"clip:{index}" + (f":v{take}" if take > 1 else "")
        await self.ensure_thread(state)
        if key in await self._repo.posts(state.generation_id):
            return
        limit = upload_limit(self._bot, self.target(state) or state.channel_id)
        try:  # a clip over the upload limit is attached transcoded smaller
            fitted = await media.fit_to_size(path, path.with_name(f"{path.stem}-small.mp4"), limit)
        except MediaError as exc:
            size = await asyncio.to_thread(lambda: path.stat().st_size)
            reason = (
                f"it is {size / 1024 / 1024:.1f} MiB and could not be made to fit the "
                f"{limit / 1024 / 1024:.0f} MiB upload limit here ({exc.reason})"
            )
            await self._record_failure(state, key, reason)
            return

        async def make() -> dict[str, Any]:
            reroll = discord.ui.View(timeout=None).add_item(
                RerollButton(state.generation_id, index)
            )
            file = await read_file(fitted, path.name)
            return {"content": label, "file": file, "view": reroll}

        await self._send_once(state, key, make)
