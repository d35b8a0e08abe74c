"""Film versions and the reroll's state (storage/tables/version_rows.py), on both backends: a reroll
is a run whose one create is its spend; its scene's take is replaced, and put back when it
fails or is cancelled; every version's film and clip are recorded."""

from __future__ import annotations

import pytest

from storage.models import ClipStatus, GenerationStatus, NewGeneration, Usage, VersionStatus
from storage.repository import Repository
from storage.tables.version_rows import RerollRefused


async def _done_film(repo: Repository, scenes: int = 3) -> int:
    generation = await repo.create_generation(NewGeneration(owner_id=7, prompt="a seal"))
    gid = generation.id
    await repo.set_shot_list(
        gid,
        title="Seal",
        shot_list='{"title": "Seal"}',
        scenes=[(f"Scene {i}", 5) for i in range(1, scenes + 1)],
    )
    for clip in await repo.clips(gid):
        await repo.clip_creating(clip.id)
        await repo.clip_started(clip.id, f"p{clip.index}")
        await repo.clip_succeeded(
            clip.id, output_path=f"/m/clip-{clip.index + 1}.mp4", thumbnail_path=None,
            predict_seconds=2.0,
        )  # fmt: skip
    await repo.set_video(gid, "/m/film.mp4", 6.0)
    await repo.record_delivery(gid, "dm:1/2")
    assert await repo.set_status(gid, GenerationStatus.DONE)
    return gid


async def test_a_reroll_is_a_run_and_its_create_the_spend(repo: Repository) -> None:
    gid = await _done_film(repo)
    before = await repo.usage_since(7, 0)
    assert before == Usage(1, 15.0)

    version = await repo.begin_reroll(gid, 1, note="closer", seed=99, admit=lambda u: None)

    assert (version.number, version.scene, version.note, version.seed) == (2, 1, "closer", 99)
    assert version.status is VersionStatus.QUEUED and version.prompt is None  # to be rewritten
    assert (await repo.generation(gid)).status is GenerationStatus.REROLLING
    clip = (await repo.clips(gid))[1]
    assert (clip.status, clip.prediction_id, clip.output_path, clip.attempts) == (
        ClipStatus.PENDING, None, None, 0,
    )  # fmt: skip
    assert (clip.version, clip.seed) == (2, 99)
    assert await repo.usage_since(7, 0) == Usage(2, 15.0)  # a run; nothing spent yet
    await repo.clip_creating(clip.id)  # the take's one create: the trigger counts it
    assert await repo.usage_since(7, 0) == Usage(2, 20.0)
    (v1, v2) = await repo.versions(gid)
    assert (v1.number, v1.scene, v1.film_path, v1.delivery_ref) == (
        1,
        None,
        "/m/film.mp4",
        "dm:1/2",
    )
    assert v2 == await repo.reroll_in_progress(gid)


async def test_admission_refusal_stores_nothing(repo: Repository) -> None:
    gid = await _done_film(repo)

    def refuse(usage: Usage) -> None:
        raise PermissionError(f"used {usage.runs}")

    with pytest.raises(PermissionError, match="used 1"):
        await repo.begin_reroll(gid, 0, note=None, seed=1, admit=refuse)
    assert await repo.versions(gid) == []
    assert (await repo.generation(gid)).status is GenerationStatus.DONE
    assert (await repo.clips(gid))[0].status is ClipStatus.SUCCEEDED
    with pytest.raises(RerollRefused):
        await repo.begin_reroll(gid, 9, note=None, seed=1)  # no such scene


async def test_a_finished_reroll_makes_the_new_version_the_film(repo: Repository) -> None:
    gid = await _done_film(repo)
    version = await repo.begin_reroll(gid, 2, note=None, seed=5)
    assert version.prompt == "Scene 3"  # no note: the prompt stays
    clip = (await repo.clips(gid))[2]
    await repo.clip_creating(clip.id)
    await repo.clip_started(clip.id, "p-new")
    await repo.clip_succeeded(
        clip.id, output_path="/m/clip-3-v2.mp4", thumbnail_path=None, predict_seconds=3.0
    )
    assert await repo.set_version_status(version.id, VersionStatus.DELIVERING)
    await repo.set_version_film(version.id, "/m/film-v2.mp4")
    assert await repo.record_version_delivery(version.id, "dm:1/3")
    assert not await repo.record_version_delivery(version.id, "dm:1/4")  # once

    assert await repo.finish_reroll(version)
    assert not await repo.finish_reroll(version)
    done = await repo.version(version.id)
    assert (done.status, done.prediction_id, done.clip_path, done.film_path, done.delivery_ref) == (
        VersionStatus.DONE, "p-new", "/m/clip-3-v2.mp4", "/m/film-v2.mp4", "dm:1/3",
    )  # fmt: skip
    generation = await repo.generation(gid)
    assert generation.status is GenerationStatus.DONE
    assert (generation.video_path, generation.delivery_ref) == ("/m/film-v2.mp4", "dm:1/3")
    assert generation.predict_seconds == pytest.approx(7.0)
    assert await repo.reroll_in_progress(gid) is None
    assert [v.number for v in (await repo.versions_of([gid, gid + 1]))[gid]] == [1, 2]


@pytest.mark.parametrize("status", [VersionStatus.FAILED, VersionStatus.CANCELLED])
async def test_a_reroll_that_ends_puts_the_earlier_take_back(
    repo: Repository, status: VersionStatus
) -> None:
    gid = await _done_film(repo)
    version = await repo.begin_reroll(gid, 1, note="wider", seed=5)
    await repo.set_version_prompt(version, "Scene 2, wider")
    assert (await repo.clips(gid))[1].prompt == "Scene 2, wider"

    assert await repo.end_reroll(version, status, "it failed")
    assert not await repo.end_reroll(version, status, "again")
    clip = (await repo.clips(gid))[1]
    assert (clip.status, clip.prompt, clip.prediction_id, clip.output_path, clip.version) == (
        ClipStatus.SUCCEEDED, "Scene 2", "p1", "/m/clip-2.mp4", 1,
    )  # fmt: skip
    assert clip.seed is None and clip.predict_seconds == 2.0
    ended = await repo.version(version.id)
    assert (ended.status, ended.error) == (status, "it failed")
    generation = await repo.generation(gid)
    assert generation.status is GenerationStatus.DONE and generation.video_path == "/m/film.mp4"
    assert await repo.usage_since(7, 0) == Usage(1, 15.0)  # spent nothing: not counted


async def test_retention_counts_from_the_latest_versions_end(repo: Repository) -> None:
    """MEDIA_RETENTION_DAYS: a film being rerolled is never swept; once rerolled, its clock
    starts again at the new version's end (every version's files are in its one folder)."""
    gid = await _done_film(repo)
    first_end = (await repo.generation(gid)).finished_at
    later = first_end + 10_000
    assert await repo.media_to_remove(ended_before=later) == [gid]
    version = await repo.begin_reroll(gid, 0, note=None, seed=3)
    assert await repo.media_to_remove(ended_before=later) == []  # rerolling: kept
    assert await repo.end_reroll(version, VersionStatus.FAILED, "no")
    ended = (await repo.generation(gid)).finished_at
    assert ended >= first_end
    assert await repo.media_to_remove(ended_before=ended - 0.001) == []
