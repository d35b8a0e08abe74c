"""The PostgreSQL backend (asyncpg): a connection pool, `?` placeholders rewritten to `$n`, and
the numbered migrations in `storage/migrations/postgres`, recorded in `schema_migrations` and
applied under an advisory lock, so that processes starting at once apply each exactly once."""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from storage.backend import Dialect, Row
from storage.migrations import migrations

log = logging.getLogger(__name__)

POOL_SIZE = 10  # connections per process: reads and writes run side by side, unlike SQLite's one
# The migrations' advisory lock, in the two-int key space (tx.lock's member ids use the bigint
# one; "the two key spaces do not overlap":
# https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS).
MIGRATION_LOCK = (0x5265_656C, 1)  # "Reel"

# a quoted literal or identifier (left as it is), or a placeholder
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?")


@functools.lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """`sql` with its `?` placeholders numbered `$1..$n` (not those inside quotes)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f"${count}"

    return _TOKEN.sub(number, sql)


def rowcount(status: str) -> int:
    """The rows a command changed, from its status ("UPDATE 3", "INSERT 0 1", "DELETE 0")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTx:
    """A transaction on one connection of the pool (READ COMMITTED, PostgreSQL's default)."""

    dialect: Dialect = "postgres"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._conn.fetchrow(to_postgres(sql), *params)
        return row

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = await self._conn.fetch(to_postgres(sql), *params)
        return rows

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return rowcount(await self._conn.execute(to_postgres(sql), *params))

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(to_postgres(sql), seq)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(await self._conn.fetchval(to_postgres(sql) + " RETURNING id", *params))

    async def lock(self, key: int) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock($1::bigint)", key)


class PostgresCopy:
    """Bulk rows into tables in one transaction (COPY), for `storage/transfer.py`."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def has_rows(self, table: str) -> bool:
        return bool(await self._conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'))

    async def records(
        self, table: str, columns: Sequence[str], records: Iterable[Sequence[Any]]
    ) -> None:
        await self._conn.copy_records_to_table(table, records=records, columns=list(columns))

    async def advance_identity(self, table: str) -> None:
        """Move the table's id sequence past the ids copied in, so new rows do not collide."""
        await self._conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f' COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )


class PostgresBackend:
    """A pool of asyncpg connections. A read or a single write takes any free connection; a
    transaction holds one until it ends."""

    dialect: Dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTx]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield PostgresTx(conn)

    @asynccontextmanager
    async def copying(self) -> AsyncIterator[PostgresCopy]:
        """A transaction for bulk rows, holding the migrations' lock: a second copy, or a bot
        starting up, waits until it ends."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", *MIGRATION_LOCK)
            yield PostgresCopy(conn)

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._pool.fetchrow(to_postgres(sql), *params)
        return row

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = await self._pool.fetch(to_postgres(sql), *params)
        return rows

    async def update(self, sql: str, params: Sequence[Any] = ()) -> bool:
        return rowcount(await self._pool.execute(to_postgres(sql), *params)) > 0

    async def close(self) -> None:
        await self._pool.close()


async def migrate_postgres(conn: asyncpg.Connection, *, target: int | None = None) -> int:
    """Apply every migration not in `schema_migrations`, in one transaction under the
    migrations' advisory lock (a second process starting at once waits, then finds them
    applied); return the version reached."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", *MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at DOUBLE PRECISION NOT NULL)"
        )
        current = int(
            await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        )
        for number, name, sql in migrations("postgres"):
            if number <= current or (target is not None and number > target):
                continue
            log.info("applying migration %s", name)
            await conn.execute(sql)  # a whole file: the simple protocol runs several statements
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                number,
                name,
                time.time(),
            )
            current = number
    return current


async def connect_postgres(url: str, *, target: int | None = None) -> PostgresBackend:
    """A pool on `url`, the database migrated to the latest version (or to `target`)."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE)
    try:
        async with pool.acquire() as conn:
            await migrate_postgres(conn, target=target)
    except BaseException:
        await pool.close()
        raise
    return PostgresBackend(pool)
