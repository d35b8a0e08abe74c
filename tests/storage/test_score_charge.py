"""A score's charge on both engines (issue 22): its reservation stays with the run when the shot
list lowers it, it is charged once before it is made, and never once its run ended."""

from __future__ import annotations

import pytest

from storage.models import GenerationStatus, NewGeneration, ScoreStatus
from storage.repository import Repository


async def _music_run(repo: Repository) -> int:
    generation = await repo.create_generation(
        NewGeneration(owner_id=7, prompt="a seal", music=True), reserve=24
    )
    await repo.set_shot_list(
        generation.id, title="S", shot_list="{}", scenes=[("Scene", 10)] * 2, also=4
    )
    return generation.id


async def test_the_score_s_reservation_outlives_the_shot_list_and_is_charged_once(
    repo: Repository,
) -> None:
    gid = await _music_run(repo)
    assert (await repo.usage_since(7, 0)).seconds == 24.0  # 2 x 10 s of scenes + 4 for the score
    assert await repo.score_charged(gid, 4)
    assert (await repo.usage_since(7, 0)).seconds == 24.0  # asked now, no longer only held
    await repo.set_score(gid, ScoreStatus.WANTED, prediction_id="p1")
    assert not await repo.score_charged(gid, 4)  # made already: never charged twice


@pytest.mark.parametrize("end", [GenerationStatus.CANCELLED, GenerationStatus.FAILED])
async def test_no_score_is_charged_once_its_run_ended(
    repo: Repository, end: GenerationStatus
) -> None:
    gid = await _music_run(repo)
    assert await repo.set_status(gid, end, "ended")
    assert not await repo.score_charged(gid, 4)
    assert (await repo.usage_since(7, 0)).seconds == 0.0  # settled: nothing was asked
