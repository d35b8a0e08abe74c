"""The base of every button and form: the guild allow-list and the one error path, once.

A persistent button (`discord.ui.DynamicItem`) mixes in `Component` and writes `act`; a form
derives from `ComponentModal` and writes `on_submit`. Before either runs, the interaction is
checked against `ALLOWED_GUILD_IDS` (`bot.tree.check_allowed_here`, the check the command tree
makes for every command); an error is answered on the one path `bot.tree.handle_error` (a
`UserFacingError` shown privately as it is, anything else one generic apology and a
`log.exception` naming the component, the member and the place). No button or form repeats
either: `tests/test_architecture.py` holds it.

discord.py itself only logs an exception raised in a `DynamicItem`'s callback, and treats one
raised in its `interaction_check` as "not allowed" without a word to the member
(`ViewStore.schedule_dynamic_item_call`), so the check and the error path live in `callback`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.pipeline.errors import not_configured
from bot.tree import UserFacingError, check_allowed_here, handle_error

if TYPE_CHECKING:
    from bot.config import Settings


class Component:
    """Mixin for `discord.ui.DynamicItem` buttons: `callback` checks the allow-list, runs
    `act`, and sends any error down the one path. Holds no state of its own."""

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            check_allowed_here(interaction)
            await self.act(interaction)
        except Exception as exc:
            await handle_error(interaction, exc)

    async def act(self, interaction: discord.Interaction) -> None:
        """What the button does once the interaction is allowed here."""
        raise NotImplementedError


class ComponentModal(discord.ui.Modal):
    """Base of the bot's forms: the allow-list before `on_submit`, the one error path after."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        check_allowed_here(interaction)  # raised: on_error tells the member why
        return True

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        await handle_error(interaction, error)

    async def answer(self, interaction: discord.Interaction) -> None:
        """Answer a submit of this form that discord.py did not dispatch (the form was shown
        by an earlier process): the check, `on_submit` and the error path, as discord.py's
        own dispatch runs them."""
        try:
            if await self.interaction_check(interaction):
                await self.on_submit(interaction)
        except Exception as exc:
            await self.on_error(interaction, exc)


def check_configured(settings: Settings) -> None:
    """A private error, in the one wording, when a setting `/generate`, Retry or Reroll needs
    is missing or was refused at start-up (nothing is spent)."""
    problems = settings.generation_config_errors()
    if problems:
        raise UserFacingError(not_configured(problems))
