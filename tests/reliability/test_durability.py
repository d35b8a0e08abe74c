"""SQLite under SIGKILL: a child writing through `storage` is killed mid-write, again and again;
the database reopens intact, with every acknowledged change and no half of a transaction."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from pathlib import Path

from storage.db import open_database

ROOT = Path(__file__).resolve().parents[2]
KILLS = 6


async def run_writer_until_killed(db: Path, seed: int, lines: int) -> list[list[str]]:
    """Start the writer, read `lines` acknowledged changes, SIGKILL it mid-stream."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.reliability.writer",
        str(db),
        str(seed),
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None
    acknowledged: list[list[str]] = []
    try:
        while len(acknowledged) < lines:
            line = await asyncio.wait_for(child.stdout.readline(), 20)
            assert line, "the writer stopped by itself"
            acknowledged.append(line.decode().split())
    finally:
        child.send_signal(signal.SIGKILL)  # while it keeps writing
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    return acknowledged


async def test_sigkill_during_writes_leaves_the_database_intact(tmp_path: Path) -> None:
    db_path = tmp_path / "reelbot.sqlite3"
    rng = random.Random(5)
    acknowledged: list[list[str]] = []
    for kill in range(KILLS):
        acknowledged += await run_writer_until_killed(db_path, kill, rng.randint(30, 300))

    async with open_database(db_path) as db:  # reopens (and migrates) without complaint
        integrity = await db.all("PRAGMA integrity_check")
        assert [tuple(row) for row in integrity] == [("ok",)]
        mode = await db.all("PRAGMA journal_mode")
        assert [tuple(row) for row in mode] == [("wal",)]
        generations = {row["id"]: dict(row) for row in await db.all("SELECT * FROM generations")}
        clips: dict[int, list[dict]] = {}
        for row in await db.all("SELECT * FROM clips ORDER BY idx"):
            clips.setdefault(row["generation_id"], []).append(dict(row))
        posts = {row[0] for row in await db.all("SELECT generation_id FROM posts")}

    assert len(generations) >= KILLS * 5
    # every change the writer saw committed is there (durable across SIGKILL)
    for word, gid, *rest in acknowledged:
        generation = generations[int(gid)]
        if word == "shot":
            assert len(clips[int(gid)]) == int(rest[0])
        elif word == "clip":
            assert clips[int(gid)][int(rest[0])]["status"] == "succeeded"
        elif word == "done":
            assert generation["status"] == "done" and generation["delivered_at"] is not None
            assert int(gid) in posts
    # and no transaction is there by halves: a shot list comes with all of its clips
    for gid, generation in generations.items():
        mine = clips.get(gid, [])
        if generation["shot_list"] is None:
            assert mine == [], gid
        else:
            scenes = json.loads(generation["shot_list"])["scenes"]
            assert [c["idx"] for c in mine] == list(range(len(scenes))), gid
        for clip in mine:
            if clip["status"] == "succeeded":
                assert clip["output_path"] and clip["prediction_id"], clip
        if generation["status"] == "done":
            assert all(c["status"] == "succeeded" for c in mine)
