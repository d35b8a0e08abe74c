"""Making what a member sees catch up with the database after a crash.

A SIGKILL can land between any two steps of the Discord side: after the interaction response
but before its message id was stored; after a clip was stored but before it was posted; after
the generation ended but before its reply showed it. The runner resumes unfinished work; these
helpers find the lost reply, post what the thread misses (each post is recorded, so nothing
is posted twice) and show the final state of generations that ended just before the crash.
"""

from __future__ import annotations

import functools
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import discord

from bot.pipeline.shotlist import ShotList
from cogs.generate.state import ReplyState
from cogs.generate.thread import failed_posts
from storage.models import Clip, ClipStatus, Generation

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot
    from cogs.generate.updater import ReplyUpdater

log = logging.getLogger(__name__)

REPLY_SEARCH_LIMIT = 100
REPAIR_WINDOW = 24 * 3600.0  # final states older than this are left as they are


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


def catch_up(updater: ReplyUpdater, generation: Generation, clips: list[Clip]) -> None:
    """Queue the thread posts a crash may have missed: the shot list and every clip already
    made (each is skipped when its post was recorded)."""
    gid = generation.id
    if generation.shot_list:
        shot_list = ShotList.model_validate_json(generation.shot_list)
        updater.post(gid, lambda s: updater.threads.post_shot_list(s, shot_list))
    for clip in clips:
        if clip.status is ClipStatus.SUCCEEDED and clip.output_path:
            path, index = Path(clip.output_path), clip.index
            if path.is_file():
                updater.post(
                    gid, functools.partial(updater.threads.post_clip, index=index, path=path)
                )


async def repair(updater: ReplyUpdater, bot: Reelbot) -> None:
    """Show the final state of generations that ended without their reply (or thread) being
    brought up to date."""
    repo = bot.services.repo
    pending = await repo.unsettled("discord", since=time.time() - REPAIR_WINDOW)
    for generation in pending:
        clips = await repo.clips(generation.id)
        state = ReplyState.from_rows(generation, clips)
        state.post_failures = failed_posts(await repo.posts(generation.id))
        log.info("showing the final state of generation %s (%s)", generation.id, state.status)
        updater.show(state)
        catch_up(updater, generation, clips)
