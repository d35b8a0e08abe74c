"""storage/transfer.py: two copies into one empty PostgreSQL database at once — one copies,
the other is refused (the emptiness is checked under the lock the copy holds)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.db import open_database
from storage.repository import Repository
from storage.seed import HEAVY_OWNER, seed_history
from storage.transfer import TargetNotEmpty, copy_sqlite_to_postgres

ROWS = 5_000


async def test_two_copies_at_once_copy_once(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "reelbot.sqlite3"
    await seed_history(path, rows=ROWS, members=10, heavy_rows=10)  # long enough to overlap

    results = await asyncio.gather(
        copy_sqlite_to_postgres(path, pg_url),
        copy_sqlite_to_postgres(path, pg_url),
        return_exceptions=True,
    )

    copied = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, TargetNotEmpty)]
    assert len(copied) == 1 and len(refused) == 1, results
    assert copied[0]["generations"] == ROWS
    async with open_database(pg_url) as db:
        assert await Repository(db).count_history(HEAVY_OWNER) == 10
