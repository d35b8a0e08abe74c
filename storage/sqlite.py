"""The SQLite backend: one long-lived aiosqlite connection (WAL, foreign keys) and its write
lock, and the numbered migrations in `storage/migrations/sqlite`, recorded in `user_version`."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.backend import Dialect, Row
from storage.migrations import migrations

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000  # how long a statement waits for another connection's write lock
WAL_RETRY_SECONDS = 0.02


class SqliteTx:
    """A write transaction on the backend's connection (BEGIN IMMEDIATE, under its lock)."""

    dialect: Dialect = "sqlite"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._db.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._db.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> None:
        await self._db.executemany(sql, seq)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._db.execute(sql, params)
        return int(cursor.lastrowid or 0)

    async def lock(self, key: int) -> None:
        """Nothing to take: BEGIN IMMEDIATE holds the database's only write lock already."""


class SqliteBackend:
    """One long-lived aiosqlite connection and its write lock. Reads go straight to the
    connection (one round trip to its thread each); writes queue on the lock."""

    dialect: Dialect = "sqlite"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._write = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTx]:
        async with self._write:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                yield SqliteTx(self._db)
                await self._db.execute("COMMIT")
            except BaseException:
                # A cancelled await does not stop the statement in the connection's thread (a
                # BEGIN may still run after we gave up on it); the ROLLBACK queues behind it.
                await asyncio.shield(self._rollback())
                raise

    async def _rollback(self) -> None:
        try:
            await self._db.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if "no transaction is active" not in str(exc):
                raise

    # Each await on the connection is a round trip to its thread (~50 µs of CPU on both sides):
    # a read is one trip (execute_fetchall), not three (execute, fetch, close).

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows = await self._db.execute_fetchall(sql, params)
        return rows if isinstance(rows, list) else list(rows)

    async def update(self, sql: str, params: Sequence[Any] = ()) -> bool:
        async with self._write:
            # a finished UPDATE/INSERT holds nothing: closing its cursor would be a second trip
            cursor = await self._db.execute(sql, params)
            return cursor.rowcount > 0

    async def close(self) -> None:
        await self._db.close()


def statements(sql: str) -> list[str]:
    """The complete SQL statements of a migration file, in order."""
    found, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                found.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise RuntimeError(f"incomplete SQL statement at the end of a migration: {buffer!r}")
    return found


async def migrate(db: aiosqlite.Connection, *, target: int | None = None) -> int:
    """Apply every migration above the database's `user_version`, all in one write
    transaction (so two processes starting at once never both apply one); return the
    new version."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        for number, name, sql in migrations("sqlite"):
            if number <= current or (target is not None and number > target):
                continue
            log.info("applying migration %s", name)
            for statement in statements(sql):
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {number}")
            current = number
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")
    return current


async def _use_wal(db: aiosqlite.Connection) -> None:
    """Put the database in WAL mode (kept in the file: set by whichever process opens a new
    database first). Switching needs the database to itself, and while another connection
    switches or migrates SQLite answers "database is locked" at once, without waiting out the
    busy timeout (it would deadlock): the switch is tried again for as long as that timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(WAL_RETRY_SECONDS)


async def connect(path: Path | str, *, target: int | None = None) -> SqliteBackend:
    """Open the database (creating its folder), in WAL mode, migrated to the latest version
    (or to `target`)."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        db.row_factory = aiosqlite.Row
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await _use_wal(db)
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
        await migrate(db, target=target)
    except BaseException:
        await db.close()
        raise
    return SqliteBackend(db)
