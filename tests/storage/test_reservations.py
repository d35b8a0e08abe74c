"""Issue 18, storage side, on both engines: a run's reservation counts against its starter's
usage while it is pending and is settled when it ends; every create is admitted by the database
(the generation being made, the run holding its reservation, the member under the limit, the
lease at its epoch); a clip's prediction id is stored only by the attempt that created it."""

from __future__ import annotations

import time

from storage.models import CreateRefused, GenerationStatus, NewGeneration, Usage
from storage.repository import Repository

G = GenerationStatus


async def _rendering(repo: Repository, *, reserve: float, owner: int = 7, scenes: int = 1) -> int:
    generation = await repo.create_generation(
        NewGeneration(owner_id=owner, prompt="a seal"), reserve=reserve
    )
    await repo.set_shot_list(
        generation.id, title="S", shot_list="{}", scenes=[("Scene", 5)] * scenes
    )
    assert await repo.set_status(generation.id, G.RENDERING)
    return generation.id


async def test_a_pending_reservation_counts_and_is_settled_at_the_end(repo: Repository) -> None:
    generation = await repo.create_generation(NewGeneration(owner_id=7, prompt="a"), reserve=40)
    assert await repo.usage_since(7, 0) == Usage(1, 40.0)  # queued: its worst case counts
    await repo.set_shot_list(generation.id, title="S", shot_list="{}", scenes=[("Scene", 5)] * 2)
    assert await repo.usage_since(7, 0) == Usage(1, 10.0)  # lowered to what its scenes ask
    assert await repo.set_status(generation.id, G.RENDERING)
    (clip, _) = await repo.clips(generation.id)
    assert isinstance(await repo.clip_create_admitted(clip.id), int)
    assert await repo.usage_since(7, 0) == Usage(1, 10.0)  # 5 asked + 5 still reserved
    assert await repo.set_status(generation.id, G.FAILED, "no")
    assert await repo.usage_since(7, 0) == Usage(1, 5.0)  # settled: what it asked stays


async def test_no_create_after_a_cancel_or_once_the_run_ended(repo: Repository) -> None:
    gid = await _rendering(repo, reserve=5)
    (clip,) = await repo.clips(gid)
    assert await repo.set_status(gid, G.CANCELLED, "by a member")
    assert await repo.clip_create_admitted(clip.id) is CreateRefused.ENDED
    assert (await repo.clip(clip.id)).attempts == 0  # nothing counted, nothing spent


async def test_a_create_past_the_limit_is_refused_so_at_most_one_clip_over(
    repo: Repository,
) -> None:
    gid = await _rendering(repo, reserve=5, scenes=3)  # reserved less than it will ask
    clips = await repo.clips(gid)
    assert isinstance(await repo.clip_create_admitted(clips[0].id, limit=8, since=0), int)
    assert isinstance(await repo.clip_create_admitted(clips[1].id, limit=8, since=0), int)
    refused = await repo.clip_create_admitted(clips[2].id, limit=8, since=0)
    assert refused is CreateRefused.BUDGET
    assert (await repo.usage_since(7, 0)).seconds == 10.0  # the limit 8 passed by < one clip


async def test_an_earlier_run_is_not_starved_by_a_later_run_s_reservation(
    repo: Repository,
) -> None:
    first = await _rendering(repo, reserve=5)
    await repo.create_generation(NewGeneration(owner_id=7, prompt="b"), reserve=100)
    (clip,) = await repo.clips(first)
    assert isinstance(await repo.clip_create_admitted(clip.id, limit=10, since=0), int)


async def test_a_create_fenced_with_a_lost_lease_is_refused(repo: Repository) -> None:
    gid = await _rendering(repo, reserve=5)
    (clip,) = await repo.clips(gid)
    epoch = await repo.take_lease(gid, "a", time.time() + 30)
    taken = await repo.take_lease(gid, "b", time.time() + 30)  # another process took it over
    assert taken > epoch
    assert await repo.clip_create_admitted(clip.id, lease=("a", epoch)) is CreateRefused.LEASE
    attempt = await repo.clip_create_admitted(clip.id, lease=("b", taken))
    assert attempt == 1
    assert not await repo.clip_started(clip.id, "p-a", attempt=1, lease=("a", epoch))
    assert await repo.clip_started(clip.id, "p-b", attempt=1, lease=("b", taken))
    assert (await repo.clip(clip.id)).prediction_id == "p-b"


async def test_only_the_latest_attempt_stores_its_prediction(repo: Repository) -> None:
    gid = await _rendering(repo, reserve=10)
    (clip,) = await repo.clips(gid)
    stale = await repo.clip_create_admitted(clip.id)
    fresh = await repo.clip_create_admitted(clip.id)  # another process made an attempt since
    assert (stale, fresh) == (1, 2)
    assert await repo.clip_started(clip.id, "p2", attempt=2)
    assert not await repo.clip_started(clip.id, "p1", attempt=1)  # its creator cancels p1
    assert (await repo.clip(clip.id)).prediction_id == "p2"


async def test_a_retry_is_charged_to_who_pressed_it(repo: Repository) -> None:
    gid = await _rendering(repo, reserve=5, owner=7)
    assert await repo.set_status(gid, G.FAILED, "no")
    assert await repo.reopen(gid, admit=lambda u: None, reserve=5, started_by=99)
    assert await repo.started_by(gid) == 99
    assert await repo.usage_since(99, 0) == Usage(1, 5.0)
    assert await repo.set_status(gid, G.RENDERING)
    (clip,) = await repo.clips(gid)
    assert isinstance(await repo.clip_create_admitted(clip.id), int)
    assert await repo.usage_since(99, 0) == Usage(1, 5.0)  # asked now, no longer reserved
    assert (await repo.usage_since(7, 0)).runs == 1  # the owner's own first run only


async def test_no_create_for_a_clip_another_process_already_started(repo: Repository) -> None:
    """Without leases too: a process that read the clip pending, then stalled while another
    made and stored its prediction, is refused its create."""
    gid = await _rendering(repo, reserve=10)
    (clip,) = await repo.clips(gid)
    attempt = await repo.clip_create_admitted(clip.id)
    assert await repo.clip_started(clip.id, "p1", attempt=attempt)  # type: ignore[arg-type]
    assert await repo.clip_create_admitted(clip.id) is CreateRefused.TAKEN
    assert (await repo.clip(clip.id)).prediction_id == "p1"
