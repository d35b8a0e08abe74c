"""/history: the caller's own generations, privately, paged."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.tree import NO_MENTIONS
from cogs.history.buttons import PageButton, history_page

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot


class HistoryCog(commands.Cog):
    """/history and its paging buttons (added while the cog is loaded); holds only the bot,
    whose repository it reads."""

    def __init__(self, bot: Reelbot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(PageButton)

    @app_commands.command(name="history")
    @app_commands.describe(page="Which page, newest first (default 1)")
    async def history(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 100000] = 1
    ) -> None:
        """Your films, newest first (only you see this)."""
        embed, view = await history_page(self.bot, interaction.user.id, page)
        await interaction.response.send_message(
            embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
