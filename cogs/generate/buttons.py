"""Cancel and Retry: persistent buttons that carry the generation id and survive a restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord

from bot.pipeline.spend.admission import Refused
from bot.tree import UserFacingError
from cogs.components import Component, check_configured
from cogs.generate.access import check_may_manage
from cogs.generate.costs import refusal
from storage.models import Generation, NarrationStatus

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot


class _GenerationButton(Component):
    """What Cancel and Retry share: the `reelbot:<action>:<generation id>` custom id and the
    access check (the allow-list and the error path are `Component`'s)."""

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

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Reelbot = interaction.client  # type: ignore[assignment]
        generation = check_may_manage(
            interaction, await bot.services.repo.generation(self.generation_id)
        )
        await self.on_generation(bot, interaction, generation)

    async def on_generation(
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

    async def on_generation(
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

    async def on_generation(
        self, bot: Reelbot, interaction: discord.Interaction, generation: Generation
    ) -> None:
        check_configured(bot.settings)
        if unspeakable := bot.settings.narration_config_errors():
            narration = await bot.services.repo.narration(generation.id)
            if narration is not None and narration.status is not NarrationStatus.NARRATED:
                raise UserFacingError(  # its lines would be asked of a dead speech model
                    f"Narration is not available: {'; '.join(unspeakable)}. Nothing was started."
                )
        try:
            retried = await bot.services.runner.retry(  # charged to who pressed (issue 18)
                generation.id, started_by=interaction.user.id
            )
        except Refused as exc:
            raise UserFacingError(refusal(exc)) from None
        await interaction.response.defer()
        if not retried:
            await interaction.followup.send(
                "Only a failed or cancelled generation can be retried.", ephemeral=True
            )
