"""Recast (issue 24): the persistent button on each portrait of a film's cast sheet, and its
note form.

The button carries the generation id and the character (its index on the cast sheet) in its
custom id (`DynamicItem`, so it answers after a restart). Pressed by the owner or a member who
may manage messages in the generation's channel, it checks the Recast could be made (a private
refusal otherwise, nothing spent) and opens a form with one optional note; the submit asks the
runner for the Recast (`runner.recast`: the portrait made again, then every scene showing the
character rendered again with it, as the next version) and answers privately.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.pipeline.analysis.rewrite import MAX_NOTE_CHARS
from bot.pipeline.spend.admission import Refused
from bot.tree import NO_MENTIONS, UserFacingError
from cogs.components import Component, ComponentModal, check_configured
from cogs.generate.access import check_may_manage
from cogs.generate.costs import refusal
from cogs.generate.reroll import BOOT
from cogs.generate.reroll import _submitted_value as submitted_value

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

NOTE_EXAMPLE = "older, with a grey beard"


class RecastButton(
    Component,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"reelbot:recast:(?P<id>\d+):(?P<member>\d+)",
):
    """Recast on a portrait of a film's cast sheet; holds the generation id and the
    character's index in its custom id."""

    def __init__(self, generation_id: int, member: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Recast",
                emoji="🎭",
                style=discord.ButtonStyle.secondary,
                custom_id=f"reelbot:recast:{generation_id}:{member}",
            )
        )
        self.generation_id, self.member = generation_id, member

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["id"]), int(match["member"]))

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Reelbot = interaction.client  # type: ignore[assignment]
        generation = check_may_manage(
            interaction, await bot.services.repo.generation(self.generation_id)
        )
        check_configured(bot.settings)
        try:  # before the member types a note: a Recast that would be refused says so now
            await bot.services.runner.check_recast(
                generation.id, self.member, started_by=interaction.user.id
            )
        except Refused as exc:
            raise UserFacingError(refusal(exc)) from None
        await interaction.response.send_modal(
            RecastModal(generation.id, self.member, key=interaction.id)
        )


class RecastModal(ComponentModal):
    """The note of one member's Recast (optional); its custom id is unique to the press."""

    def __init__(
        self,
        generation_id: int,
        member: int,
        *,
        key: int,
        boot: str = BOOT,
        note: str | None = None,
    ) -> None:
        super().__init__(
            title="Recast this character",
            custom_id=f"reelbot:recast-note:{generation_id}:{member}:{boot}:{key}",
            timeout=900,
        )
        self.generation_id, self.member = generation_id, member
        self.note: discord.ui.TextInput[RecastModal] = discord.ui.TextInput(
            style=discord.TextStyle.short,
            placeholder=NOTE_EXAMPLE,
            required=False,
            max_length=MAX_NOTE_CHARS,
            custom_id="note",
            default=note,  # its `value` until a submit sets it (a form answered late)
        )
        self.add_item(
            discord.ui.Label(
                text="What should change? (optional)",
                description="Left empty: a new portrait from the same look.",
                component=self.note,
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: Reelbot = interaction.client  # type: ignore[assignment]
        check_may_manage(interaction, await bot.services.repo.generation(self.generation_id))
        check_configured(bot.settings)
        try:
            version = await bot.services.runner.recast(
                self.generation_id,
                self.member,
                (self.note.value or "").strip() or None,
                started_by=interaction.user.id,
            )
        except Refused as exc:
            raise UserFacingError(refusal(exc)) from None
        await interaction.response.send_message(
            f"🎭 Recasting: a new portrait, then every scene showing the character made again "
            f"with it; the film becomes v{version.number}, sent like the first.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


FORM_ID = re.compile(
    r"reelbot:recast-note:(?P<id>\d+):(?P<member>\d+):(?P<boot>[0-9a-f]+):(?P<key>\d+)"
)


def late_form(custom_id: str, components: object) -> RecastModal | None:
    """The Recast form an earlier process showed, rebuilt from its submit (None: not one, or
    this process's own, which discord.py dispatches itself)."""
    match = FORM_ID.fullmatch(custom_id)
    if match is None or match["boot"] == BOOT:
        return None
    return RecastModal(
        int(match["id"]),
        int(match["member"]),
        key=int(match["key"]),
        boot=match["boot"],
        note=submitted_value(components, "note"),
    )
