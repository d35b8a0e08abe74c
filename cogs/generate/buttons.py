"""Cancel and Retry: persistent buttons that carry the generation id and survive a restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.tree import UserFacingError, handle_error
from cogs.generate.access import check_may_manage

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot


def _bot(interaction: discord.Interaction) -> Reelbot:
    return interaction.client  # type: ignore[return-value]


class CancelButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"reelbot:cancel:(?P<id>\d+)"
):
    def __init__(self, generation_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Cancel",
                style=discord.ButtonStyle.danger,
                custom_id=f"reelbot:cancel:{generation_id}",
            )
        )
        self.generation_id = generation_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self._cancel(interaction)
        except Exception as exc:
            await handle_error(interaction, exc)

    async def _cancel(self, interaction: discord.Interaction) -> None:
        services = _bot(interaction).services
        generation = check_may_manage(
            interaction, await services.repo.generation(self.generation_id)
        )
        await interaction.response.defer()
        if not await services.runner.cancel(generation.id):
            await interaction.followup.send("That generation had already ended.", ephemeral=True)


class RetryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"reelbot:retry:(?P<id>\d+)"
):
    def __init__(self, generation_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Retry",
                style=discord.ButtonStyle.primary,
                custom_id=f"reelbot:retry:{generation_id}",
            )
        )
        self.generation_id = generation_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self._retry(interaction)
        except Exception as exc:
            await handle_error(interaction, exc)

    async def _retry(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        generation = check_may_manage(
            interaction, await bot.services.repo.generation(self.generation_id)
        )
        missing = bot.settings.missing_generation_keys()
        if missing:
            raise UserFacingError(
                f"Reelbot is not configured to generate: {', '.join(missing)} missing."
            )
        await interaction.response.defer()
        if not await bot.services.runner.retry(generation.id):
            await interaction.followup.send(
                "Only a failed or cancelled generation can be retried.", ephemeral=True
            )
