"""Opening the database: SQLite at a path, or PostgreSQL at a `postgresql://` URL, migrated to
the latest version at start-up; `open_database` picks the backend from the settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import asyncpg
from pydantic import SecretStr

from storage.backend import Backend
from storage.migrations import migrations
from storage.sqlite import connect, migrate, statements

__all__ = [
    "DatabaseSettings",
    "DatabaseUnavailable",
    "connect",
    "migrate",
    "migrations",
    "open_database",
    "statements",
]

log = logging.getLogger(__name__)

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class DatabaseUnavailable(Exception):
    """The database cannot be opened (a server down, a refused login); the message names
    where, never the password."""


class DatabaseSettings(Protocol):
    """What `open_database` reads from the settings (bot.config.Settings has both)."""

    @property
    def database_path(self) -> Path: ...

    @property
    def database_url(self) -> SecretStr | None: ...


def is_postgres(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def database_target(target: DatabaseSettings | str | Path) -> str | Path:
    """The URL or path `target` names: settings give `DATABASE_URL` when set, else the path."""
    if isinstance(target, str | Path):
        return target
    url = target.database_url
    return url.get_secret_value() if url is not None else target.database_path


async def connect_database(target: DatabaseSettings | str | Path) -> Backend:
    """Open (and migrate) the database `target` names; the caller closes it."""
    where = database_target(target)
    if is_postgres(where):
        from storage.postgres import connect_postgres

        url = urlsplit(str(where))  # named without its user and password
        named = f"{url.hostname}:{url.port or 5432}{url.path}"
        log.info("database: PostgreSQL at %s", named)
        try:
            return await connect_postgres(str(where))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseUnavailable(
                f"cannot open the PostgreSQL database at {named} (DATABASE_URL): {exc}"
            ) from exc
    log.info("database: SQLite at %s", where)
    return await connect(where)


@asynccontextmanager
async def open_database(target: DatabaseSettings | str | Path) -> AsyncIterator[Backend]:
    """The database `target` names (settings, a `postgresql://` URL or a SQLite path), open and
    migrated, closed on exit."""
    backend = await connect_database(target)
    try:
        yield backend
    finally:
        await backend.close()
