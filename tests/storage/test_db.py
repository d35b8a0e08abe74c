"""Migrations and the connection, on real databases (every backend)."""

from __future__ import annotations

import time
from pathlib import Path

from bot.config import load_settings
from storage.backend import Backend
from storage.db import open_database
from storage.migrations import migrations
from storage.models import GenerationStatus, NewGeneration
from storage.repository import Repository
from tests.storage.conftest import Database


async def _names(db: Backend, kind: str) -> set[str]:
    if db.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'"
        return {row[0] for row in await db.all(sql, (kind,))}
    if kind == "table":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    return {row[0] for row in await db.all(sql)}


async def _version(db: Backend) -> int:
    if db.dialect == "sqlite":
        row = await db.one("PRAGMA user_version")
    else:
        row = await db.one("SELECT MAX(version) FROM schema_migrations")
    assert row is not None
    return int(row[0])


async def _index_columns(db: Backend, index: str) -> list[str]:
    if db.dialect == "sqlite":
        return [row[2] for row in await db.all(f"PRAGMA index_info({index})")]
    rows = await db.all(
        "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
        " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE c.relname = ? ORDER BY k.n",
        (index,),
    )
    return [row[0] for row in rows]


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    numbers = [number for number, _, _ in migrations("sqlite")]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 2


async def test_an_empty_database_gets_every_migration(database: Database) -> None:
    async with database.open() as db:
        assert await _version(db) == len(migrations(db.dialect))
        assert {"generations", "clips", "posts"} <= await _names(db, "table")
        assert {"generations_owner", "generations_status", "clips_prediction"} <= await _names(
            db, "index"
        )
        assert await _index_columns(db, "generations_owner") == ["owner_id", "id"]
        if db.dialect == "sqlite":
            assert (await db.all("PRAGMA journal_mode"))[0][0] == "wal"
            assert (await db.all("PRAGMA foreign_keys"))[0][0] == 1


async def test_connecting_again_applies_nothing_twice(database: Database) -> None:
    async with database.open() as db:
        await Repository(db).create_generation(NewGeneration(owner_id=1, prompt="a seal"))
    async with database.open() as db:
        assert await _version(db) == len(migrations(db.dialect))
        assert len(await Repository(db).history(None)) == 1


async def test_an_older_database_is_upgraded_and_keeps_its_rows(database: Database) -> None:
    async with database.open(target=1) as db:
        assert await _version(db) == 1
        assert "posts" not in await _names(db, "table")
        assert "generations_owner" not in await _names(db, "index")
        now = time.time()
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO generations (id, owner_id, prompt, status, title, created_at,"
                " updated_at) VALUES (7, 42, 'a seal', 'done', 'Seal', ?, ?)",
                (now, now),
            )
            await tx.execute(
                "INSERT INTO clips (generation_id, idx, prompt, duration, status, prediction_id,"
                " updated_at) VALUES (7, 0, 'Scene 1: a seal', 5, 'succeeded', 'p1', ?)",
                (now,),
            )

    async with database.open() as db:
        assert await _version(db) == len(migrations(db.dialect))
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


async def test_the_settings_choose_the_backend(tmp_path: Path, pg_url: str) -> None:
    """DATABASE_URL set: PostgreSQL; unset: SQLite at DATABASE_PATH."""
    path = tmp_path / "data" / "reelbot.sqlite3"
    async with open_database(load_settings(database_path=path)) as db:
        assert db.dialect == "sqlite" and path.is_file()
    async with open_database(load_settings(database_path=path, database_url=pg_url)) as db:
        assert db.dialect == "postgres"
        assert await _version(db) == len(migrations("postgres"))
    async with open_database(pg_url) as db, open_database(path) as lite:
        assert (db.dialect, lite.dialect) == ("postgres", "sqlite")
