"""storage/transfer.py: two copies into one empty PostgreSQL database at once — one copies,
the other is refused (the emptiness is checked under the lock the copy holds)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.db import open_database
from storage.models import NewGeneration
from storage.repository import Repository
from storage.transfer import TargetNotEmpty, copy_sqlite_to_postgres


async def test_two_copies_at_once_copy_once(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "reelbot.sqlite3"
    async with open_database(path) as db:
        await Repository(db).create_generation(NewGeneration(owner_id=1, prompt="a seal"))

    results = await asyncio.gather(
        copy_sqlite_to_postgres(path, pg_url),
        copy_sqlite_to_postgres(path, pg_url),
        return_exceptions=True,
    )

    copied = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, TargetNotEmpty)]
    assert len(copied) == 1 and len(refused) == 1, results
    assert copied[0]["generations"] == 1 and copied[0]["runs"] == 1
    async with open_database(pg_url) as db:
        assert len(await Repository(db).history(None)) == 1
