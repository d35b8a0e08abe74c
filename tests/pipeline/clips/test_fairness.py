"""FairQueue: a global capacity shared round-robin between keys, a per-key limit, positions."""

from __future__ import annotations

import asyncio

from bot.pipeline.clips.fairness import FairQueue


class Holder:
    """A task that takes a slot and holds it until released."""

    def __init__(self, queue: FairQueue[str], key: str, log: list[str], name: str) -> None:
        self.positions: list[int] = []
        self.granted = asyncio.Event()
        self._release = asyncio.Event()
        self._log, self._name = log, name
        self.task = asyncio.create_task(self._run(queue, key))

    async def _run(self, queue: FairQueue[str], key: str) -> None:
        async with queue.slot(key, self.positions.append):
            self._log.append(self._name)
            self.granted.set()
            await self._release.wait()

    async def release(self) -> None:
        self._release.set()
        await self.task


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_capacity_is_shared_round_robin_between_keys() -> None:
    queue: FairQueue[str] = FairQueue(capacity=2)
    order: list[str] = []
    a1, a2 = Holder(queue, "a", order, "a1"), Holder(queue, "a", order, "a2")
    await settle()
    a3 = Holder(queue, "a", order, "a3")
    await settle()
    b1 = Holder(queue, "b", order, "b1")  # comes after a3, but b has had no turn
    await settle()
    assert order == ["a1", "a2"] and queue.active == 2 and queue.waiting() == 2

    await a1.release()
    await settle()
    assert order == ["a1", "a2", "b1"]

    await a2.release()
    await settle()
    assert order == ["a1", "a2", "b1", "a3"]
    for holder in (a3, b1):
        await holder.release()
    assert queue.active == 0 and queue.waiting() == 0


async def test_round_robin_alternates_between_busy_keys() -> None:
    queue: FairQueue[str] = FairQueue(capacity=1)
    order: list[str] = []
    first = Holder(queue, "x", order, "x0")
    await settle()
    holders = [Holder(queue, key, order, f"{key}{i}") for i in (1, 2) for key in ("a", "b")]
    holders += [Holder(queue, "a", order, "a3")]
    await settle()

    await first.release()
    for _ in holders:
        await settle()
        holder = next(h for h in holders if h.granted.is_set() and not h.task.done())
        await holder.release()

    assert order == ["x0", "a1", "b1", "a2", "b2", "a3"]


async def test_per_key_limit_with_positions_reported_and_updated() -> None:
    queue: FairQueue[str] = FairQueue(per_key=1)
    order: list[str] = []
    a1 = Holder(queue, "a", order, "a1")
    await settle()
    a2, a3 = Holder(queue, "a", order, "a2"), Holder(queue, "a", order, "a3")
    b1 = Holder(queue, "b", order, "b1")  # another key is not held up
    await settle()
    assert order == ["a1", "b1"]
    assert (a1.positions, a2.positions, a3.positions, b1.positions) == ([], [1], [2], [])
    assert queue.waiting("a") == 2 and queue.waiting("b") == 0

    await a1.release()
    await settle()
    assert order == ["a1", "b1", "a2"]
    assert a3.positions == [2, 1]  # moved up when a2 was served
    for holder in (a2, a3, b1):
        await holder.release()
    assert order == ["a1", "b1", "a2", "a3"]


async def test_cancelling_a_waiter_frees_nothing_and_moves_the_line_up() -> None:
    queue: FairQueue[str] = FairQueue(capacity=1)
    order: list[str] = []
    a1 = Holder(queue, "a", order, "a1")
    await settle()
    a2, a3 = Holder(queue, "a", order, "a2"), Holder(queue, "a", order, "a3")
    await settle()

    a2.task.cancel()
    await asyncio.gather(a2.task, return_exceptions=True)
    await settle()
    assert queue.active == 1 and order == ["a1"]  # cancelling a waiter freed no slot
    assert a3.positions == [2, 1]

    await a1.release()
    await settle()
    assert order == ["a1", "a3"] and queue.active == 1
    await a3.release()
    assert queue.active == 0 and queue.waiting() == 0


async def test_a_waiter_cancelled_just_as_it_was_granted_hands_the_slot_on() -> None:
    queue: FairQueue[str] = FairQueue(capacity=1)
    order: list[str] = []
    held = queue.slot("a")
    await held.__aenter__()
    b1 = Holder(queue, "b", order, "b1")
    c1 = Holder(queue, "c", order, "c1")
    await settle()

    await held.__aexit__(None, None, None)  # grants b1 without letting it run
    b1.task.cancel()  # ... and b1 is cancelled before it wakes up
    await asyncio.gather(b1.task, return_exceptions=True)
    await settle()

    assert order == ["c1"] and queue.active == 1
    await c1.release()
    assert queue.active == 0
    d1 = Holder(queue, "d", order, "d1")  # the capacity is whole again: one, not zero or two
    await settle()
    e1 = Holder(queue, "e", order, "e1")
    await settle()
    assert order == ["c1", "d1"] and not e1.granted.is_set()
    await d1.release()
    await e1.release()
    assert queue.active == 0 and order == ["c1", "d1", "e1"]
