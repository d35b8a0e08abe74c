"""/generate, /cancel, the live reply, its thread and the film's delivery."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.generate.buttons import CancelButton, RetryButton
from cogs.generate.cog import GenerateCog, generate_command
from cogs.generate.delivery import DiscordDeliverer
from cogs.generate.recovery import find_reply
from cogs.generate.reroll import RerollButton, submitted_after_restart
from cogs.generate.updater import ReplyUpdater
from cogs.generate.withheld import WithheldNotifier

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot
    from storage.models import Generation


async def setup(bot: Reelbot) -> None:
    updater = ReplyUpdater(bot, min_interval=bot.settings.reply_edit_seconds)
    bot.services.bus.subscribe(updater.handle)
    bot.services.bus.subscribe(WithheldNotifier(bot).handle)
    updater.repair()
    bot.services.runner.register_deliverer("discord", DiscordDeliverer(bot, updater.threads))

    async def has_reply(generation: Generation) -> bool:
        return await find_reply(bot, generation) is not None

    bot.services.runner.register_reply_finder("discord", has_reply)
    bot.add_dynamic_items(CancelButton, RetryButton, RerollButton)
    bot.add_listener(submitted_after_restart, "on_interaction")
    cog = GenerateCog(bot, updater)
    await bot.add_cog(cog)
    bot.tree.add_command(generate_command(cog, bot.settings.max_clips))


async def teardown(bot: Reelbot) -> None:
    bot.tree.remove_command("generate")
    bot.remove_listener(submitted_after_restart, "on_interaction")
