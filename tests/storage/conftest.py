"""The storage tests run against every backend: a SQLite file in `tmp_path`, and a fresh
database on the session's real PostgreSQL server (tests/pg.py). Neither is ever skipped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.backend import Backend, Dialect
from storage.postgres import connect_postgres
from storage.repository import Repository
from storage.sqlite import connect
from tests.pg import PgServer

BACKENDS: list[Dialect] = ["sqlite", "postgres"]


@dataclass
class Database:
    """One empty database of `dialect`, opened (and migrated, to `target` if given) by
    `async with database.open() as db:` as often as a test likes."""

    dialect: Dialect
    where: str | Path

    def open(self, target: int | None = None) -> AbstractAsyncContextManager[Backend]:
        @asynccontextmanager
        async def open_() -> AsyncIterator[Backend]:
            backend: Backend
            if self.dialect == "postgres":
                backend = await connect_postgres(str(self.where), target=target)
            else:
                backend = await connect(self.where, target=target)
            try:
                yield backend
            finally:
                await backend.close()

        return open_()


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "postgres":
        server: PgServer = request.getfixturevalue("pg_server")
        return Database("postgres", await server.create_database())
    return Database("sqlite", tmp_path / "reelbot.sqlite3")


@pytest.fixture
async def repo(database: Database) -> AsyncIterator[Repository]:
    async with database.open() as db:
        yield Repository(db)
