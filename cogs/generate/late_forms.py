"""The Extend and Recast forms (issue 24) answered after a restart, as the Reroll form is
(`cogs.generate.reroll.submitted_after_restart`): discord.py hands a submit only to a modal its
own process showed, so a form shown by an earlier process is rebuilt from its custom id and the
submitted values, and answered through the same check, submit and error path."""

from __future__ import annotations

from typing import Any

import discord

from cogs.generate.extend import late_form as late_extend
from cogs.generate.recast import late_form as late_recast


async def answered_after_restart(interaction: discord.Interaction) -> None:
    """`on_interaction` listener: an Extend or Recast form of an earlier process, answered."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return
    data: dict[str, Any] = dict(interaction.data or {})  # type: ignore[arg-type]
    custom_id, components = str(data.get("custom_id", "")), data.get("components")
    form = late_extend(custom_id, components) or late_recast(custom_id, components)
    if form is not None:
        await form.answer(interaction)
