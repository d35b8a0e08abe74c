"""Leaks 3, 4 and 5 of issue 18: two runners on one database, as two processes, on SQLite and
on a real PostgreSQL (the `engine` parameter).

3. A cancel handled by the process that does not run the generation: the running one saw its
   prediction `canceled`, took it for a failure, and created a new billed prediction (and for a
   reroll, overwrote the take the cancel had put back).
4. A refused Retry took the lease first: it stole the lease of the process running the work.
5. A process stalled past its lease between the fence and the create: its create went on and
   overwrote the clip's prediction id, leaving the new holder's prediction unwatched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from bot.config import Settings
from storage.models import ClipStatus, GenerationStatus
from storage.repository import Repository
from tests.conftest import Harness
from tests.fakes.replicate_fake import FakeReplicate
from tests.pg import PgServer

Open = Callable[..., AbstractAsyncContextManager[Harness]]


@pytest.fixture(params=["sqlite", "postgres"])
async def engine_settings(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings]
) -> Settings:
    if request.param == "postgres":
        server: PgServer = request.getfixturevalue("pg_server")
        return make_settings(database_url=await server.create_database())
    return make_settings()


@pytest.fixture
async def two(
    engine_settings: Settings, open_harness: Open
) -> AsyncIterator[tuple[Harness, Harness]]:
    async with open_harness(engine_settings) as first, open_harness(engine_settings) as second:
        yield first, second


async def _running(harness: Harness, gid: int, count: int = 1) -> None:
    async with asyncio.timeout(15):
        while True:
            clips = await harness.repo.clips(gid)
            if [c.status for c in clips].count(ClipStatus.RUNNING) >= count:
                return
            await asyncio.sleep(0.02)


async def test_3_a_cancel_elsewhere_is_obeyed_and_nothing_is_created_again(
    two: tuple[Harness, Harness], replicate_fake: FakeReplicate
) -> None:
    runs, elsewhere = two
    replicate_fake.auto_complete = False
    generation = await runs.submit(clips=1)
    await _running(runs, generation.id)

    assert await elsewhere.runner.cancel(generation.id)  # not the process running it

    async with asyncio.timeout(15):
        await runs.runner.wait(generation.id)  # the runner stops within a poll
    await asyncio.sleep(0.5)  # a few polls more: nothing is made again
    assert replicate_fake.counts["create"] == 1
    assert all(p.canceled for p in replicate_fake.predictions.values())
    stored = await runs.repo.generation(generation.id)
    assert stored is not None and stored.status is GenerationStatus.CANCELLED


async def test_3_a_reroll_cancelled_elsewhere_keeps_the_take_put_back(
    two: tuple[Harness, Harness], replicate_fake: FakeReplicate
) -> None:
    runs, elsewhere = two
    done = await runs.generate(clips=1)
    assert done.status is GenerationStatus.DONE
    (before,) = await runs.repo.clips(done.id)
    replicate_fake.auto_complete = False
    await runs.runner.reroll(done.id, 0)
    await runs.wait_for(lambda: len(replicate_fake.predictions) == 2, what="the take")
    await _running(runs, done.id)

    assert await elsewhere.runner.cancel(done.id)

    async with asyncio.timeout(15):
        await runs.runner.wait(done.id)
    await asyncio.sleep(0.5)
    assert replicate_fake.counts["create"] == 2  # the film's and the take's: no third
    (after,) = await runs.repo.clips(done.id)
    assert (after.status, after.prediction_id, after.output_path) == (
        ClipStatus.SUCCEEDED,
        before.prediction_id,
        before.output_path,
    )
    stored = await runs.repo.generation(done.id)
    assert stored is not None and stored.status is GenerationStatus.DONE


class Leases:
    """A process's leases, as the runner sees them; `stall` holds the fence's answer, read
    while it was right, until `go` is set (the process stalled between the fence and the
    create). It answers
    the runner of de57d17 (`take`, `holds`) and the runner now (`terms`, `took`, `fencing`)."""

    def __init__(self, repo: Repository, name: str, *, stall: bool = False) -> None:
        self.repo = repo
        self.name = name
        self.stall = stall
        self.stalled = asyncio.Event()
        self.go = asyncio.Event()
        self.epochs: dict[int, int] = {}

    # de57d17
    async def take(self, generation_id: int) -> None:
        await self.repo.take_lease(generation_id, self.name, time.time() + 30)

    async def holds(self, generation_id: int) -> bool:
        owner: Any = await self.repo.lease_owner(generation_id)
        await self._stall()  # the answer was right when it was read
        return owner in (None, self.name)

    # now
    def terms(self) -> tuple[str, float]:
        return self.name, time.time() + 30

    async def took(self, generation_id: int) -> None:
        lease = await self.repo.lease_of(generation_id)
        assert lease is not None
        self.epochs[generation_id] = lease[1]

    async def fencing(self, generation_id: int) -> tuple[str, int] | None:
        lease = await self.repo.lease_of(generation_id)
        held = lease == (self.name, self.epochs[generation_id])
        await self._stall()  # the answer was right when it was read
        return (self.name, self.epochs[generation_id]) if held else None

    async def _stall(self) -> None:
        if self.stall:
            self.stall = False
            self.stalled.set()
            await self.go.wait()


async def test_4_a_refused_retry_takes_no_lease(
    engine_settings: Settings, open_harness: Open, replicate_fake: FakeReplicate
) -> None:
    async with (
        open_harness(engine_settings, make_leases=lambda repo: Leases(repo, "runs")) as runs,
        open_harness(
            engine_settings, make_leases=lambda repo: Leases(repo, "elsewhere")
        ) as elsewhere,
    ):
        replicate_fake.auto_complete = False
        generation = await runs.submit(clips=1)
        await _running(runs, generation.id)

        assert not await elsewhere.runner.retry(generation.id)  # running: refused

        assert await runs.repo.lease_owner(generation.id) == "runs"


async def test_5_a_process_stalled_past_its_lease_creates_nothing_that_is_kept(
    engine_settings: Settings, open_harness: Open, replicate_fake: FakeReplicate
) -> None:
    made: list[Leases] = []

    def stalling(repo: Repository) -> Leases:
        made.append(Leases(repo, "stalled", stall=True))
        return made[0]

    async with (
        open_harness(engine_settings, make_leases=stalling) as stalled,
        open_harness(engine_settings) as taker,
    ):
        (leases,) = made
        replicate_fake.auto_complete = False
        generation = await stalled.submit(clips=1)
        async with asyncio.timeout(15):
            await leases.stalled.wait()  # past the analysis, at the fence of its one clip

        # its lease expires; another process takes the generation over and makes the clip
        await taker.repo.take_lease(generation.id, "taker", time.time() + 30)
        await taker.runner.resume("cli", pending=[generation])
        await _running(taker, generation.id)
        (clip,) = await taker.repo.clips(generation.id)
        kept = clip.prediction_id

        leases.go.set()  # the stalled process wakes up
        await stalled.wait_for(lambda: not stalled.runner.held(), timeout=15, what="it to stop")
        await asyncio.sleep(0.5)

        (clip,) = await taker.repo.clips(generation.id)
        assert clip.prediction_id == kept  # the clip still follows the new holder's prediction
        unwatched = [
            p for p in replicate_fake.predictions.values() if p.id != kept and not p.canceled
        ]
        assert unwatched == []  # nothing billing that no clip follows
