"""Reroll: the persistent button on each clip in a film's thread, and its note modal.

The button carries the generation id and the scene in its custom id (`DynamicItem`, so it
answers after a restart). Pressed by the owner or a member who may manage messages in the
generation's channel, it checks the reroll could be made (a private refusal otherwise, with
nothing spent) and opens a modal with one optional short note; the submit asks the runner for
the reroll (`runner.reroll`, admitted like a Retry) and answers privately. A note form shown
before a restart is still answered after it (`submitted_after_restart`): discord.py only hands
a submit to a modal its own process showed.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.pipeline.analysis.rewrite import MAX_NOTE_CHARS
from bot.pipeline.spend.admission import Refused
from bot.tree import NO_MENTIONS, UserFacingError
from cogs.components import Component, ComponentModal, check_configured
from cogs.generate.access import check_may_manage
from cogs.generate.costs import refusal

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

NOTE_EXAMPLE = "closer on the seal's face"
BOOT = secrets.token_hex(3)  # this process, in each note form's custom id
NOTE_ID = re.compile(
    r"reelbot:reroll-note:(?P<id>\d+):(?P<scene>\d+):(?P<boot>[0-9a-f]+):(?P<key>\d+)"
)


class RerollButton(
    Component,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"reelbot:reroll:(?P<id>\d+):(?P<scene>\d+)",
):
    """Reroll on a clip posted in a film's thread; holds only the generation id and the scene
    (0-based) in its custom id."""

    def __init__(self, generation_id: int, scene: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Reroll",
                emoji="🎲",
                style=discord.ButtonStyle.secondary,
                custom_id=f"reelbot:reroll:{generation_id}:{scene}",
            )
        )
        self.generation_id, self.scene = generation_id, scene

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["id"]), int(match["scene"]))

    async def act(self, interaction: discord.Interaction) -> None:
        bot: Reelbot = interaction.client  # type: ignore[assignment]
        generation = check_may_manage(
            interaction, await bot.services.repo.generation(self.generation_id)
        )
        check_configured(bot.settings)
        try:  # before the member types a note: a reroll that would be refused says so now
            await bot.services.runner.check_reroll(
                generation.id, self.scene, started_by=interaction.user.id
            )
        except Refused as exc:
            raise UserFacingError(refusal(exc)) from None
        await interaction.response.send_modal(
            RerollModal(generation.id, self.scene, key=interaction.id)
        )


class RerollModal(ComponentModal):
    """The note of one member's reroll (optional); its custom id is unique to the press.
    `note`: the text submitted, for a form answered after a restart (`answer`)."""

    def __init__(
        self,
        generation_id: int,
        scene: int,
        *,
        key: int,
        boot: str = BOOT,
        note: str | None = None,
    ) -> None:
        super().__init__(
            title=f"Reroll scene {scene + 1}",
            custom_id=f"reelbot:reroll-note:{generation_id}:{scene}:{boot}:{key}",
            timeout=900,
        )
        self.generation_id, self.scene = generation_id, scene
        self.note: discord.ui.TextInput[RerollModal] = discord.ui.TextInput(
            style=discord.TextStyle.short,
            placeholder=NOTE_EXAMPLE,
            required=False,
            max_length=MAX_NOTE_CHARS,
            custom_id="note",
            default=note,  # its `value` until a submit sets it
        )
        self.add_item(
            discord.ui.Label(
                text="What should change? (optional)",
                description="Left empty: the same scene with a new seed.",
                component=self.note,
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        """The submitted note form: checked again (who, configured; where: the base), then
        the reroll."""
        generation_id, scene, note = self.generation_id, self.scene, self.note.value
        bot: Reelbot = interaction.client  # type: ignore[assignment]
        check_may_manage(interaction, await bot.services.repo.generation(generation_id))
        check_configured(bot.settings)
        try:
            version = await bot.services.runner.reroll(  # charged to who asked (issue 18)
                generation_id, scene, note.strip() or None, started_by=interaction.user.id
            )
        except Refused as exc:
            raise UserFacingError(refusal(exc)) from None
        await interaction.response.send_message(
            f"🎲 Rerolling scene {scene + 1}: it becomes v{version.number} of the film, "
            "sent like the first.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


async def submitted_after_restart(interaction: discord.Interaction) -> None:
    """`on_interaction` listener: a note form shown by an earlier process of the bot (a
    restart came between the press and the submit) is answered by the same `RerollModal`,
    rebuilt from its custom id with the submitted note.

    discord.py hands a submit only to a modal its own process showed (`ViewStore.dispatch_modal`
    looks the custom id up and drops an unknown one), and has no public way to fill a modal from
    a submit: the note is read from `Interaction.data`, the submit as Discord documents it
    (`data.components`: action rows with `components`, labels with one `component`; the text
    input carries its `custom_id` and `value`)."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return
    data: dict[str, Any] = dict(interaction.data or {})  # type: ignore[arg-type]
    match = NOTE_ID.fullmatch(str(data.get("custom_id", "")))
    if match is None or match["boot"] == BOOT:
        return  # not a note form, or this process's own (its modal answers it)
    form = RerollModal(
        int(match["id"]),
        int(match["scene"]),
        key=int(match["key"]),
        boot=match["boot"],
        note=_submitted_value(data.get("components"), "note"),
    )
    await form.answer(interaction)


def _submitted_value(components: object, custom_id: str) -> str | None:
    """The value of the input `custom_id` among a modal submit's components, at any depth."""
    if not isinstance(components, list):
        return None
    for component in components:
        if not isinstance(component, dict):
            continue
        if component.get("custom_id") == custom_id and "value" in component:
            return str(component.get("value") or "")
        inner = [*(component.get("components") or []), component.get("component")]
        found = _submitted_value([c for c in inner if c], custom_id)
        if found is not None:
            return found
    return None
