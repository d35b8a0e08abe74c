"""The web gallery's reads (storage/tables/gallery_rows.py), on both backends: a member's finished
films newest first and paged, a reroll's version beside the first cut, other members' films
and unfinished ones left out, and a film whose media retention removed shown as removed."""

from __future__ import annotations

from storage.models import GenerationStatus, NewGeneration, VersionStatus
from storage.repository import Repository


async def _done_film(repo: Repository, scenes: int = 3, owner: int = 7) -> int:
    """A delivered film of `scenes` scenes (prediction ids unique across calls)."""
    generation = await repo.create_generation(NewGeneration(owner_id=owner, prompt="a seal"))
    gid = generation.id
    await repo.set_shot_list(
        gid, title="Seal", shot_list="{}", scenes=[(f"Scene {i}", 5) for i in range(scenes)]
    )
    for clip in await repo.clips(gid):
        await repo.clip_creating(clip.id)
        await repo.clip_started(clip.id, f"p{gid}-{clip.index}")
        await repo.clip_succeeded(
            clip.id, output_path=f"/m/clip-{clip.index}.mp4", thumbnail_path=None,
            predict_seconds=2.0,
        )  # fmt: skip
    await repo.set_video(gid, "/m/film.mp4", 6.0)
    await repo.record_delivery(gid, "dm:1/2")
    assert await repo.set_status(gid, GenerationStatus.DONE)
    return gid


async def test_a_members_films_newest_first_paged_and_only_theirs(repo: Repository) -> None:
    first = await _done_film(repo, scenes=1)
    second = await _done_film(repo, scenes=1)
    await repo.create_generation(NewGeneration(owner_id=7, prompt="still rendering"))
    other = await repo.create_generation(NewGeneration(owner_id=8, prompt="bob's"))
    await repo.set_video(other.id, "/m/bob.mp4", 1.0)

    assert await repo.count_gallery(7) == 2
    films = await repo.gallery_films(7, limit=10)
    assert [f.generation_id for f in films] == [second, first]
    assert films[0].title == "Seal" and films[0].prompt == "a seal" and films[0].owner_id == 7
    assert [(t.version, t.film_path) for t in films[0].takes] == [(1, "/m/film.mp4")]
    assert films[0].removed_at is None
    assert [f.generation_id for f in await repo.gallery_films(7, limit=1, offset=1)] == [first]
    assert await repo.gallery_films(8) == [] and await repo.count_gallery(8) == 0
    assert await repo.gallery_film(other.id) is None  # no finished film


async def test_a_rerolls_version_appears_beside_the_first_cut(repo: Repository) -> None:
    gid = await _done_film(repo)
    version = await repo.begin_reroll(gid, 1, note="closer", seed=5)
    during = await repo.gallery_film(gid)
    assert during is not None and [t.version for t in during.takes] == [1]  # v2 not done yet

    await repo.set_version_film(version.id, "/m/film-v2.mp4")
    assert await repo.set_version_status(version.id, VersionStatus.DELIVERING)
    assert await repo.finish_reroll(version)
    assert (await repo.generation(gid)).status is GenerationStatus.DONE

    film = await repo.gallery_film(gid)
    assert film is not None
    assert [(t.version, t.film_path, t.scene, t.note) for t in film.takes] == [
        (1, "/m/film.mp4", None, None),
        (2, "/m/film-v2.mp4", 1, "closer"),
    ]
    assert film.take(2) is not None and film.take(3) is None
    (listed,) = await repo.gallery_films(7)
    assert [t.version for t in listed.takes] == [1, 2]


async def test_a_film_whose_media_was_removed_says_so(repo: Repository) -> None:
    gid = await _done_film(repo, scenes=1)
    await repo.record_media_removed(gid)
    film = await repo.gallery_film(gid)
    assert film is not None and film.removed_at is not None
    (listed,) = await repo.gallery_films(7)
    assert listed.removed_at is not None
