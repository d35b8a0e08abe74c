"""Who may act on a generation: its owner, or a member who may manage messages there."""

from __future__ import annotations

import discord

from bot.tree import UserFacingError
from storage.models import Generation


def may_manage(interaction: discord.Interaction, generation: Generation) -> bool:
    if interaction.user.id == generation.owner_id:
        return True
    if interaction.guild_id is None or interaction.guild_id != generation.guild_id:
        return False
    return interaction.permissions.manage_messages


def check_may_manage(interaction: discord.Interaction, generation: Generation | None) -> Generation:
    """The generation, or a private error when it does not exist or is not the caller's."""
    if generation is None or not may_manage(interaction, generation):
        # the same answer either way: nobody learns of other members' generations
        raise UserFacingError(
            "That is not one of your generations. Only the member who started it, or a "
            "member who may manage messages in its channel, can do that."
        )
    return generation
