"""The backend API itself (storage/backend.py), on every backend: transactions commit or roll
back whole, ids of inserted rows, row counts, row locks skipped by another transaction, member
locks that hold across processes, and migrations when several processes start at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from storage.backend import Backend
from storage.migrations import migrations
from storage.models import NewGeneration, Usage
from storage.postgres import rowcount, to_postgres
from storage.repository import Repository
from storage.sqlite import connect as sqlite_connect
from tests.storage.conftest import Database

NOW = 1_800_000_000.0


async def _insert_generation(db: Backend, owner_id: int = 1) -> int:
    async with db.transaction() as tx:
        return await tx.insert(
            "INSERT INTO generations (owner_id, prompt, status, created_at, updated_at)"
            " VALUES (?, 'a seal', 'queued', ?, ?)",
            (owner_id, NOW, NOW),
        )


def test_placeholders_are_numbered_outside_quotes() -> None:
    assert to_postgres("SELECT * FROM t WHERE a = ? AND b IN (?, ?)") == (
        "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)"
    )
    assert to_postgres("SELECT 'what?', \"odd?\" FROM t WHERE a = ?") == (
        "SELECT 'what?', \"odd?\" FROM t WHERE a = $1"
    )
    assert to_postgres("SELECT 'it''s?' || ?") == "SELECT 'it''s?' || $1"
    assert (rowcount("UPDATE 3"), rowcount("INSERT 0 1"), rowcount("CREATE TABLE")) == (3, 1, 0)


async def test_a_transaction_commits_whole_or_not_at_all(database: Database) -> None:
    async with database.open() as db:
        first = await _insert_generation(db)
        second = await _insert_generation(db)
        assert second > first > 0

        with pytest.raises(LookupError):
            async with db.transaction() as tx:
                assert tx.dialect == db.dialect
                await tx.execute("UPDATE generations SET prompt = 'changed' WHERE id = ?", (first,))
                await tx.executemany(
                    "INSERT INTO posts (generation_id, key, ref, created_at) VALUES (?, ?, ?, ?)",
                    [(first, "a", "1", NOW), (first, "b", "2", NOW)],
                )
                assert len(await tx.all("SELECT * FROM posts WHERE generation_id = ?", (first,)))
                raise LookupError("rolled back")

        row = await db.one("SELECT prompt FROM generations WHERE id = ?", (first,))
        assert row is not None and row["prompt"] == row[0] == "a seal"
        assert await db.all("SELECT * FROM posts") == []

        async with db.transaction() as tx:
            changed = await tx.execute("UPDATE generations SET prompt = 'x' WHERE id > ?", (0,))
            assert changed == 2
            assert await tx.one("SELECT id FROM generations WHERE id = ?", (second + 9,)) is None
        assert await db.update("UPDATE generations SET prompt = 'y' WHERE id = ?", (first,))
        assert not await db.update("UPDATE generations SET prompt = 'y' WHERE id = ?", (0,))
        (row,) = await db.all("SELECT id, prompt FROM generations WHERE id = ?", (first,))
        assert dict(row) == {"id": first, "prompt": "y"}


async def test_a_locked_row_is_skipped_by_another_transaction(database: Database) -> None:
    """What a claim of unfinished work needs: `FOR UPDATE SKIP LOCKED` through `tx.all` on
    PostgreSQL (SQLite has one writer at a time: the clause does not exist, nor is it needed)."""
    async with database.open() as db:
        ids = [await _insert_generation(db) for _ in range(3)]
        lock = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgres" else ""
        claim = f"SELECT id FROM generations WHERE status = 'queued' ORDER BY id LIMIT 1{lock}"
        if db.dialect == "sqlite":
            async with db.transaction() as tx:
                assert [r[0] for r in await tx.all(claim)] == [ids[0]]
            return
        first_holds, release = asyncio.Event(), asyncio.Event()

        async def first() -> list[int]:
            async with db.transaction() as tx:
                claimed = [r[0] for r in await tx.all(claim)]
                first_holds.set()
                await release.wait()
                return claimed

        holder = asyncio.create_task(first())
        await first_holds.wait()
        async with db.transaction() as tx:
            second = [r[0] for r in await tx.all(claim)]
        release.set()
        assert (await holder, second) == ([ids[0]], [ids[1]])


async def test_a_burst_of_admissions_from_two_processes_admits_one(database: Database) -> None:
    """The member lock (`tx.lock`): two processes' transactions read the usage one after the
    other, so a limit of one run admits exactly one of a burst."""

    def one_run(usage: Usage) -> None:
        if usage.runs >= 1:
            raise LookupError("over the daily limit")

    async with database.open() as a, database.open() as b:
        repos = [Repository(a), Repository(b)]
        results = await asyncio.gather(
            *(
                repos[i % 2].create_generation(
                    NewGeneration(owner_id=7, prompt=f"p{i}"), admit=one_run, since=0.0
                )
                for i in range(8)
            ),
            return_exceptions=True,
        )
        assert sum(not isinstance(r, BaseException) for r in results) == 1
        assert all(isinstance(r, LookupError) for r in results if isinstance(r, BaseException))
        assert await repos[0].usage_since(7, 0.0) == Usage(1, 0.0)


async def test_processes_starting_at_once_apply_each_migration_once(database: Database) -> None:
    async def start() -> int:
        async with database.open() as db:
            row = await db.one("SELECT COUNT(*) FROM generations")
            return int(row[0]) if row else -1

    assert await asyncio.gather(*(start() for _ in range(4))) == [0, 0, 0, 0]
    async with database.open() as db:
        if db.dialect == "postgres":
            rows = await db.all("SELECT version FROM schema_migrations ORDER BY version")
            assert [r[0] for r in rows] == [n for n, _, _ in migrations("postgres")]
        else:
            assert (await db.all("PRAGMA user_version"))[0][0] == len(migrations("sqlite"))


async def test_a_new_sqlite_database_opened_at_once_by_several_processes_is_never_locked(
    tmp_path: Path,
) -> None:
    """Switching a new database to WAL needs it to itself, and SQLite answers "locked" at once
    (not after the busy timeout) while another connection switches: before `_use_wal` about
    one race in eight failed here; 30 races make a regression near certain to show."""
    for race in range(30):
        path = tmp_path / f"race-{race}.sqlite3"

        async def open_and_close(path: Path = path) -> None:
            backend = await sqlite_connect(path)
            await backend.close()

        await asyncio.gather(*(open_and_close() for _ in range(4)))


def test_both_backends_ship_the_same_migration_numbers() -> None:
    sqlite = [(n, name) for n, name, _ in migrations("sqlite")]
    postgres = [(n, name) for n, name, _ in migrations("postgres")]
    assert sqlite == postgres


async def test_times_keep_their_fraction(database: Database) -> None:
    """PostgreSQL's REAL is 4 bytes (a Unix time would lose minutes): the schema says DOUBLE."""
    async with database.open() as db:
        repo = Repository(db)
        before = time.time()
        created = await repo.create_generation(NewGeneration(owner_id=1, prompt="a seal"))
        assert abs(created.created_at - before) < 1
