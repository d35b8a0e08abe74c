"""The cast sheet's rows (issue 24), on SQLite and PostgreSQL: written once, each portrait's
prediction stored by one guarded update that charges its cost to the run, its end guarded."""

from __future__ import annotations

import json

from storage.models import CastStatus, MemberStatus, NewGeneration, Upload
from storage.repository import Repository

LOOKS = [("Ada", "a tall woman", None), ("Bo", "a grey seal", "/media/1/cast-image.png")]


async def test_a_cast_is_planned_once_and_a_members_picture_is_ready_at_once(
    repo: Repository,
) -> None:
    plain = await repo.create_generation(NewGeneration(owner_id=1, prompt="a"))
    assert await repo.cast(plain.id) is None  # no cast asked: no row
    g = await repo.create_generation(
        NewGeneration(owner_id=1, prompt="b", cast=True, cast_name="Bo")
    )
    cast = await repo.cast(g.id)
    assert cast is not None and cast.status is CastStatus.WANTED and cast.image_name == "Bo"
    members = await repo.plan_cast(g.id, LOOKS)
    assert [(m.name, m.status, m.source) for m in members] == [
        ("Ada", MemberStatus.PENDING, "model"),
        ("Bo", MemberStatus.READY, "member"),
    ]
    again = await repo.plan_cast(g.id, [("Someone", "else", None)])  # a resumed run
    assert again == members
    await repo.set_cast_status(g.id, CastStatus.READY)
    assert (await repo.cast(g.id)).status is CastStatus.READY  # type: ignore[union-attr]


async def test_a_portraits_prediction_is_stored_once_and_charged_to_the_run(
    repo: Repository,
) -> None:
    g = await repo.create_generation(NewGeneration(owner_id=7, prompt="b", cast=True), reserve=5)
    await repo.plan_cast(g.id, LOOKS)
    assert await repo.portrait_started(g.id, 0, "p-1", seconds=1.0)
    assert not await repo.portrait_started(g.id, 0, "p-2", seconds=1.0)  # lost race: refused
    assert not await repo.portrait_started(g.id, 1, "p-3", seconds=1.0)  # not pending
    (ada, _) = await repo.cast_members(g.id)
    assert ada.prediction_id == "p-1"
    spent = await repo.spend_since(0.0, owner_id=7)
    assert [e.seconds for e in spent] == [1.0]  # charged once
    usage = await repo.usage_since(7, 0.0)
    assert usage.seconds == 5.0  # 1 spent + 4 still held of the 5 reserved

    assert await repo.portrait_ended(g.id, 0, MemberStatus.READY, image_path="/m/cast-1.png")
    assert not await repo.portrait_ended(g.id, 0, MemberStatus.DROPPED, reason="late")
    (ada, _) = await repo.cast_members(g.id)
    assert (ada.status, ada.image_path, ada.reason) == (MemberStatus.READY, "/m/cast-1.png", None)
    assert await repo.casts_of([g.id]) == {g.id: ["Ada", "Bo"]}


async def test_a_clips_references_are_stored_with_their_uploads(repo: Repository) -> None:
    g = await repo.create_generation(NewGeneration(owner_id=1, prompt="b", cast=True))
    await repo.set_shot_list(g.id, title="t", shot_list="{}", scenes=[("scene 1", 5)])
    (clip,) = await repo.clips(g.id)
    uploads = [
        ("Ada", Upload("f1", "https://r/f1", 10.0)),
        ("Bo", Upload("f2", "https://r/f2", 20.0)),
    ]
    await repo.set_clip_references(clip.id, uploads)
    stored = await repo.clip(clip.id)
    assert json.loads(stored.reference_urls or "") == [
        ["Ada", "https://r/f1"],
        ["Bo", "https://r/f2"],
    ]
    assert {u.file_id for u in await repo.clip_uploads(clip.id)} == {"f1", "f2"}
