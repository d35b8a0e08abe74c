"""The live reply of a generation whose reply id was lost: looked for once, not at every event."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.pipeline.events import Queued
from storage.models import NewGeneration
from tests.e2e.harness import world

HISTORY = "/channels/{channel_id}/messages"


async def test_a_reply_that_cannot_be_found_is_looked_for_once(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        generation = await w.services.repo.create_generation(
            NewGeneration(
                owner_id=1,
                prompt="a seal",
                guild_id=w.discord.guild_id,
                channel_id=w.discord.channel_id,
            )
        )  # stored, but its reply was never sent (or its id was lost): nothing to find

        def lookups() -> int:
            return len(w.discord.rest_calls(method="GET", route=HISTORY))

        w.services.bus.publish(Queued(generation.id, 3))
        await w.discord.wait_for(lambda: lookups() == 1 or None, timeout=5)
        for position in (2, 1, 1, 1):  # each after the search ended
            await asyncio.sleep(0.1)
            w.services.bus.publish(Queued(generation.id, position))
        await asyncio.sleep(0.3)
        assert lookups() == 1  # main searched the channel's history again at every event
