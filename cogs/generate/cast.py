"""The cast sheet in a film's thread (issue 24): one post per character before the clips (the
portrait, or why there is none: that character's look then stays in words only), the persistent
Recast button on each portrait, and its note form.

The button carries the generation id and the character (its index on the cast sheet) in its
custom id (`DynamicItem`, so it answers after a restart). Pressed by the owner or a member who
may manage messages in the generation's channel, it checks the Recast could be made (a private
refusal otherwise, nothing spent) and opens a form with one optional note; the submit asks the
runner for the Recast (`runner.recast`: the portrait made again, then every scene showing the
character rendered again with it, as the next version) and answers privately. The Extend and
Recast forms shown by an earlier process are answered after a restart
(`answered_after_restart`), as the Reroll form is.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.pipeline.analysis.rewrite import MAX_NOTE_CHARS
from bot.pipeline.events import Portrait
from bot.pipeline.spend.admission import Refused
from bot.tree import NO_MENTIONS, UserFacingError
from cogs.components import Component, ComponentModal, check_configured
from cogs.generate.access import check_may_manage
from cogs.generate.costs import refusal
from cogs.generate.extend import late_form as late_extend
from cogs.generate.reroll import BOOT
from cogs.generate.reroll import _submitted_value as submitted_value
from cogs.generate.state import ReplyState

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

NOTE_EXAMPLE = "older, with a grey beard"

# the posts ---------------------------------------------------------------------------------


def key(portrait: Portrait) -> str:
    """The post's key: each take of a portrait is posted once (restarts included)."""
    take = f":t{portrait.take}" if portrait.take > 1 else ""
    return f"cast:{portrait.index}{take}"


def caption(portrait: Portrait) -> str:
    name = discord.utils.escape_markdown(portrait.name)
    take = f" · take {portrait.take}" if portrait.take > 1 else ""
    if portrait.path is None:
        why = discord.utils.escape_markdown(portrait.reason or "it could not be made")
        return f"🎭 **{name}**: no portrait ({why}); their look stays in words."
    whose = "your picture" if portrait.member else "portrait"
    return f"🎭 **{name}** ({whose}{take}): passed to every scene that shows them."


def note_text(note: str) -> str:
    return f"🎭 {discord.utils.escape_markdown(note)}"[:2000]


def message(state: ReplyState, portrait: Portrait) -> Callable[[], Awaitable[dict[str, Any]]]:
    """How the post is made (called for each attempt: a sent file is consumed)."""

    async def make() -> dict[str, Any]:
        content: dict[str, Any] = {"content": caption(portrait)}
        if portrait.path is not None:
            data = await asyncio.to_thread(portrait.path.read_bytes)  # off the event loop
            name = f"cast-{portrait.index + 1}{portrait.path.suffix or '.png'}"
            content["file"] = discord.File(io.BytesIO(data), filename=name)
            recast = RecastButton(state.generation_id, portrait.index)
            content["view"] = discord.ui.View(timeout=None).add_item(recast)
        return content

    return make


# Recast --------------------------------------------------------------------------------


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


# forms answered after a restart ---------------------------------------------------------


async def answered_after_restart(interaction: discord.Interaction) -> None:
    """`on_interaction` listener: an Extend or Recast form of an earlier process, answered."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return
    data: dict[str, Any] = dict(interaction.data or {})  # type: ignore[arg-type]
    custom_id, components = str(data.get("custom_id", "")), data.get("components")
    form = late_extend(custom_id, components) or late_form(custom_id, components)
    if form is not None:
        await form.answer(interaction)
