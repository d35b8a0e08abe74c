"""Reading the bot's database from a test process, whichever backend the bot runs on: a
read-only SQLite connection (WAL lets it read while the bot writes), or a small asyncpg pool on
PostgreSQL through the storage backend (same `?` SQL). Also an integrity check of each."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg

from storage.backend import Row
from storage.postgres import PostgresBackend


class DatabaseReader:
    """`await reader.all(sql, params)` on the bot's database; `await reader.integrity()`
    lists what is wrong (empty when intact)."""

    def __init__(self, sqlite_path: Path, url: str | None = None) -> None:
        self._path = sqlite_path
        self._url = url
        self._pg: PostgresBackend | None = None

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if self._url is None:
            return await asyncio.to_thread(self._sqlite, sql, params)
        if self._pg is None:
            self._pg = PostgresBackend(await asyncpg.create_pool(self._url, min_size=1, max_size=2))
        try:
            return await self._pg.all(sql, params)
        except asyncpg.UndefinedTableError:  # the bot has not created the schema yet
            return []

    def _sqlite(self, sql: str, params: Sequence[Any]) -> list[Row]:
        if not self._path.exists():
            return []
        db = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, timeout=10)
        try:
            db.row_factory = sqlite3.Row
            return list(db.execute(sql, tuple(params)).fetchall())
        finally:
            db.close()

    async def integrity(self) -> list[str]:
        """SQLite: `PRAGMA integrity_check`. PostgreSQL: amcheck's `bt_index_check` of every
        index of the bot's tables (https://www.postgresql.org/docs/current/amcheck.html) and
        every foreign key still pointing at a row."""
        if self._url is None:
            rows = await self.all("PRAGMA integrity_check")
            found = [str(r[0]) for r in rows]
            return [] if found == ["ok"] else found
        await self.all("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = await self.all(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam"
            " WHERE n.nspname = current_schema() AND a.amname = 'btree'"
        )
        wrong = []
        for index in indexes:
            try:
                await self.all("SELECT bt_index_check(?::regclass, true)", (index[0],))
            except asyncpg.PostgresError as exc:
                wrong.append(f"index {index[0]}: {exc}")
        orphans = await self.all(
            "SELECT COUNT(*) FROM clips c WHERE NOT EXISTS"
            " (SELECT 1 FROM generations g WHERE g.id = c.generation_id)"
        )
        if orphans and orphans[0][0]:
            wrong.append(f"{orphans[0][0]} clips without their generation")
        return wrong

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
