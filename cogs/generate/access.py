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
    if generation.channel_id in (None, interaction.channel_id):
        return interaction.permissions.manage_messages
    # asked from another channel (/cancel generation:N): the permission that counts is the
    # one in the generation's channel, not where the command was typed
    guild, member = interaction.guild, interaction.user
    channel = guild.get_channel_or_thread(generation.channel_id) if guild else None
    if channel is None or not isinstance(member, discord.Member):
        return False
    return channel.permissions_for(member).manage_messages


def check_may_manage(interaction: discord.Interaction, generation: Generation | None) -> Generation:
    """The generation, or a private error when it does not exist or is not the caller's."""
    if generation is None or not may_manage(interaction, generation):
        # the same answer either way: nobody learns of other members' generations
        raise UserFacingError(
            "That is not one of your generations. Only the member who started it, or a "
            "member who may manage messages in its channel, can do that."
        )
    return generation
