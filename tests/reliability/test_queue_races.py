"""The fair queue when a waiter is cancelled at the very moment a slot is released (a /cancel of
a queued generation as the running one ends, or the bot shutting down)."""

from __future__ import annotations

import asyncio

from bot.pipeline.clips.fairness import FairQueue


async def test_a_waiter_cancelled_as_the_slot_frees_is_skipped_and_the_next_one_served() -> None:
    queue: FairQueue[int] = FairQueue(per_key=1)
    served: list[str] = []

    async def wait_turn(name: str) -> None:
        async with queue.slot(1):
            served.append(name)

    holder = queue.slot(1)
    await holder.__aenter__()
    cancelled = asyncio.create_task(wait_turn("cancelled"))
    following = asyncio.create_task(wait_turn("following"))
    await asyncio.sleep(0)  # both wait in line
    assert queue.waiting(1) == 2

    cancelled.cancel()  # its future is cancelled now; the task has not run its clean-up yet
    await holder.__aexit__(None, None, None)  # the slot frees in that same instant

    await asyncio.wait_for(following, 2)
    await asyncio.gather(cancelled, return_exceptions=True)
    assert served == ["following"]
    assert queue.active == 0 and queue.waiting() == 0
