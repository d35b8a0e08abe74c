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

from bot.pipeline.admission import Refused
from bot.pipeline.rewrite import MAX_NOTE_CHARS
from bot.tree import NO_MENTIONS, UserFacingError, check_allowed_here, handle_error
from cogs.generate.access import check_may_manage

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

NOTE_EXAMPLE = "closer on the seal's face"
BOOT = secrets.token_hex(3)  # this process, in each note form's custom id
NOTE_ID = re.compile(r"reelbot:reroll-note:(?P<id>\d+):(?P<scene>\d+):(?P<boot>[0-9a-f]+):\d+")


def _check_configured(bot: Reelbot) -> None:
    problems = bot.settings.generation_config_errors()
    if problems:
        raise UserFacingError(f"Reelbot is not configured to generate: {'; '.join(problems)}.")


class RerollButton(
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

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            check_allowed_here(interaction)
            bot: Reelbot = interaction.client  # type: ignore[assignment]
            generation = check_may_manage(
                interaction, await bot.services.repo.generation(self.generation_id)
            )
            _check_configured(bot)
            try:  # before the member types a note: a reroll that would be refused says so now
                await bot.services.runner.check_reroll(
                    generation.id, self.scene, started_by=interaction.user.id
                )
            except Refused as exc:
                raise UserFacingError(exc.reason) from None
            await interaction.response.send_modal(
                RerollModal(generation.id, self.scene, key=interaction.id)
            )
        except Exception as exc:
            await handle_error(interaction, exc)


class RerollModal(discord.ui.Modal):
    """The note of one member's reroll (optional); its custom id is unique to the press."""

    def __init__(self, generation_id: int, scene: int, *, key: int) -> None:
        super().__init__(
            title=f"Reroll scene {scene + 1}",
            custom_id=f"reelbot:reroll-note:{generation_id}:{scene}:{BOOT}:{key}",
            timeout=900,
        )
        self.generation_id, self.scene = generation_id, scene
        self.note: discord.ui.TextInput[RerollModal] = discord.ui.TextInput(
            style=discord.TextStyle.short,
            placeholder=NOTE_EXAMPLE,
            required=False,
            max_length=MAX_NOTE_CHARS,
            custom_id="note",
        )
        self.add_item(
            discord.ui.Label(
                text="What should change? (optional)",
                description="Left empty: the same scene with a new seed.",
                component=self.note,
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await _reroll(interaction, self.generation_id, self.scene, self.note.value)

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        await handle_error(interaction, error)


async def _reroll(
    interaction: discord.Interaction, generation_id: int, scene: int, note: str | None
) -> None:
    """The submitted note form: checked again (who, where, configured), then the reroll."""
    check_allowed_here(interaction)
    bot: Reelbot = interaction.client  # type: ignore[assignment]
    check_may_manage(interaction, await bot.services.repo.generation(generation_id))
    _check_configured(bot)
    try:
        version = await bot.services.runner.reroll(  # charged to who asked (issue 18)
            generation_id, scene, (note or "").strip() or None, started_by=interaction.user.id
        )
    except Refused as exc:
        raise UserFacingError(exc.reason) from None
    await interaction.response.send_message(
        f"🎲 Rerolling scene {scene + 1}: it becomes v{version.number} of the film, "
        "sent like the first.",
        ephemeral=True,
        allowed_mentions=NO_MENTIONS,
    )


async def submitted_after_restart(interaction: discord.Interaction) -> None:
    """`on_interaction` listener: a note form shown by an earlier process of the bot (a
    restart came between the press and the submit) is answered here, from the submit's own
    data (the text input `note`, inside its Label or action row)."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return
    data: dict[str, Any] = dict(interaction.data or {})  # type: ignore[arg-type]
    match = NOTE_ID.fullmatch(str(data.get("custom_id", "")))
    if match is None or match["boot"] == BOOT:
        return  # not a note form, or this process's own (its modal answers it)
    try:
        note = _submitted_value(data.get("components") or [], "note")
        await _reroll(interaction, int(match["id"]), int(match["scene"]), note)
    except Exception as exc:
        await handle_error(interaction, exc)


def _submitted_value(components: list[Any], custom_id: str) -> str | None:
    """The value of the text input `custom_id` in a modal submit's components."""
    for component in components:
        inner = [component.get("component")] if component.get("type") == 18 else []
        inner += component.get("components") or []
        if component.get("custom_id") == custom_id:
            return str(component.get("value") or "")
        found = _submitted_value([c for c in inner if c], custom_id)
        if found is not None:
            return found
    return None
