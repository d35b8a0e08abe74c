"""Two runners on one database, as two processes: a member's USER_CONCURRENCY holds across them
(counted in the database), and a runner that lost a generation's lease stops working on it
without cancelling its predictions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from bot.config import Settings
from bot.pipeline.events import Queued
from storage.models import ClipStatus, GenerationStatus
from tests.conftest import Harness
from tests.fakes.replicate_fake import FakeReplicate

OWNER = 7


async def test_a_member_s_limit_holds_across_two_runners(
    settings: Settings,
    open_harness: Callable[[Settings], AbstractAsyncContextManager[Harness]],
    replicate_fake: FakeReplicate,
) -> None:
    replicate_fake.auto_complete = False
    async with open_harness(settings) as first, open_harness(settings) as second:
        running = await first.submit(clips=1, owner_id=OWNER)
        await first.wait_for(lambda: len(replicate_fake.predictions) == 1, what="a prediction")

        waiting = await second.submit(clips=1, owner_id=OWNER)
        await second.wait_for(
            lambda: any(e.position == 1 for e in second.of(waiting.id, Queued)),  # type: ignore[attr-defined]
            what="second's generation queued behind the first",
        )
        await asyncio.sleep(1.5)  # more than a look for a free slot: still waiting
        assert len(replicate_fake.predictions) == 1
        stored = await second.repo.generation(waiting.id)
        assert stored is not None and stored.status is GenerationStatus.QUEUED

        replicate_fake.auto_complete = True  # the first one ends
        async with asyncio.timeout(30):
            assert (await first.runner.wait(running.id)).status is GenerationStatus.DONE
            await second.wait_for(
                lambda: len(replicate_fake.predictions) == 2, timeout=10, what="its turn"
            )
            assert (await second.runner.wait(waiting.id)).status is GenerationStatus.DONE


async def test_a_dropped_generation_stops_here_and_its_prediction_keeps_running(
    harness: Harness, replicate_fake: FakeReplicate
) -> None:
    replicate_fake.auto_complete = False
    generation = await harness.submit(clips=1)

    async with asyncio.timeout(10):  # its prediction created and its id stored
        while True:
            clips = await harness.repo.clips(generation.id)
            if [c.status for c in clips] == [ClipStatus.RUNNING]:
                break
            await asyncio.sleep(0.01)
    assert harness.runner.held() == {generation.id}

    harness.runner.drop(generation.id)  # another process took its lease over

    await harness.wait_for(lambda: not harness.runner.held(), what="its task to end")
    (prediction,) = replicate_fake.predictions.values()
    assert not prediction.canceled
    stored = await harness.repo.generation(generation.id)
    assert stored is not None and stored.status is GenerationStatus.RENDERING
    (clip,) = await harness.repo.clips(generation.id)
    assert clip.status is ClipStatus.RUNNING and clip.prediction_id == prediction.id


class TakenOver:
    """Leases of a process whose generations another process has taken over."""

    def terms(self) -> tuple[str, float]:
        return "stalled", time.time() + 30

    async def took(self, generation_id: int) -> None:
        return None

    async def fencing(self, generation_id: int) -> tuple[str, int] | None:
        return None


async def test_a_generation_taken_over_creates_no_prediction_here(
    make_settings, open_harness, replicate_fake: FakeReplicate
) -> None:
    """A process that stalled past its lease wakes up and would create the next prediction:
    the lease is checked first, and the generation stops here instead."""
    async with open_harness(make_settings(), make_leases=lambda repo: TakenOver()) as harness:
        generation = await harness.submit(clips=2)

        await harness.wait_for(lambda: not harness.runner.held(), what="its task to stop")
        assert replicate_fake.predictions == {}
        stored = await harness.repo.generation(generation.id)
        assert stored is not None and not stored.status.final  # left for the process that has it
        clips = await harness.repo.clips(generation.id)
        assert [c.status for c in clips] == [ClipStatus.PENDING] * 2
