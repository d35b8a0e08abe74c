"""The SQLite connection: WAL, foreign keys, and numbered migrations applied at start-up."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped in `storage/migrations`, in order: (number, name, sql)."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


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
        for number, name, sql in migrations():
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


async def connect(path: Path | str) -> aiosqlite.Connection:
    """Open the database (creating its folder), in WAL mode, migrated to the latest version."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA busy_timeout = 5000")
        await migrate(db)
    except BaseException:
        await db.close()
        raise
    return db


@asynccontextmanager
async def open_database(path: Path | str) -> AsyncIterator[aiosqlite.Connection]:
    """`connect`, closed on exit."""
    db = await connect(path)
    try:
        yield db
    finally:
        await db.close()
