"""The repository on a real database (every backend, tests/storage/conftest.py): round trips,
guarded transitions, paged history."""

from __future__ import annotations

import time

import pytest

from storage.backend import IntegrityError
from storage.models import ClipStatus, GenerationStatus, NewGeneration, Usage
from storage.repository import Repository


async def _with_clips(repo: Repository, scenes: int = 3, **fields) -> int:
    generation = await repo.create_generation(NewGeneration(owner_id=1, prompt="a seal", **fields))
    await repo.set_shot_list(
        generation.id,
        title="Seal",
        shot_list='{"title": "Seal"}',
        scenes=[(f"Scene {i}", 5) for i in range(1, scenes + 1)],
    )
    return generation.id


async def test_a_new_generation_round_trips(repo: Repository) -> None:
    before = time.time()
    new = NewGeneration(
        owner_id=99,
        prompt="a lighthouse keeper adopts a seal",
        source="cli",
        clips_requested=3,
        aspect_ratio="9:16",
        seed=11,
        guild_id=5,
        channel_id=6,
    )

    created = await repo.create_generation(new)

    assert created == await repo.generation(created.id)
    assert (created.owner_id, created.prompt, created.source) == (99, new.prompt, "cli")
    assert (created.clips_requested, created.aspect_ratio, created.seed) == (3, "9:16", 11)
    assert (created.guild_id, created.channel_id) == (5, 6)
    assert created.status is GenerationStatus.QUEUED
    assert created.error is None and created.shot_list is None and created.finished_at is None
    assert created.created_at >= before and created.delivered_at is None
    assert await repo.generation(created.id + 1) is None


async def test_message_thread_shot_list_and_video_are_stored(repo: Repository) -> None:
    generation_id = await _with_clips(repo)
    await repo.set_message(generation_id, guild_id=1, channel_id=2, message_id=3)
    await repo.set_thread(generation_id, 4)
    await repo.set_video(generation_id, "/media/1/film.mp4", 12.5)

    generation = await repo.generation(generation_id)
    assert generation is not None
    assert (generation.guild_id, generation.channel_id, generation.message_id) == (1, 2, 3)
    assert generation.thread_id == 4
    assert (generation.title, generation.shot_list) == ("Seal", '{"title": "Seal"}')
    assert (generation.video_path, generation.predict_seconds) == ("/media/1/film.mp4", 12.5)
    clips = await repo.clips(generation_id)
    assert [(c.index, c.prompt, c.duration, c.status) for c in clips] == [
        (0, "Scene 1", 5, ClipStatus.PENDING),
        (1, "Scene 2", 5, ClipStatus.PENDING),
        (2, "Scene 3", 5, ClipStatus.PENDING),
    ]


async def test_storing_the_shot_list_again_keeps_the_clips(repo: Repository) -> None:
    generation_id = await _with_clips(repo, scenes=2)
    first = (await repo.clips(generation_id))[0]
    await repo.clip_creating(first.id)
    await repo.clip_started(first.id, "p1")

    again = await repo.set_shot_list(
        generation_id, title="Seal", shot_list="{}", scenes=[("other", 9), ("other", 9)]
    )

    assert [(c.prompt, c.prediction_id) for c in again] == [("Scene 1", "p1"), ("Scene 2", None)]


async def test_a_clip_moves_through_its_states(repo: Repository) -> None:
    clip = (await repo.clips(await _with_clips(repo, scenes=1)))[0]

    await repo.clip_creating(clip.id)
    creating = await repo.clip(clip.id)
    assert (creating.status, creating.attempts, creating.prediction_id) == (
        ClipStatus.CREATING,
        1,
        None,
    )
    assert creating.create_started_at is not None

    await repo.clip_started(clip.id, "pred-1")
    running = await repo.clip(clip.id)
    assert (running.status, running.prediction_id) == (ClipStatus.RUNNING, "pred-1")

    await repo.clip_ended(clip.id, ClipStatus.PENDING, "CUDA out of memory")
    assert (await repo.clip(clip.id)).error == "CUDA out of memory"
    await repo.clip_creating(clip.id)
    retried = await repo.clip(clip.id)
    assert (retried.attempts, retried.error, retried.prediction_id) == (2, None, None)

    await repo.clip_started(clip.id, "pred-2")
    await repo.clip_succeeded(
        clip.id, output_path="/m/clip-1.mp4", thumbnail_path="/m/clip-1.jpg", predict_seconds=3.5
    )
    done = await repo.clip(clip.id)
    assert (done.status, done.output_path, done.thumbnail_path, done.predict_seconds) == (
        ClipStatus.SUCCEEDED,
        "/m/clip-1.mp4",
        "/m/clip-1.jpg",
        3.5,
    )
    with pytest.raises(LookupError):
        await repo.clip(clip.id + 100)


