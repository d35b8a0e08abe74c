"""Leak 2 of issue 18: Retry and Reroll read the status, then locked (READ COMMITTED on
PostgreSQL): two presses at once were both admitted, two runs charged, and for a Reroll two
unended versions. Now each is one guarded update whose row count decides: one press wins."""

from __future__ import annotations

import asyncio

from storage.models import GenerationStatus, NewGeneration, VersionStatus
from storage.repository import Repository
from storage.tables.version_rows import RerollRefused
from tests.storage.conftest import Database

PRESSES = 6


async def _failed(repo: Repository) -> int:
    generation = await repo.create_generation(NewGeneration(owner_id=7, prompt="a seal"))
    assert await repo.set_status(generation.id, GenerationStatus.FAILED, "clip 1 failed")
    return generation.id


async def _runs(repo: Repository, owner: int = 7) -> int:
    return (await repo.usage_since(owner, 0)).runs


async def test_two_retries_at_once_admit_one_run(database: Database) -> None:
    async with database.open() as a, database.open() as b:
        repos = [Repository(a), Repository(b)]
        gid = await _failed(repos[0])
        before = await _runs(repos[0])

        results = await asyncio.gather(
            *(repos[i % 2].reopen(gid, admit=lambda u: None) for i in range(PRESSES))
        )

        assert results.count(True) == 1, results
        assert await _runs(repos[0]) == before + 1
        assert (await repos[0].generation(gid)).status is GenerationStatus.QUEUED


async def _done_film(repo: Repository) -> int:
    generation = await repo.create_generation(NewGeneration(owner_id=7, prompt="a seal"))
    gid = generation.id
    await repo.set_shot_list(gid, title="Seal", shot_list="{}", scenes=[("Scene 1", 5)])
    (clip,) = await repo.clips(gid)
    await repo.clip_creating(clip.id)
    await repo.clip_started(clip.id, "p1")
    await repo.clip_succeeded(
        clip.id, output_path="/m/c.mp4", thumbnail_path=None, predict_seconds=1
    )
    await repo.set_video(gid, "/m/film.mp4", 1.0)
    await repo.record_delivery(gid, "dm:1/2")
    assert await repo.set_status(gid, GenerationStatus.DONE)
    return gid


async def test_two_rerolls_at_once_make_one_version(database: Database) -> None:
    async with database.open() as a, database.open() as b:
        repos = [Repository(a), Repository(b)]
        gid = await _done_film(repos[0])
        before = await _runs(repos[0])

        async def press(i: int) -> bool:
            try:
                await repos[i % 2].begin_reroll(gid, 0, note=None, seed=i, admit=lambda u: None)
            except RerollRefused:
                return False
            return True

        results = await asyncio.gather(*(press(i) for i in range(PRESSES)))

        assert results.count(True) == 1, results
        assert await _runs(repos[0]) == before + 1
        unended = [
            v
            for v in await repos[0].versions(gid)
            if v.status not in (VersionStatus.DONE, VersionStatus.FAILED, VersionStatus.CANCELLED)
        ]
        assert len(unended) == 1


async def test_an_unfinished_generation_from_before_0011_can_still_create(
    database: Database,
) -> None:
    """Migration 0011 settles the runs of before, but not the one an unfinished generation is
    on: its resumed clips may still be asked for."""
    async with database.open(target=10) as db, db.transaction() as tx:
        for gid, status in ((1, "done"), (2, "rendering")):
            await tx.execute(
                "INSERT INTO generations (id, owner_id, prompt, status, created_at,"
                " updated_at) VALUES (?, 7, 'a', ?, 1, 1)",
                (gid, status),
            )
            await tx.execute(
                "INSERT INTO clips (generation_id, idx, prompt, duration, status, updated_at)"
                " VALUES (?, 0, 'S', 5, 'pending', 1)",
                (gid,),
            )
            await tx.execute(
                "INSERT INTO runs (generation_id, owner_id, admitted_at) VALUES (?, 7, 1)",
                (gid,),
            )
    async with database.open() as db:
        repo = Repository(db)
        (clip,) = await repo.clips(2)
        assert isinstance(await repo.clip_create_admitted(clip.id, limit=100, since=0), int)
        (done_clip,) = await repo.clips(1)
        assert await repo.clip_create_admitted(done_clip.id) == "ended"
