"""The lease keeper over a real database: what it resumes at start-up, what it takes over,
what it drops when its lease was taken, and what it lets go when it stops."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.pipeline.checks.preflight import Problem
from bot.pipeline.clips.budget import RequestBudget
from bot.pipeline.run.lease import LeaseKeeper
from storage.db import open_database
from storage.models import Generation, NewGeneration
from storage.repository import Repository

LEASE = 30.0


class Runner:
    """Records what the keeper asks of the runner; `held` is what it is working on."""

    def __init__(self) -> None:
        self.running: set[int] = set()
        self.resumed: list[int] = []
        self.dropped: list[int] = []
        self.shares: list[int] = []

    def held(self) -> set[int]:
        return set(self.running)

    def drop(self, generation_id: int) -> None:
        self.dropped.append(generation_id)
        self.running.discard(generation_id)

    def share_provider_budget(self, parts: int) -> None:
        self.shares.append(parts)

    async def resume(
        self,
        source: str,
        *,
        unusable: Sequence[Problem] = (),
        pending: Sequence[Generation] | None = None,
    ) -> list[Generation]:
        assert pending is not None
        self.resumed += [g.id for g in pending]
        self.running |= {g.id for g in pending}
        return list(pending)


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    async with open_database(tmp_path / "reelbot.sqlite3") as db:
        yield Repository(db)


async def _new(repo: Repository) -> int:
    return (await repo.create_generation(NewGeneration(owner_id=1, prompt="a seal"))).id


def keeper(repo: Repository, runner: Runner, name: str) -> LeaseKeeper:
    return LeaseKeeper(store=repo, runner=runner, name=name, source="discord", seconds=LEASE)


async def test_start_resumes_its_own_and_the_expired_and_leaves_the_live_ones(
    repo: Repository,
) -> None:
    mine, dead, alive = [await _new(repo) for _ in range(3)]
    now = time.time()
    await repo.take_lease(mine, "me", now + LEASE)
    await repo.take_lease(dead, "dead", now - 1)
    await repo.take_lease(alive, "alive", now + LEASE)
    runner = Runner()
    me = keeper(repo, runner, "me")
    try:
        assert [g.id for g in await me.start()] == [mine, dead]
        assert runner.resumed == [mine, dead]
        assert await repo.lease_owner(dead) == "me"
        assert await repo.lease_owner(alive) == "alive"
    finally:
        await me.close()


async def test_a_beat_drops_what_another_process_took_and_takes_what_expired(
    repo: Repository,
) -> None:
    kept, lost, expired = [await _new(repo) for _ in range(3)]
    runner = Runner()
    me = keeper(repo, runner, "me")
    for gid in (kept, lost):
        await repo.take_lease(gid, *me.terms())
        await me.took(gid)
    runner.running = {kept, lost}
    await repo.take_lease(lost, "other", time.time() + LEASE)  # it stalled; other took it
    await repo.take_lease(expired, "dead", time.time() - 1)

    await me.beat()

    assert runner.dropped == [lost]
    assert runner.resumed == [expired]
    assert runner.running == {kept, expired}


async def test_closing_lets_the_leases_go_so_another_process_takes_them_at_once(
    repo: Repository,
) -> None:
    gid = await _new(repo)
    first, second = Runner(), Runner()
    me = keeper(repo, first, "me")
    await me.start()
    await repo.take_lease(gid, *me.terms())
    await me.took(gid)
    await me.close()

    other = keeper(repo, second, "other")
    try:
        await other.start()
        assert second.resumed == [gid]
    finally:
        await other.close()


async def test_live_processes_divide_the_provider_budget(repo: Repository) -> None:
    first, second = Runner(), Runner()
    a, b = keeper(repo, first, "a"), keeper(repo, second, "b")
    await a.start()
    await b.start()
    await a.beat()
    assert first.shares[-1] == 2 and second.shares[-1] == 2
    await b.close()
    await a.beat()
    assert first.shares[-1] == 1
    await a.close()


def test_a_shared_budget_keeps_its_part_of_the_rate_and_the_burst() -> None:
    budget = RequestBudget(600, burst=20)
    budget.share(2)
    assert budget.per_minute == pytest.approx(300)
    budget.share(1)
    assert budget.per_minute == pytest.approx(600)
    budget.share(40)
    assert budget.per_minute == pytest.approx(15)
