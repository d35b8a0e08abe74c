"""/generate, /cancel, the live reply, its thread and the film's delivery."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.retry import Retries
from cogs.generate.cog import GenerateCog
from cogs.generate.delivery import DiscordDeliverer
from cogs.generate.updater import ReplyUpdater

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot


async def setup(bot: Reelbot) -> None:
    """Build the front-end; the cog wires it in when it loads and out when it unloads
    (`GenerateCog.cog_load` / `cog_unload`, run by `bot.unload_extension`)."""
    retries = Retries(wait_scale=bot.settings.retry_wait_scale)
    updater = ReplyUpdater(bot, min_interval=bot.settings.reply_edit_seconds, retries=retries)
    deliverer = DiscordDeliverer(bot, updater.threads, retries=retries)
    await bot.add_cog(GenerateCog(bot, updater, deliverer))
