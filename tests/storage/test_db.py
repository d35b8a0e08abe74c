"""Migrations and the connection, on real SQLite files."""

from __future__ import annotations

import time
from pathlib import Path

import aiosqlite

from storage.db import connect, migrate, migrations, open_database
from storage.models import GenerationStatus, NewGeneration
from storage.repository import Repository


async def _names(db: aiosqlite.Connection, kind: str) -> set[str]:
    async with db.execute(
        "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'", (kind,)
    ) as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def _version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    numbers = [number for number, _, _ in migrations()]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 2


async def test_an_empty_database_gets_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "reelbot.sqlite3"  # the folder is created too

    async with open_database(path) as db:
        assert await _version(db) == len(migrations())
        assert {"generations", "clips", "posts"} <= await _names(db, "table")
        assert {"generations_owner", "generations_status", "clips_prediction"} <= await _names(
            db, "index"
        )
        async with db.execute("PRAGMA index_info(generations_owner)") as cursor:
            assert [row[2] for row in await cursor.fetchall()] == ["owner_id", "id"]
        async with db.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"
        async with db.execute("PRAGMA foreign_keys") as cursor:
            assert (await cursor.fetchone())[0] == 1


async def test_connecting_again_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "reelbot.sqlite3"
    async with open_database(path) as db:
        await Repository(db).create_generation(NewGeneration(owner_id=1, prompt="a seal"))
    async with open_database(path) as db:
        assert await _version(db) == len(migrations())
        assert len(await Repository(db).history(None)) == 1


async def test_an_older_database_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        assert await migrate(db, target=1) == 1
        assert "posts" not in await _names(db, "table")
        assert "generations_owner" not in await _names(db, "index")
        now = time.time()
        await db.execute(
            "INSERT INTO generations (id, owner_id, prompt, status, title, created_at,"
            " updated_at) VALUES (7, 42, 'a seal', 'done', 'Seal', ?, ?)",
            (now, now),
        )
        await db.execute(
            "INSERT INTO clips (generation_id, idx, prompt, duration, status, prediction_id,"
            " updated_at) VALUES (7, 0, 'Scene 1: a seal', 5, 'succeeded', 'p1', ?)",
            (now,),
        )
    finally:
        await db.close()

    db = await connect(path)
    try:
        assert await _version(db) == len(migrations())
        assert "posts" in await _names(db, "table")
        assert "generations_owner" in await _names(db, "index")
        repo = Repository(db)
        generation = await repo.generation(7)
        assert generation is not None
        assert (generation.owner_id, generation.prompt, generation.title, generation.status) == (
            42,
            "a seal",
            "Seal",
            GenerationStatus.DONE,
        )
        (clip,) = await repo.clips(7)
        assert (clip.prompt, clip.prediction_id) == ("Scene 1: a seal", "p1")
        assert await repo.record_post(7, "clip:1", "message:1")  # the new table works
    finally:
        await db.close()
