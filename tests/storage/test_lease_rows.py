"""Leases, live processes and a member's slots across processes, on every backend
(tests/storage/conftest.py): each expired generation is claimed by exactly one of several
processes claiming at once, and a member's limit holds when two processes start at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from storage.models import GenerationStatus, NewGeneration
from storage.repository import Repository
from storage.tables.lease_rows import UNLEASED_GRACE
from tests.storage.conftest import Database

LEASE = 30.0


async def _new(repo: Repository, owner_id: int = 1, source: str = "discord") -> int:
    generation = await repo.create_generation(
        NewGeneration(owner_id=owner_id, prompt="a seal", source=source)
    )
    return generation.id


@pytest.fixture
async def processes(database: Database) -> AsyncIterator[list[Repository]]:
    """Three repositories on three connections to one database: three processes."""
    async with AsyncExitStack() as stack:
        yield [Repository(await stack.enter_async_context(database.open())) for _ in range(3)]


async def test_a_lease_is_renewed_by_its_owner_only_and_not_once_its_generation_ended(
    repo: Repository,
) -> None:
    first, second, ended = [await _new(repo) for _ in range(3)]
    now = time.time()
    for gid in (first, second, ended):
        await repo.take_lease(gid, "a", now + LEASE)
    await repo.take_lease(second, "b", now + LEASE)  # taken over by b
    await repo.set_status(ended, GenerationStatus.CANCELLED)  # cancelled by another process

    assert await repo.renew_leases("a", [first, second, ended], now + 2 * LEASE) == {first}
    assert await repo.renew_leases("b", [first, second], now + 2 * LEASE) == {second}
    assert await repo.lease_owner(second) == "b"


async def test_a_claim_takes_expired_and_released_leases_and_at_start_up_its_own(
    repo: Repository,
) -> None:
    now = time.time()
    expired, running_elsewhere, mine, released, done = [await _new(repo) for _ in range(5)]
    await repo.take_lease(expired, "dead", now - 1)
    await repo.take_lease(running_elsewhere, "alive", now + LEASE)
    await repo.take_lease(mine, "me", now + LEASE)
    await repo.take_lease(released, "stopped", now + LEASE)
    await repo.release_leases("stopped")
    cli_id = await _new(repo, source="cli")
    await repo.take_lease(cli_id, "dead", now - 1)
    await repo.take_lease(done, "dead", now - 1)
    await repo.set_status(done, GenerationStatus.DONE)

    periodic = await repo.claim_leases(
        "me", "discord", now=now, expires_at=now + LEASE, include_own=False, limit=100
    )
    assert [g.id for g in periodic] == [expired, released]
    assert await repo.lease_owner(expired) == "me"

    await repo.take_lease(expired, "other", now - 1)
    at_start = await repo.claim_leases(
        "me", "discord", now=now, expires_at=now + LEASE, include_own=True, limit=100
    )
    assert {g.id for g in at_start} == {expired, mine, released}
    assert await repo.lease_owner(running_elsewhere) == "alive"


async def test_a_generation_stored_without_a_lease_is_claimed_only_after_a_grace(
    repo: Repository,
) -> None:
    gid = await _new(repo)
    now = time.time()
    fresh = await repo.claim_leases(
        "me", "discord", now=now, expires_at=now + LEASE, include_own=True, limit=10
    )
    assert fresh == []  # its process may be about to take its lease
    later = now + UNLEASED_GRACE + 1
    claimed = await repo.claim_leases(
        "me", "discord", now=later, expires_at=later + LEASE, include_own=False, limit=10
    )
    assert [g.id for g in claimed] == [gid]


async def test_each_expired_generation_is_claimed_by_exactly_one_of_three_processes(
    processes: list[Repository],
) -> None:
    repo = processes[0]
    now = time.time()
    ids = [await _new(repo, owner_id=n) for n in range(30)]
    for gid in ids:
        await repo.take_lease(gid, "dead", now - 1)

    async def claim(n: int) -> list[int]:
        got: list[int] = []
        for _ in range(6):  # a few passes each, racing the others, 5 a pass
            claimed = await processes[n].claim_leases(
                f"p{n}", "discord", now=now, expires_at=now + LEASE, include_own=False, limit=5
            )
            got += [g.id for g in claimed]
        return got

    results = await asyncio.gather(*(claim(n) for n in range(3)))
    taken = [gid for got in results for gid in got]
    assert sorted(taken) == ids  # every one, none twice
    for n, got in enumerate(results):
        for gid in got:
            assert await repo.lease_owner(gid) == f"p{n}"


async def test_live_processes_are_those_that_beat_within_the_lease(repo: Repository) -> None:
    now = time.time()
    assert await repo.beat("a", now=now - 2 * LEASE, live_after=now - 3 * LEASE) == 1
    assert await repo.beat("b", now=now, live_after=now - LEASE) == 1  # a is stale
    assert await repo.beat("c", now=now, live_after=now - LEASE) == 2
    await repo.leave("c")
    assert await repo.beat("b", now=now, live_after=now - LEASE) == 1


async def test_a_member_slot_is_counted_in_the_database(repo: Repository) -> None:
    first, second, third = [await _new(repo, owner_id=7) for _ in range(3)]
    other_member = await _new(repo, owner_id=8)

    assert await repo.take_member_slot(first, 7, limit=1) == 0
    assert (await repo.generation(first)).status is GenerationStatus.ANALYSING  # type: ignore[union-attr]
    assert await repo.take_member_slot(third, 7, limit=1) == 2  # second is ahead of it
    assert await repo.take_member_slot(second, 7, limit=1) == 1
    assert await repo.take_member_slot(other_member, 8, limit=1) == 0
    assert await repo.take_member_slot(first, 7, limit=1) == 0  # started already: holds its slot

    await repo.set_status(first, GenerationStatus.DONE)
    assert await repo.take_member_slot(second, 7, limit=1) == 0


async def test_two_processes_starting_one_member_at_once_respect_the_limit(
    processes: list[Repository],
) -> None:
    for round_ in range(5):
        ids = [await _new(processes[0], owner_id=100 + round_) for _ in range(3)]
        places = await asyncio.gather(
            *(processes[n].take_member_slot(gid, 100 + round_, 1) for n, gid in enumerate(ids))
        )
        assert sorted(places).count(0) == 1, places


async def test_a_lease_goes_when_its_generation_ends(repo: Repository) -> None:
    """Only unfinished generations have leases: what a claim reads stays as small as the work
    in flight, however long the history."""
    running, ending = [await _new(repo) for _ in range(2)]
    for gid in (running, ending):
        await repo.take_lease(gid, "me", time.time() + LEASE)
    await repo.set_status(ending, GenerationStatus.DONE)
    assert await repo.lease_owner(running) == "me"
    assert await repo.lease_owner(ending) is None