async def test_a_prediction_id_belongs_to_one_clip_only(repo: Repository) -> None:
    a, b = await repo.clips(await _with_clips(repo, scenes=2))
    await repo.clip_started(a.id, "same")

    with pytest.raises(IntegrityError):
        await repo.clip_started(b.id, "same")


async def test_claimed_prediction_ids(repo: Repository) -> None:
    a, b, _ = await repo.clips(await _with_clips(repo))
    await repo.clip_started(a.id, "p-a")
    await repo.clip_started(b.id, "p-b")

    assert await repo.claimed_prediction_ids(["p-a", "p-x", "p-b"]) == {"p-a", "p-b"}
    assert await repo.claimed_prediction_ids(["p-x"]) == set()
    assert await repo.claimed_prediction_ids([]) == set()


async def test_a_final_status_is_never_overwritten(repo: Repository) -> None:
    generation_id = await _with_clips(repo)

    assert await repo.set_status(generation_id, GenerationStatus.RENDERING)
    assert await repo.set_status(generation_id, GenerationStatus.CANCELLED, "cancelled by a member")
    cancelled = await repo.generation(generation_id)
    assert cancelled is not None and cancelled.finished_at is not None

    for status in GenerationStatus:
        assert not await repo.set_status(generation_id, status, "late")
    after = await repo.generation(generation_id)
    assert after is not None
    assert (after.status, after.error) == (GenerationStatus.CANCELLED, "cancelled by a member")
    assert after.finished_at == cancelled.finished_at


async def test_reopen_puts_failed_clips_back_and_keeps_finished_ones(repo: Repository) -> None:
    generation_id = await _with_clips(repo)
    ok, bad, gone = await repo.clips(generation_id)
    await repo.clip_started(ok.id, "p-ok")
    await repo.clip_succeeded(ok.id, output_path="/m/1.mp4", thumbnail_path=None, predict_seconds=1)
    await repo.clip_creating(bad.id)
    await repo.clip_started(bad.id, "p-bad")
    await repo.clip_ended(bad.id, ClipStatus.FAILED, "boom")
    await repo.clip_ended(gone.id, ClipStatus.CANCELLED, "cancelled")
    assert not await repo.reopen(generation_id)  # not ended yet
    await repo.set_status(generation_id, GenerationStatus.FAILED, "clip 2: boom")

    assert await repo.reopen(generation_id)

    generation = await repo.generation(generation_id)
    assert generation is not None
    assert (generation.status, generation.error, generation.finished_at) == (
        GenerationStatus.QUEUED,
        None,
        None,
    )
    ok, bad, gone = await repo.clips(generation_id)
    assert (ok.status, ok.prediction_id) == (ClipStatus.SUCCEEDED, "p-ok")
    # the last prediction stays known: one that succeeded is downloaded again, not paid again
    for clip, prediction_id in ((bad, "p-bad"), (gone, None)):
        assert (clip.status, clip.prediction_id, clip.attempts, clip.error) == (
            ClipStatus.PENDING,
            prediction_id,
            0,
            None,
        )
    assert not await repo.reopen(generation_id)  # queued: nothing to reopen


async def test_a_delivery_is_recorded_once(repo: Repository) -> None:
    generation_id = await _with_clips(repo)

    assert await repo.record_delivery(generation_id, "dm:1")
    assert not await repo.record_delivery(generation_id, "thread:2")

    generation = await repo.generation(generation_id)
    assert generation is not None
    assert generation.delivery_ref == "dm:1" and generation.delivered_at is not None


async def test_a_post_is_recorded_once(repo: Repository) -> None:
    generation_id = await _with_clips(repo)

    assert await repo.record_post(generation_id, "clip:1", "m1")
    assert not await repo.record_post(generation_id, "clip:1", "m2")
    assert await repo.record_post(generation_id, "shot_list", "m3")

    assert await repo.posts(generation_id) == {"clip:1": "m1", "shot_list": "m3"}


async def test_unfinished_generations_by_source(repo: Repository) -> None:
    a = await repo.create_generation(NewGeneration(owner_id=1, prompt="a", source="discord"))
    b = await repo.create_generation(NewGeneration(owner_id=1, prompt="b", source="discord"))
    c = await repo.create_generation(NewGeneration(owner_id=1, prompt="c", source="cli"))
    await repo.set_status(a.id, GenerationStatus.RENDERING)
    await repo.set_status(b.id, GenerationStatus.DONE)

    assert [g.id for g in await repo.unfinished("discord")] == [a.id]
    assert [g.id for g in await repo.unfinished("cli")] == [c.id]
    latest = await repo.latest_unfinished(1)
    assert latest is not None and latest.id == c.id
    assert await repo.latest_unfinished(2) is None


