"""A Recast's rows (issue 24), on SQLite and PostgreSQL: admitted by one guarded move, the
character's portrait pending again as its next take and every scene showing them pending with a
new seed; when it fails, the portrait and every take are put back."""

from __future__ import annotations

import pytest

from storage.models import ClipStatus, GenerationStatus, MemberStatus, VersionStatus
from storage.repository import Repository
from storage.tables.version_rows import RerollRefused
from tests.storage.test_version_rows import _done_film


async def test_a_recast_resets_the_portrait_and_its_scenes_and_puts_them_back(
    repo: Repository,
) -> None:
    gid = await _done_film(repo)
    await repo.plan_cast(gid, [("Ada", "a tall woman", None), ("Bo", "a seal", None)])
    for index in (0, 1):
        await repo.portrait_started(gid, index, f"img-{index}", seconds=0)
        await repo.portrait_ended(gid, index, MemberStatus.READY, image_path=f"/m/cast-{index}.png")

    film = await repo.gallery_film(gid)  # the web gallery shows the cast
    assert film is not None and film.cast == ("Ada", "Bo")

    version = await repo.begin_recast(gid, 0, [0, 1], note="older", seeds=[5, 6], reserve=11.0)
    assert (version.number, version.scene, version.recast, version.note) == (2, 0, 0, "older")
    with pytest.raises(RerollRefused):  # a second press: the film is rerolling
        await repo.begin_recast(gid, 0, [0, 1], note=None, seeds=[1, 2])
    ada, bo = await repo.cast_members(gid)
    assert (ada.status, ada.take, ada.note, ada.prediction_id) == (
        MemberStatus.PENDING, 2, "older", None,
    )  # fmt: skip
    assert bo.status is MemberStatus.READY and bo.take == 1
    clips = await repo.clips(gid)
    assert [(c.status, c.seed, c.version) for c in clips] == [
        (ClipStatus.PENDING, 5, 2),
        (ClipStatus.PENDING, 6, 2),
        (ClipStatus.SUCCEEDED, None, 1),  # scene 3 does not show her: kept
    ]

    assert await repo.end_recast(version, VersionStatus.FAILED, "the image model failed")
    assert not await repo.end_recast(version, VersionStatus.CANCELLED, None)
    ada, _ = await repo.cast_members(gid)
    assert (ada.status, ada.take, ada.image_path) == (MemberStatus.READY, 1, "/m/cast-0.png")
    clips = await repo.clips(gid)
    assert [(c.status, c.output_path, c.version) for c in clips] == [
        (ClipStatus.SUCCEEDED, "/m/clip-1.mp4", 1),
        (ClipStatus.SUCCEEDED, "/m/clip-2.mp4", 1),
        (ClipStatus.SUCCEEDED, "/m/clip-3.mp4", 1),
    ]
    generation = await repo.generation(gid)
    assert generation is not None and generation.status is GenerationStatus.DONE
    assert generation.video_path == "/m/film.mp4"


async def test_a_recast_of_a_character_without_a_finished_scene_is_refused(
    repo: Repository,
) -> None:
    gid = await _done_film(repo, scenes=1)
    await repo.plan_cast(gid, [("Ada", "a tall woman", None)])
    with pytest.raises(RerollRefused):
        await repo.begin_recast(gid, 0, [4], note=None, seeds=[1])
    generation = await repo.generation(gid)
    assert generation is not None and generation.status is GenerationStatus.DONE  # rolled back
