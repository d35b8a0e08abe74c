"""Cancel and Retry: persistent buttons that carry the generation id and survive a restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord

from bot.pipeline.admission import Refused
from bot.tree import UserFacingError, check_allowed_here, handle_error
from cogs.generate.access import check_may_manage
from storage.models import Generation

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot


class _GenerationButton:
    """What Cancel and Retry share: the `reelbot:<action>:<generation id>` custom id, the
    access check, and the one error path."""

    action: ClassVar[str]
    label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle]

    def __init__(self, generation_id: int) -> None:
        super().__init__(  # type: ignore[call-arg]
            discord.ui.Button(
                label=self.label,
                style=self.style,
                custom_id=f"reelbot:{self.action}:{generation_id}",
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
            check_allowed_here(interaction)
            bot: Reelbot = interaction.client  # type: ignore[assignment]
            generation = check_may_manage(
                interaction, await bot.services.repo.generation(self.generation_id)
            )
            await self.act(bot, interaction, generation)
        except Exception as exc:
            await handle_error(interaction, exc)

    async def act(
        self, bot: Reelbot, interaction: discord.Interaction, generation: Generation
    ) -> None:
        raise NotImplementedError


class CancelButton(
    _GenerationButton,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"reelbot:cancel:(?P<id>\d+)",
):
    """Cancel on a running generation's reply; holds only the generation id (in its custom id)."""

    action, label, style = "cancel", "Cancel", discord.ButtonStyle.danger

    async def act(
        self, bot: Reelbot, interaction: discord.Interaction, generation: Generation
    ) -> None:
        await interaction.response.defer()
        if not await bot.services.runner.cancel(generation.id):
            await interaction.followup.send("That generation had already ended.", ephemeral=True)


class RetryButton(
    _GenerationButton,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"reelbot:retry:(?P<id>\d+)",
):
    """Retry on a failed or cancelled generation's reply; holds only the generation id."""

    action, label, style = "retry", "Retry", discord.ButtonStyle.primary

    async def act(
        self, bot: Reelbot, interaction: discord.Interaction, generation: Generation
    ) -> None:
        problems = bot.settings.generation_config_errors()
        if problems:
            raise UserFacingError(f"Reelbot is not configured to generate: {'; '.join(problems)}.")
        try:
            retried = await bot.services.runner.retry(  # charged to who pressed (issue 18)
                generation.id, started_by=interaction.user.id
            )
        except Refused as exc:
            raise UserFacingError(exc.reason) from None
        await interaction.response.defer()
        if not retried:
            await interaction.followup.send(
                "Only a failed or cancelled generation can be retried.", ephemeral=True
            )