async def test_usage_leaves_refunded_and_older_runs_out(repo: Repository) -> None:
    start = time.time()
    await repo.create_generation(NewGeneration(owner_id=1, prompt="a"))
    cancelled = await repo.create_generation(NewGeneration(owner_id=1, prompt="b"))
    await repo.create_generation(NewGeneration(owner_id=2, prompt="c"))
    await repo.set_status(cancelled.id, GenerationStatus.CANCELLED)

    assert await repo.usage_since(1, start) == Usage(runs=1, seconds=0.0)
    assert await repo.usage_since(1, time.time() + 1) == Usage(runs=0, seconds=0.0)


async def test_spent_stays_spent_through_retry_and_cancel(repo: Repository) -> None:
    """Issue 9 item 1: a Retry reset `attempts`, and the count read them, so Retry then Cancel
    gave the generation back; the spend is now recorded at each create and never reset."""
    start = time.time()
    generation_id = await _with_clips(repo, scenes=2)  # two clips of 5 s
    first, second = await repo.clips(generation_id)
    for _ in range(3):  # three rounds of create, cancel, Retry
        await repo.clip_creating(first.id)
        await repo.clip_creating(second.id)
        assert await repo.set_status(generation_id, GenerationStatus.CANCELLED)
        assert await repo.reopen(generation_id)
    await repo.set_status(generation_id, GenerationStatus.CANCELLED)  # cancelled before spending

    # four runs admitted; the last one spent nothing and was cancelled: refunded
    assert await repo.usage_since(1, start) == Usage(runs=3, seconds=30.0)
    assert await repo.usage_since(2, start) == Usage(runs=0, seconds=0.0)


async def test_admission_refuses_inside_the_transaction(repo: Repository) -> None:
    seen: list[Usage] = []

    def refuse(usage: Usage) -> None:
        seen.append(usage)
        if usage.runs >= 1:
            raise LookupError("over")

    await repo.create_generation(NewGeneration(owner_id=1, prompt="a"), admit=refuse)
    with pytest.raises(LookupError):
        await repo.create_generation(NewGeneration(owner_id=1, prompt="b"), admit=refuse)
    failed = await repo.create_generation(NewGeneration(owner_id=2, prompt="c"))
    await repo.set_status(failed.id, GenerationStatus.FAILED, "boom")
    with pytest.raises(LookupError):  # a Retry is a run too
        await repo.reopen(failed.id, admit=refuse)
    assert not await repo.reopen(failed.id + 5, admit=refuse)  # nothing to reopen: not asked

    assert await repo.count_history(1) == 1  # the refused one was never stored
    assert seen == [Usage(0, 0.0), Usage(1, 0.0), Usage(1, 0.0)]
    generation = await repo.generation(failed.id)
    assert generation is not None and generation.status is GenerationStatus.FAILED


async def test_history_is_paged_newest_first_and_private(repo: Repository) -> None:
    mine, theirs = [], []
    for i in range(25):
        mine.append((await repo.create_generation(NewGeneration(owner_id=1, prompt=f"m{i}"))).id)
        if i % 5 == 0:
            other = NewGeneration(owner_id=2, prompt=f"t{i}")
            theirs.append((await repo.create_generation(other)).id)

    pages = [await repo.history(1, limit=10, offset=offset) for offset in (0, 10, 20, 30)]

    assert [len(p) for p in pages] == [10, 10, 5, 0]
    assert [e.id for page in pages for e in page] == sorted(mine, reverse=True)
    assert pages[0][0].prompt == "m24" and pages[2][-1].prompt == "m0"
    assert await repo.count_history(1) == 25 and await repo.count_history(2) == 5
    assert [e.id for e in await repo.history(2, limit=50)] == sorted(theirs, reverse=True)
    assert len(await repo.history(None, limit=100)) == 30


async def test_history_counts_clips_and_shows_the_error(repo: Repository) -> None:
    generation_id = await _with_clips(repo)
    first, second, _ = await repo.clips(generation_id)
    await repo.clip_succeeded(first.id, output_path="/1", thumbnail_path=None, predict_seconds=1)
    await repo.clip_ended(second.id, ClipStatus.FAILED, "boom")
    await repo.set_status(generation_id, GenerationStatus.FAILED, "clip 2: boom")
    await repo.set_message(generation_id, guild_id=1, channel_id=2, message_id=3)

    (entry,) = await repo.history(1)

    assert (entry.clips_done, entry.clips_total) == (1, 3)
    assert (entry.status, entry.error, entry.title) == (
        GenerationStatus.FAILED,
        "clip 2: boom",
        "Seal",
    )
    assert (entry.guild_id, entry.channel_id, entry.message_id) == (1, 2, 3)
