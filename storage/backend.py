"""The backend API the repository is written against: SQL written once with `?` placeholders,
one-trip reads, guarded updates and transactions, over SQLite (`storage/sqlite.py`) or
PostgreSQL (`storage/postgres.py`).

A row is what the driver returns (`sqlite3.Row`, `asyncpg.Record`): read by column name
(`row["status"]`), by position (`row[0]`) or whole (`dict(row)`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

import asyncpg

Dialect = Literal["sqlite", "postgres"]

IntegrityError: tuple[type[Exception], ...] = (
    sqlite3.IntegrityError,
    asyncpg.IntegrityConstraintViolationError,
)
"""A constraint refused a write (a unique key taken, a foreign key missing), on either backend."""

TransientError: tuple[type[Exception], ...] = (
    sqlite3.OperationalError,  # a lock held past the busy timeout, a full disk
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # the connection was lost mid-statement
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.InsufficientResourcesError,  # disk full, out of memory
    asyncpg.CannotConnectNowError,
)
"""A write that may land when tried again later (storage/db.py's callers back off on these)."""


class Row(Protocol):
    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...


class Tx(Protocol):
    """One transaction: every statement on one connection, committed together on a clean exit
    of `async with Backend.transaction()`, rolled back when it raises."""

    dialect: Dialect

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> None: ...

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """An INSERT into a table with an `id` key (no RETURNING in `sql`); the new row's id."""
        ...

    async def lock(self, key: int) -> None:
        """Hold a lock on `key` (e.g. a member's id) until the transaction ends, so that
        transactions of every process that lock the same key run one after the other. SQLite
        writes are serialised already (BEGIN IMMEDIATE); PostgreSQL takes an advisory lock."""
        ...


class Backend(Protocol):
    """An open database: its dialect, reads, single-statement writes and transactions."""

    dialect: Dialect

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def update(self, sql: str, params: Sequence[Any] = ()) -> bool:
        """Run one writing statement on its own; True when it changed a row."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...

    async def close(self) -> None: ...
