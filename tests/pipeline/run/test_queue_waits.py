"""About when a run in its member's queue starts (bot/pipeline/run/waits.py): only from runs
measured here, from the member's running ones and the ones queued ahead."""

from __future__ import annotations

import time

import pytest

from bot.pipeline.events import ClipStarted, Failed, Finished, Queued
from bot.pipeline.run.waits import QueueWaits
from storage.models import GenerationStatus


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def measured(took: list[float]) -> tuple[QueueWaits, Clock]:
    clock = Clock()
    waits = QueueWaits(clock)
    for n, seconds in enumerate(took):
        waits.started(100 + n, owner_id=9)
        clock.now += seconds
        waits.handle(Finished(100 + n, None))
    return waits, clock


def test_nothing_is_estimated_before_three_runs_have_finished_here() -> None:
    waits, _ = measured([30, 40])
    assert waits.typical() is None
    assert waits.start_at(1, place=1, slots=1) is None
    waits.started(7, owner_id=1)
    waits.handle(Failed(7, "refused"))  # a failed run is not a sample
    assert waits.typical() is None


def test_the_next_run_starts_when_the_members_running_one_should_end() -> None:
    waits, clock = measured([30, 40, 50])
    assert waits.typical() == 40
    waits.started(1, owner_id=1)
    clock.now += 10
    assert waits.start_at(1, place=1, slots=1) == pytest.approx(clock.now + 30)
    # each run queued ahead takes a typical run of a slot; two slots share the line
    assert waits.start_at(1, place=3, slots=1) == pytest.approx(clock.now + 30 + 80)
    waits.started(2, owner_id=1)
    assert waits.start_at(1, place=2, slots=2) == pytest.approx(clock.now + 40)
    # another member's runs are not in this member's way
    assert waits.start_at(5, place=1, slots=1) == pytest.approx(clock.now + 40)


def test_a_run_past_its_typical_length_frees_its_slot_now_not_in_the_past() -> None:
    waits, clock = measured([30, 30, 30])
    waits.started(1, owner_id=1)
    clock.now += 100
    assert waits.start_at(1, place=1, slots=1) == clock.now
    waits.left(1)  # its task stopped: as if running elsewhere (just started)
    assert waits.start_at(1, place=1, slots=1) == clock.now + 30


async def test_a_queued_run_is_told_about_when_it_starts_once_runs_were_measured(
    harness, replicate_fake
) -> None:
    took = []
    for _ in range(3):
        began = time.time()
        final = await harness.generate(clips=1)
        assert final.status is GenerationStatus.DONE, final.error
        took.append(time.time() - began)
    replicate_fake.auto_complete = False
    first = await harness.submit(clips=1)
    second = await harness.submit("a seal learns to knit", clips=1)
    await harness.wait_for(lambda: harness.of(first.id, ClipStarted), what="first clip")
    asked = time.time()

    (queued,) = harness.of(second.id, Queued)
    assert isinstance(queued, Queued) and queued.position == 1
    assert queued.until is not None
    # the first run's end as measured runs go: not before it started, not beyond the longest
    assert first.created_at <= queued.until <= asked + max(took)

    replicate_fake.auto_complete = True
    assert (await harness.runner.wait(first.id)).status is GenerationStatus.DONE
    assert (await harness.runner.wait(second.id)).status is GenerationStatus.DONE
