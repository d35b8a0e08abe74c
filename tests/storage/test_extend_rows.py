"""An Extend's rows (issue 24), on SQLite and PostgreSQL: admitted by one guarded move (of two
at once, one wins), its new scenes written once as new clips (the first starting from the scene
before), and, when it fails or is cancelled, the new scenes removed and the shot list before it
put back; delivered, the generation is done with the longer film."""

from __future__ import annotations

import pytest

from storage.models import ClipStatus, GenerationStatus, VersionStatus
from storage.repository import Repository
from storage.tables.version_rows import RerollRefused
from tests.storage.test_version_rows import _done_film


async def test_an_extend_is_admitted_once_and_its_scenes_written_once(repo: Repository) -> None:
    gid = await _done_film(repo)
    version = await repo.begin_extend(gid, 2, note="home", reserve=20.0, admit=lambda u: None)
    assert (version.number, version.scene, version.added, version.note) == (2, 3, 2, "home")
    assert (await repo.generation(gid)).status is GenerationStatus.REROLLING  # type: ignore[union-attr]
    with pytest.raises(RerollRefused):  # a second press: the film is not done any more
        await repo.begin_extend(gid, 2, note=None)
    assert (await repo.usage_since(7, 0)).seconds == 15.0 + 20.0  # spent + held

    scenes = [("Scene 4", 5), ("Scene 5", 5)]
    assert await repo.add_extension(version, '{"title": "longer"}', scenes)
    assert not await repo.add_extension(version, '{"title": "again"}', scenes)  # resumed
    clips = await repo.clips(gid)
    assert [(c.index, c.prompt, c.status, c.version, c.chained) for c in clips[3:]] == [
        (3, "Scene 4", ClipStatus.PENDING, 2, 1),
        (4, "Scene 5", ClipStatus.PENDING, 2, 0),
    ]
    assert (await repo.generation(gid)).shot_list == '{"title": "longer"}'  # type: ignore[union-attr]

    assert await repo.end_extend(version, VersionStatus.CANCELLED, "cancelled by a member")
    assert not await repo.end_extend(version, VersionStatus.FAILED, "late")  # ended already
    generation = await repo.generation(gid)
    assert generation is not None and generation.status is GenerationStatus.DONE
    assert generation.shot_list == '{"title": "Seal"}'  # the shot list before it
    assert [c.index for c in await repo.clips(gid)] == [0, 1, 2]  # the new scenes removed
    assert generation.video_path == "/m/film.mp4"  # the film stays the version before
    assert (await repo.usage_since(7, 0)).runs == 1  # spent nothing: not counted


async def test_a_delivered_extend_makes_the_longer_film_the_generations(repo: Repository) -> None:
    gid = await _done_film(repo, scenes=2)
    version = await repo.begin_extend(gid, 1, note=None)
    await repo.add_extension(version, '{"title": "longer"}', [("Scene 3", 5)])
    await repo.set_version_film(version.id, "/m/film-v2.mp4")
    assert await repo.record_version_delivery(version.id, "dm:1/3")
    assert await repo.finish_reroll(version)
    generation = await repo.generation(gid)
    assert generation is not None and generation.status is GenerationStatus.DONE
    assert (generation.video_path, generation.delivery_ref) == ("/m/film-v2.mp4", "dm:1/3")
    assert [(v.number, v.added, v.status) for v in await repo.versions(gid)] == [
        (1, 0, VersionStatus.DONE),
        (2, 1, VersionStatus.DONE),
    ]
    film = await repo.gallery_film(gid)  # the gallery says what made v2
    assert film is not None and [t.kind for t in film.takes] == ["reroll", "extend"]
