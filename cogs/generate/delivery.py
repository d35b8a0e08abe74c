"""Delivering the film: by DM, attached (made smaller to fit); in the thread when DMs are closed.

Exactly once: a delivery already recorded is not repeated, and the message carries a nonce
that Discord enforces for a few minutes, so a send retried after a crash within them returns
the first message (past them, the crash's window is a duplicate: see docs/reliability.md).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import discord

from bot.pipeline import media
from bot.pipeline.errors import DeliveryError, MediaError
from bot.retry import Retries
from bot.tree import NO_MENTIONS
from cogs.generate.thread import ThreadPoster, read_file, upload_limit
from storage.models import Generation

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

log = logging.getLogger(__name__)

DM_REFUSED = 50007


class DiscordDeliverer:
    """The runner's deliverer for generations made on Discord. Holds no state of its own: what
    was delivered is recorded in the generation's posts; it uses the thread poster to post the
    film after the clips when DMs are closed."""

    def __init__(
        self, bot: Reelbot, threads: ThreadPoster, *, retries: Retries | None = None
    ) -> None:
        self._bot = bot
        self._repo = bot.services.repo
        self._threads = threads
        # a send Discord fails for a moment (5xx, 429, a dropped connection) is tried again;
        # the nonce makes a repeat that did land return the first message
        self._sends = (retries or Retries()).discord_post

    async def deliver(self, generation: Generation, film: Path, *, version: int = 1) -> str:
        """Send the film (`version` > 1: a reroll's new cut, sent as that version)."""
        key, tag = ("film", "") if version == 1 else (f"film:v{version}", f"-v{version}")
        done = (await self._repo.posts(generation.id)).get(key)
        if done is not None:
            return done
        # fitted to a DM's limit (10 MiB), which no guild's is below: it fits the thread too
        limit = upload_limit(self._bot, None)
        try:
            small = film.with_name(f"film{tag}-small.mp4")
            fitted = await media.fit_to_size(film, small, limit)
        except MediaError as exc:
            raise DeliveryError(
                f"the film could not be made small enough to send: {exc.reason}"
            ) from exc
        title = discord.utils.escape_markdown(generation.title or "Your film")
        if version > 1:
            title += f" (v{version})"
            asked_by = await self._repo.started_by(generation.id)
            if asked_by is not None and asked_by != generation.owner_id:  # a moderator's Reroll
                title += f", rerolled at the request of <@{asked_by}>"
        nonce = f"reelbot-film-{generation.id}{tag}"  # ≤ 25 characters, as Discord allows
        try:
            links = self._gallery_lines(generation.id, version, shrunk=fitted != film)
            ref = await self._sends.call(
                lambda: self._by_dm(generation, fitted, title, nonce, tag, links),
                "sending generation %s by DM",
                generation.id,
            )
        except discord.Forbidden as exc:
            if exc.code != DM_REFUSED:
                raise DeliveryError(f"Discord refused the DM: {exc.text}") from exc
            log.info(
                "DMs of member %s are closed; posting generation %s in its thread",
                generation.owner_id,
                generation.id,
            )
            ref = await self._sends.call(
                lambda: self._in_thread(generation, fitted, title, nonce, tag),
                "posting generation %s in its thread",
                generation.id,
            )
        except discord.HTTPException as exc:
            raise DeliveryError(f"Discord did not take the film: {exc.status} {exc.text}") from exc
        await self._repo.record_post(generation.id, key, ref)
        return ref

    def _gallery_lines(self, generation_id: int, version: int, *, shrunk: bool) -> str:
        """The web gallery's links for the DM (none when it is off): the film at full quality
        when the file sent was shrunk for Discord's limit, and a share link."""
        links = self._bot.gallery
        if links is None:
            return ""
        full = f"\nFull quality: <{links.download_url(generation_id, version)}>" if shrunk else ""
        return f"{full}\nShare: <{links.film_url(generation_id, version)}>"

    async def _by_dm(
        self, generation: Generation, film: Path, title: str, nonce: str, tag: str, links: str
    ) -> str:
        channel = await self._bot.create_dm(discord.Object(id=generation.owner_id))
        message = await channel.send(
            content=f"🎬 **{title}** — your film from generation #{generation.id} is ready."
            + links,
            file=await read_file(film, f"reelbot-{generation.id}{tag}.mp4"),
            nonce=nonce,
            allowed_mentions=NO_MENTIONS,
        )
        return f"dm:{channel.id}/{message.id}"

    async def _in_thread(
        self, generation: Generation, film: Path, title: str, nonce: str, tag: str
    ) -> str:
        target_id = generation.thread_id or generation.channel_id
        if not target_id:
            raise DeliveryError("your DMs are closed and there is no thread to post the film in")
        target = self._bot.get_partial_messageable(target_id)
        owner = discord.Object(id=generation.owner_id)
        extra: dict[str, discord.MessageReference] = {}
        if target_id == generation.channel_id and generation.message_id:
            extra["reference"] = discord.MessageReference(
                message_id=generation.message_id, channel_id=target_id, fail_if_not_exists=False
            )
        await self._threads.drain(generation.id)  # the clips first, then the film
        try:
            message = await target.send(  # type: ignore[call-overload]
                content=f"<@{generation.owner_id}> your DMs are closed, so here is **{title}**.",
                file=await read_file(film, f"reelbot-{generation.id}{tag}.mp4"),
                nonce=nonce,
                **extra,
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[owner]
                ),
            )
        except discord.HTTPException as exc:
            raise DeliveryError(
                f"your DMs are closed and posting the film failed: {exc.text}"
            ) from exc
        return f"thread:{target_id}/{message.id}"
