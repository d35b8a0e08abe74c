"""Finding what a member should see after a crash, for the updater to show.

A SIGKILL can land between any two steps of the Discord side: after the interaction response
but before its message id was stored; after a clip was stored but before it was posted; after
the generation ended but before its reply showed it. The runner resumes unfinished work; these
functions find the lost reply and return each reply as stored with the thread posts a crash
may have kept from it (each post is recorded, so nothing is posted twice). The caller
(`updater.ReplyUpdater`) shows them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import discord

from bot.pipeline.analysis.shotlist import ShotList
from cogs.generate.state import ReplyState
from cogs.generate.thread import failed_posts
from storage.models import ClipStatus, Generation

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot
    from storage.repository import Repository

log = logging.getLogger(__name__)

REPLY_SEARCH_LIMIT = 100
REPAIR_WINDOW = 24 * 3600.0  # final states older than this are left as they are


@dataclass(frozen=True, slots=True)
class Found:
    """A reply as stored, and the thread posts that may be missing from it: the shot list and
    every clip already made (the poster skips those recorded)."""

    state: ReplyState
    shot_list: ShotList | None
    clips: list[tuple[int, Path]]  # (index, file) of each clip made


async def find_reply(bot: Reelbot, generation: Generation) -> Generation | None:
    """The generation with its reply's id, found in its channel when the id was never stored
    (the bot's own message, sent after the generation was created, whose footer names it);
    None when there is no such message."""
    if generation.message_id:
        return generation
    if not generation.channel_id or bot.user is None:
        return None
    after = discord.Object(
        id=discord.utils.time_snowflake(datetime.fromtimestamp(generation.created_at - 5, UTC))
    )
    marker = f"Generation #{generation.id} "
    channel = bot.get_partial_messageable(generation.channel_id)
    try:
        async for message in channel.history(limit=REPLY_SEARCH_LIMIT, after=after):
            footer = message.embeds[0].footer.text if message.embeds else None
            if message.author.id == bot.user.id and footer and footer.startswith(marker):
                await bot.services.repo.set_message(
                    generation.id,
                    guild_id=generation.guild_id,
                    channel_id=generation.channel_id,
                    message_id=message.id,
                )
                log.info("found the reply of generation %s: %s", generation.id, message.id)
                return await bot.services.repo.generation(generation.id)
    except discord.HTTPException as exc:
        log.warning("looking for the reply of generation %s failed: %s", generation.id, exc)
    return None


async def load(bot: Reelbot, generation_id: int) -> Found | None:
    """The reply of a generation this process did not follow (it ran before a restart, or the
    reply's id was lost in a crash); None when it has no reply on Discord."""
    generation = await bot.services.repo.generation(generation_id)
    if generation is None or generation.source != "discord":
        return None
    generation = await find_reply(bot, generation)
    if generation is None:
        return None
    return await _found(bot.services.repo, generation)


async def unsettled(bot: Reelbot) -> list[Found]:
    """Generations that ended without their reply (or thread) being brought up to date."""
    repo = bot.services.repo
    pending = await repo.unsettled("discord", since=time.time() - REPAIR_WINDOW)
    return [await _found(repo, generation) for generation in pending]


async def _found(repo: Repository, generation: Generation) -> Found:
    clips = await repo.clips(generation.id)
    state = ReplyState.from_rows(generation, clips, await repo.versions(generation.id))
    state.post_failures = failed_posts(await repo.posts(generation.id))
    shot_list = ShotList.model_validate_json(generation.shot_list) if generation.shot_list else None
    made = [
        (clip.index, Path(clip.output_path))
        for clip in clips
        if clip.status is ClipStatus.SUCCEEDED and clip.output_path
    ]
    return Found(state, shot_list, [(index, path) for index, path in made if path.is_file()])
