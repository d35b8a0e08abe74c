"""Copying a SQLite history into an empty PostgreSQL database: every table, ids kept, the
identity sequences moved past them (`python -m bot migrate-sqlite-to-postgres`)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storage.postgres import PostgresBackend, connect_postgres
from storage.sqlite import connect

BATCH = 5_000  # rows read from SQLite and sent with COPY at a time


class TargetNotEmpty(Exception):
    """The PostgreSQL database already holds rows: copying would mix two histories."""


def _tables(db: sqlite3.Connection) -> list[str]:
    """The SQLite tables, each after the tables its foreign keys point at."""
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    parents = {
        name: {row[2] for row in db.execute(f'PRAGMA foreign_key_list("{name}")')} - {name}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:
            raise RuntimeError(
                f"foreign keys form a cycle among {sorted(set(names) - set(ordered))}"
            )
        ordered += ready
    return ordered


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "bigint": int,
    "integer": int,
    "smallint": int,
    "double precision": float,
    "real": float,
    "text": str,
}


def _converted(convert: list[Callable[[Any], Any]], row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A SQLite row's values as the PostgreSQL columns' types (SQLite keeps what it is given)."""
    return tuple(None if v is None else f(v) for f, v in zip(convert, row, strict=True))


async def _columns(target: PostgresBackend, table: str) -> dict[str, Callable[[Any], Any]]:
    rows = await target.all(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ?",
        (table,),
    )
    return {str(r[0]): _CONVERT.get(str(r[1]), lambda v: v) for r in rows}


async def copy_sqlite_to_postgres(sqlite_path: Path, url: str) -> dict[str, int]:
    """Copy every table of the SQLite database at `sqlite_path` (migrated to the latest version
    first) into the PostgreSQL database at `url` (migrated too), in one transaction; the rows
    copied per table. Raises TargetNotEmpty when the target holds any row already."""
    if not sqlite_path.is_file():
        raise FileNotFoundError(f"no SQLite database at {sqlite_path}")
    source_backend = await connect(sqlite_path)  # brings the schema up to date
    await source_backend.close()
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True, check_same_thread=False)
    target = await connect_postgres(url)
    try:
        tables = await asyncio.to_thread(_tables, source)
        columns = {table: await _columns(target, table) for table in tables}
        missing = [table for table in tables if not columns[table]]
        if missing:
            raise RuntimeError(f"tables missing in PostgreSQL: {', '.join(missing)}")
        counts: dict[str, int] = {}
        async with target.copying() as copy:
            for table in tables:  # checked under the lock: two copies at once cannot both pass
                if await copy.has_rows(table):
                    raise TargetNotEmpty(f"the PostgreSQL database already has rows in {table}")
            for table in tables:
                cursor = await asyncio.to_thread(source.execute, f'SELECT * FROM "{table}"')
                names = [d[0] for d in cursor.description]
                convert = [columns[table].get(name, lambda v: v) for name in names]
                counts[table] = 0
                while batch := await asyncio.to_thread(cursor.fetchmany, BATCH):
                    records = [_converted(convert, row) for row in batch]
                    await copy.records(table, names, records)
                    counts[table] += len(records)
                if "id" in columns[table]:
                    await copy.advance_identity(table)
        for table in tables:  # statistics and the visibility map (index-only scans) now,
            await target.update(f'VACUUM ANALYZE "{table}"')  # not at autovacuum's leisure
        return counts
    finally:
        source.close()
        await target.close()
