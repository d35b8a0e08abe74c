"""What would grow without bound: the runner's task map, the media folder, ffmpeg encodes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.pipeline.events import ClipCompleted, ClipStarted
from bot.pipeline.media import ENCODES, _ffmpeg, stitch
from bot.pipeline.media._child import Child
from bot.pipeline.run.retention import DAY, MediaRetention
from bot.services import open_services
from storage.models import GenerationStatus
from tests.fakes.mp4 import make_clip


async def until(condition, *, timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


# -- Runner._tasks ----------------------------------------------------------------------------


async def test_the_runner_forgets_each_generation_once_it_ended(harness, replicate_fake) -> None:
    for _ in range(3):
        assert (await harness.generate(clips=1)).status is GenerationStatus.DONE

    assert len(harness.runner._tasks) == 0  # one entry per generation ever started, before


# -- MEDIA_RETENTION_DAYS -----------------------------------------------------------------------


async def test_the_media_of_generations_that_ended_long_ago_is_removed(
    harness, settings, replicate_fake
) -> None:
    old = await harness.generate(clips=2)
    recent = await harness.generate(clips=1)
    replicate_fake.auto_complete = False
    running = await harness.submit(clips=2)  # one clip made, one still rendering
    await harness.wait_for(lambda: len(harness.of(running.id, ClipStarted)) == 2)
    replicate_fake.complete((await harness.repo.clips(running.id))[0].prediction_id or "")
    await harness.wait_for(lambda: harness.of(running.id, ClipCompleted), what="its first clip")
    folder = {g.id: settings.media_dir / str(g.id) for g in (old, recent, running)}
    assert all(f.is_dir() for f in folder.values())
    listed = await harness.repo.history(None, limit=10)
    assert old.finished_at is not None and recent.finished_at is not None
    # 30 days after the old one ended, before the recent one did
    now = old.finished_at + 30 * DAY + (recent.finished_at - old.finished_at) / 2
    retention = MediaRetention(harness.repo, settings.media_dir, days=30)

    assert await retention.sweep(now=now) == 1

    assert not folder[old.id].exists()  # clips and film
    assert folder[recent.id].is_dir() and folder[running.id].is_dir()
    assert await harness.repo.media_removed_at(old.id) is not None
    assert await harness.repo.media_removed_at(recent.id) is None
    assert await harness.repo.history(None, limit=10) == listed  # /history answers as before
    assert (harness.deliverer.folder / f"delivered-{old.id}.mp4").is_file()  # the member's
    assert await retention.sweep(now=now) == 0  # once

    a_year_on = time.time() + 365 * DAY
    assert await retention.sweep(now=a_year_on) == 1  # the recent one; never a running one
    assert folder[running.id].is_dir()


async def test_retention_runs_where_the_process_starts_its_work(
    make_settings, open_harness, replicate_fake
) -> None:
    async with open_harness(make_settings()) as first:
        done = await first.generate(clips=1)
    folder = make_settings().media_dir / str(done.id)
    assert folder.is_dir()
    await asyncio.sleep(0.01)  # it ended longer ago than the retention below

    # the bot and the CLI build their services here; the first sweep runs at start
    async with open_services(make_settings(media_retention_days=0.001 / DAY)) as services:
        await until(lambda: not folder.exists(), what="the sweep at start")
        assert await services.repo.media_removed_at(done.id) is not None


def test_zero_days_keeps_every_file(harness, settings) -> None:
    assert MediaRetention(harness.repo, settings.media_dir, days=0).start() is None
    assert settings.media_retention_days == 30  # the default


# -- FFMPEG_CONCURRENCY ---------------------------------------------------------------------


async def test_reencodes_wait_for_one_of_the_ffmpeg_slots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four stitches that must re-encode, FFMPEG_CONCURRENCY=2: two encode, two wait."""
    real_start = _ffmpeg.start_child
    encoding = 0
    release = asyncio.Event()

    async def held_start(cmd: Sequence[str]) -> Child:
        nonlocal encoding
        if "libx264" in cmd:
            encoding += 1
            await release.wait()  # held until the test has seen who got a slot
        return await real_start(cmd)

    monkeypatch.setattr(_ffmpeg, "start_child", held_start)
    ENCODES.configure(2)
    try:
        jobs = []
        for n in range(4):
            parts = [  # two codecs: no stream copy possible
                make_clip(tmp_path / f"{n}-a.mp4", color="red", seconds=0.5, width=32, height=18),
                make_clip(
                    tmp_path / f"{n}-b.mp4",
                    color="blue",
                    seconds=0.5,
                    width=32,
                    height=18,
                    codec="mpeg4",
                ),
            ]
            jobs.append(asyncio.create_task(stitch(parts, tmp_path / f"film-{n}.mp4")))
        await until(lambda: encoding + ENCODES.waiting == 4, what="every stitch to encode")

        assert (encoding, ENCODES.waiting) == (2, 2)

        release.set()
        results = await asyncio.gather(*jobs)
    finally:
        ENCODES.configure(None)
    assert all(r.reencoded and r.path.is_file() for r in results)
    assert encoding == 4


async def test_ffmpeg_concurrency_comes_from_the_settings(make_settings) -> None:
    async with open_services(make_settings(ffmpeg_concurrency=3)):
        assert ENCODES.limit == 3
    async with open_services(make_settings()):
        assert ENCODES.limit >= 1  # half the CPUs, at least one
