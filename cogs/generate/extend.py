"""Extend (issue 24): the persistent button on a done film's reply, and its form.

The button carries the generation id in its custom id (`DynamicItem`, so it answers after a
restart). Pressed by the owner or a member who may manage messages in the generation's channel,
it checks the Extend could be made (a private refusal otherwise, with nothing spent: past
MAX_CLIPS, the member's limits) and opens a form: how many scenes (default 2) and an optional
note; the submit asks the runner for the Extend (`runner.extend`, admitted like a Reroll) and
answers privately. The new cut goes where the first film went, as the next version.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.pipeline.analysis.rewrite import MAX_NOTE_CHARS
from bot.pipeline.director.extend import DEFAULT_SCENES
from bot.pipeline.spend.admission import Refused
from bot.tree import NO_MENTIONS, UserFacingError
from cogs.components import Component, ComponentModal, check_configured
from cogs.generate.access import check_may_manage
from cogs.generate.costs import refusal
from cogs.generate.reroll import BOOT
from cogs.generate.reroll import _submitted_value as submitted_value

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

NOTE_EXAMPLE = "the seal swims home at dusk"


class ExtendButton(
    Component,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"reelbot:extend:(?P<id>\d+)",
):
    """Extend on a done film's reply; holds only the generation id in its custom id."""

    def __init__(self, generation_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Extend",
                emoji="➕",
                style=discord.ButtonStyle.secondary,
                custom_id=f"reelbot:extend:{generation_id}",
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
        check_configured(bot.settings)
        try:  # before the member fills the form: an Extend that would be refused says so now
            await bot.services.runner.check_extend(generation.id, 1, started_by=interaction.user.id)
        except Refused as exc:
            raise UserFacingError(refusal(exc)) from None
        await interaction.response.send_modal(ExtendModal(generation.id, key=interaction.id))


class ExtendModal(ComponentModal):
    """How many scenes to add, and an optional note; its custom id is unique to the press."""

    def __init__(
        self,
        generation_id: int,
        *,
        key: int,
        boot: str = BOOT,
        scenes: str | None = None,
        note: str | None = None,
    ) -> None:
        super().__init__(
            title="Extend the film",
            custom_id=f"reelbot:extend-form:{generation_id}:{boot}:{key}",
            timeout=900,
        )
        self.generation_id = generation_id
        self.scenes: discord.ui.TextInput[ExtendModal] = discord.ui.TextInput(
            style=discord.TextStyle.short,
            default=scenes if scenes is not None else str(DEFAULT_SCENES),
            required=False,
            max_length=2,
            custom_id="scenes",
        )
        self.note: discord.ui.TextInput[ExtendModal] = discord.ui.TextInput(
            style=discord.TextStyle.short,
            placeholder=NOTE_EXAMPLE,
            required=False,
            max_length=MAX_NOTE_CHARS,
            custom_id="note",
            default=note,  # its `value` until a submit sets it (a form answered late)
        )
        self.add_item(discord.ui.Label(text="How many scenes to add?", component=self.scenes))
        self.add_item(
            discord.ui.Label(
                text="Where does the story go? (optional)",
                description="Left empty: the director continues the story.",
                component=self.note,
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: Reelbot = interaction.client  # type: ignore[assignment]
        check_may_manage(interaction, await bot.services.repo.generation(self.generation_id))
        check_configured(bot.settings)
        text = (self.scenes.value or "").strip() or str(DEFAULT_SCENES)
        if not text.isdigit() or int(text) < 1:
            raise UserFacingError(f"How many scenes: a whole number from 1, not {text!r}.")
        scenes = int(text)
        try:
            version = await bot.services.runner.extend(
                self.generation_id,
                scenes,
                (self.note.value or "").strip() or None,
                started_by=interaction.user.id,
            )
        except Refused as exc:
            raise UserFacingError(refusal(exc)) from None
        await interaction.response.send_message(
            f"➕ Extending the film by {scenes} scene(s): it becomes v{version.number}, sent "
            "like the first.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


FORM_ID = re.compile(r"reelbot:extend-form:(?P<id>\d+):(?P<boot>[0-9a-f]+):(?P<key>\d+)")


def late_form(custom_id: str, components: object) -> ExtendModal | None:
    """The Extend form an earlier process showed, rebuilt from its submit (None: not one, or
    this process's own, which discord.py dispatches itself)."""
    match = FORM_ID.fullmatch(custom_id)
    if match is None or match["boot"] == BOOT:
        return None
    return ExtendModal(
        int(match["id"]),
        key=int(match["key"]),
        boot=match["boot"],
        scenes=submitted_value(components, "scenes"),
        note=submitted_value(components, "note"),
    )
