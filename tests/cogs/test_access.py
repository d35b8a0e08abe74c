"""Who may cancel or retry a generation: its owner, or a member who may manage messages there."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.tree import UserFacingError
from cogs.generate.access import check_may_manage, may_manage
from tests.cogs.rows import generation

OWNER, OTHER, GUILD, CHANNEL = 100, 200, 1, 2


def interaction(
    user_id: int, guild_id: int | None = GUILD, channel_id: int = CHANNEL, **permissions: bool
) -> Any:
    """The attributes of a `discord.Interaction` the check reads (a real Permissions value:
    the member's permissions in the channel the interaction came from)."""
    return SimpleNamespace(
        user=SimpleNamespace(id=user_id),
        guild_id=guild_id,
        channel_id=channel_id,
        guild=None,
        permissions=discord.Permissions(**permissions),
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (interaction(OWNER), True),
        (interaction(OWNER, guild_id=None), True),  # the owner, wherever they ask from
        (interaction(OTHER), False),
        (interaction(OTHER, manage_messages=True), True),
        (interaction(OTHER, guild_id=999, manage_messages=True), False),  # another server
        (interaction(OTHER, guild_id=None, manage_messages=True), False),  # a DM
        (interaction(OTHER, manage_channels=True, kick_members=True), False),
        # managing messages where /cancel was typed says nothing of the generation's channel
        (interaction(OTHER, channel_id=99, manage_messages=True), False),
    ],
)
def test_may_manage(who: Any, allowed: bool) -> None:
    mine = generation(owner_id=OWNER, guild_id=GUILD, channel_id=CHANNEL)
    assert may_manage(who, mine) is allowed


def test_check_answers_the_same_for_missing_and_foreign_generations() -> None:
    mine = generation(owner_id=OWNER, guild_id=GUILD)
    assert check_may_manage(interaction(OWNER), mine) is mine
    with pytest.raises(UserFacingError) as foreign:
        check_may_manage(interaction(OTHER), mine)
    with pytest.raises(UserFacingError) as missing:
        check_may_manage(interaction(OTHER), None)
    assert str(foreign.value) == str(missing.value)  # nothing tells whether it exists
    assert "not one of your generations" in str(missing.value)
