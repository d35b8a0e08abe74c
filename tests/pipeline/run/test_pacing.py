"""Answers first: the work a burst of commands starts waits until the burst is answered."""

from __future__ import annotations

import asyncio

from bot.pipeline.events import Event, Started
from bot.pipeline.run.pacing import AnswersFirst
from storage.models import Generation, NewGeneration
from tests.conftest import IDEA, Harness


async def test_with_nothing_being_answered_the_work_starts_at_once() -> None:
    answers = AnswersFirst(quiet=10, patience=10)
    waiter = asyncio.create_task(answers.after_answers())
    await asyncio.sleep(0)
    assert waiter.done()


async def test_the_work_waits_while_a_command_is_answered_then_starts() -> None:
    answers = AnswersFirst(quiet=0.01, patience=60)
    with answers.answering():
        waiter = asyncio.create_task(answers.after_answers())
        await asyncio.sleep(0.05)
        assert not waiter.done()
    with answers.answering():  # the next command of the burst: still waiting
        await asyncio.sleep(0.05)
        assert not waiter.done()
    await asyncio.wait_for(waiter, 10)  # answered, and quiet since


async def test_a_burst_that_never_ends_delays_the_work_by_patience_at_most() -> None:
    answers = AnswersFirst(quiet=60, patience=0.05)
    with answers.answering():
        await asyncio.wait_for(answers.after_answers(), 10)


async def test_a_burst_is_answered_before_any_of_its_generations_starts(
    harness: Harness,
) -> None:
    order: list[tuple[str, int]] = []

    def seen(event: Event) -> None:
        if isinstance(event, Started):
            order.append(("started", event.generation_id))

    async def announce(generation: Generation) -> None:
        await asyncio.sleep(0.005)  # the reply's round trip to Discord
        order.append(("answered", generation.id))

    unsubscribe = harness.services.bus.subscribe(seen)
    try:
        submitted = [
            await harness.runner.submit(
                NewGeneration(owner_id=1000 + n, prompt=IDEA, source="cli"), announce=announce
            )
            for n in range(5)
        ]
        await harness.wait_for(lambda: len(order) == 10, what="5 answers and 5 starts")
    finally:
        unsubscribe()
    kinds = [kind for kind, _ in order]
    assert kinds == ["answered"] * 5 + ["started"] * 5, order
    for generation in submitted:
        await asyncio.wait_for(harness.runner.wait(generation.id), 30)
