"""Bulk rows for the benchmark: a database holding many members' finished generations.

The schema comes from the migrations (as the bot would create it); the rows go in with the
standard library's sqlite3 in large transactions, which is what makes a million rows quick.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.db import open_database
from storage.models import ClipStatus, GenerationStatus

HEAVY_OWNER = 1  # the member with the most generations
_BATCH = 50_000
_STATUSES = (GenerationStatus.DONE,) * 8 + (GenerationStatus.FAILED, GenerationStatus.CANCELLED)


@dataclass(frozen=True)
class Seeded:
    path: Path
    generations: int
    clips: int
    members: int
    heavy_owner: int
    heavy_rows: int
    seconds: float


def _owners(rows: int, members: int, heavy_rows: int, rng: random.Random) -> list[int]:
    """Owner of each row, oldest first: ``heavy_rows`` for HEAVY_OWNER, the rest spread over
    owners 2..members+1."""
    owners = [HEAVY_OWNER] * heavy_rows + [
        2 + rng.randrange(members) for _ in range(rows - heavy_rows)
    ]
    rng.shuffle(owners)
    return owners


def _generations(owners: list[int], clips: int, start: float) -> Iterator[tuple[object, ...]]:
    channel, guild = 900_000_000_000_000_000, 800_000_000_000_000_000
    for n, owner in enumerate(owners, start=1):
        created = start + n * 30.0
        status = _STATUSES[n % len(_STATUSES)]
        yield (
            n,
            owner,
            f"film {n}: a lighthouse keeper adopts a seal, take {n % 97}",
            clips,
            str(status),
            f"Film {n}",
            guild,
            channel + n % 50,
            1_000_000_000_000_000_000 + n,
            created,
            created + 90.0,
            created + 90.0,
        )


def _clips(rows: int, clips: int, start: float) -> Iterator[tuple[object, ...]]:
    for n in range(1, rows + 1):
        failed = _STATUSES[n % len(_STATUSES)] is GenerationStatus.FAILED
        for idx in range(clips):
            status = ClipStatus.FAILED if failed and idx == clips - 1 else ClipStatus.SUCCEEDED
            yield (n, idx, f"Scene {idx + 1}", 5, str(status), f"p{n:x}x{idx}", start + n * 30.0)


def _insert(path: Path, rows: int, members: int, heavy_rows: int, clips: int) -> int:
    rng = random.Random(4242)
    start = time.time() - rows * 30.0
    owners = _owners(rows, members, heavy_rows, rng)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous = OFF")
        generations = _generations(owners, clips, start)
        clip_rows = _clips(rows, clips, start)
        for batch_start in range(0, rows, _BATCH):
            size = min(_BATCH, rows - batch_start)
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO generations (id, owner_id, prompt, clips_requested, status, title,"
                " guild_id, channel_id, message_id, created_at, updated_at, finished_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (next(generations) for _ in range(size)),
            )
            db.executemany(
                "INSERT INTO clips (generation_id, idx, prompt, duration, status, prediction_id,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (next(clip_rows) for _ in range(size * clips)),
            )
            db.execute("COMMIT")
        db.execute("PRAGMA optimize")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return rows * clips


async def seed_history(
    path: Path, *, rows: int, members: int, heavy_rows: int, clips: int = 4
) -> Seeded:
    """A fresh database at ``path`` (replaced if it exists) with ``rows`` generations."""
    started = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    async with open_database(path):
        pass  # the migrations create the schema
    clip_count = await asyncio.to_thread(_insert, path, rows, members, heavy_rows, clips)
    return Seeded(
        path, rows, clip_count, members, HEAVY_OWNER, heavy_rows, time.perf_counter() - started
    )
