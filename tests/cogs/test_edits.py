"""The edit schedule of replies: coalesced per reply, one edit at a time per channel, the most
useful first (pure asyncio, no Discord)."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

from bot.tasks import spawn
from cogs.generate.edits import ReplyEdits
from cogs.generate.lanes import EditLanes


class Reply:
    """A reply as the schedule sees it: a state that changes, and the edits that went out."""

    def __init__(self, name: str, lanes: EditLanes, sent: list[tuple[str, int]], lane: Hashable):
        self.name, self.value, self.sent = name, 0, sent
        self.final = False
        self.gate: asyncio.Event | None = None  # while set to an unset event, sending blocks
        self.unready: asyncio.Event | None = None
        self.edits = ReplyEdits(
            lanes,
            lane,
            self.send,
            progress=lambda: self.value,
            final=lambda: self.final,
            spawn=spawn,
            min_interval=0.0,
            ready=self.ready,
        )

    async def send(self) -> None:
        self.sent.append((self.name, self.value))  # what the edit shows: the latest state
        if self.gate is not None:
            await self.gate.wait()

    async def ready(self) -> None:
        if self.unready is not None:
            await self.unready.wait()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_edits_asked_for_during_one_in_flight_become_one_edit_of_the_latest_state() -> None:
    sent: list[tuple[str, int]] = []
    reply = Reply("a", EditLanes(), sent, lane=1)
    reply.gate = asyncio.Event()
    reply.edits.want()
    await settle()
    for value in range(1, 6):  # five changes while the first edit is in flight
        reply.value = value
        reply.edits.want()
    reply.gate.set()
    await settle()
    assert sent == [("a", 0), ("a", 5)]
    assert not reply.edits.wanted


async def test_a_channel_edits_urgent_replies_first_then_the_most_progress_not_shown() -> None:
    sent: list[tuple[str, int]] = []
    lanes = EditLanes()
    holder, little, much, urgent = (Reply(n, lanes, sent, lane=1) for n in "hlmu")
    holder.gate = asyncio.Event()
    holder.edits.want()
    await settle()
    little.value, much.value = 1, 3
    little.edits.want()
    much.edits.want()
    urgent.edits.want(urgent=True)
    other = Reply("o", lanes, sent, lane=2)  # another channel: not held up
    other.edits.want()
    await settle()
    assert sent == [("h", 0), ("o", 0)]
    holder.gate.set()
    await settle()
    assert sent == [("h", 0), ("o", 0), ("u", 0), ("m", 3), ("l", 1)]


async def test_a_final_state_goes_before_every_other_edit_of_its_channel() -> None:
    sent: list[tuple[str, int]] = []
    lanes = EditLanes()
    holder, urgent, much, ended = (Reply(n, lanes, sent, lane=1) for n in "hume")
    holder.gate = asyncio.Event()
    holder.edits.want()
    await settle()
    much.value = 4
    urgent.edits.want(urgent=True)
    much.edits.want(urgent=True)
    ended.final = True  # its member is waiting for the end, and no later edit replaces it
    ended.edits.want(urgent=True)
    await settle()
    holder.gate.set()
    await settle()
    assert sent == [("h", 0), ("e", 0), ("m", 4), ("u", 0)]


async def test_final_states_are_shown_in_the_order_they_ended_whatever_their_progress() -> None:
    sent: list[tuple[str, int]] = []
    lanes = EditLanes()
    holder, first, second, third = (Reply(n, lanes, sent, lane=1) for n in "h123")
    holder.gate = asyncio.Event()
    holder.edits.want()
    await settle()
    first.final = True  # ended first, with every clip already shown
    first.edits.want(urgent=True)
    await asyncio.sleep(0.01)
    second.value, second.final = 4, True  # ended later, with four clips not yet shown
    second.edits.want(urgent=True)
    await asyncio.sleep(0.01)
    third.value = 2
    third.edits.want(urgent=True)  # its edit waits in the lane while it is still running
    await settle()
    third.final = True  # ... and it ends while waiting: due after the ones that ended before
    holder.gate.set()
    await settle()
    assert sent == [("h", 0), ("1", 0), ("2", 4), ("3", 2)]


async def test_a_reply_not_ready_to_be_edited_does_not_hold_its_channel() -> None:
    sent: list[tuple[str, int]] = []
    lanes = EditLanes()
    waiting, other = Reply("w", lanes, sent, lane=1), Reply("o", lanes, sent, lane=1)
    waiting.unready = asyncio.Event()  # a final state waiting for its thread posts
    waiting.edits.want(urgent=True)
    other.edits.want()
    await settle()
    assert sent == [("o", 0)]
    waiting.value = 2
    waiting.unready.set()
    await settle()
    assert sent == [("o", 0), ("w", 2)]


async def test_a_waiter_cancelled_in_its_lane_lets_the_next_one_in() -> None:
    lanes = EditLanes()
    order: list[str] = []
    holding = asyncio.Event()

    async def take(name: str, rank: int, hold: bool = False) -> None:
        async with lanes.turn("lane", lambda: rank):
            order.append(name)
            if hold:
                await holding.wait()

    first = spawn(take("first", 0, hold=True), name="first")
    await settle()
    cancelled = spawn(take("cancelled", 0), name="cancelled")
    last = spawn(take("last", 1), name="last")
    await settle()
    cancelled.cancel()
    await settle()
    holding.set()
    await asyncio.wait([first, last])
    assert cancelled.cancelled() and order == ["first", "last"]
