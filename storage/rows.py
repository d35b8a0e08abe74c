"""What every part of the repository shares: the connection, its write lock, transactions and
one-trip reads, and turning rows into models."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from storage.models import (
    FINAL_STATUSES,
    Clip,
    ClipStatus,
    Generation,
    GenerationStatus,
)

_FINAL = tuple(str(s) for s in FINAL_STATUSES)
_NOT_FINAL = f"status NOT IN ({', '.join('?' * len(_FINAL))})"


def _generation(row: aiosqlite.Row) -> Generation:
    data = dict(row)
    data["status"] = GenerationStatus(data["status"])
    return Generation(**data)


def _clip(row: aiosqlite.Row) -> Clip:
    data = dict(row)
    data["index"] = data.pop("idx")
    data["status"] = ClipStatus(data["status"])
    return Clip(**data)


class Rows:
    """One long-lived aiosqlite connection and its write lock, shared by the parts of the
    repository (generations, clips, posts, narration)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._write = asyncio.Lock()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
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

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> Iterable[aiosqlite.Row]:
        return await self._db.execute_fetchall(sql, params)

    async def _update(self, sql: str, params: Sequence[Any]) -> bool:
        async with self._write:
            # a finished UPDATE/INSERT holds nothing: closing its cursor would be a second trip
            cursor = await self._db.execute(sql, params)
            return cursor.rowcount > 0
