"""Continuity stored with a generation, and the recent clips' render times, on both backends."""

from __future__ import annotations

from storage.models import Continuity, NewGeneration
from storage.repository import Repository


async def _generation(repo: Repository, continuity: Continuity, scenes: int) -> int:
    new = NewGeneration(owner_id=1, prompt="a seal", source="cli", continuity=continuity)
    generation = await repo.create_generation(new)
    await repo.set_shot_list(
        generation.id,
        title="Seal",
        shot_list='{"title": "Seal"}',
        scenes=[(f"Scene {i}", 5) for i in range(1, scenes + 1)],
    )
    return generation.id


async def test_the_continuity_is_stored_with_the_generation(repo: Repository) -> None:
    chained = await _generation(repo, Continuity.CHAINED, 1)
    parallel = await _generation(repo, Continuity.PARALLEL, 1)

    assert (await repo.generation(chained)).continuity is Continuity.CHAINED  # type: ignore[union-attr]
    assert (await repo.generation(parallel)).continuity is Continuity.PARALLEL  # type: ignore[union-attr]


async def test_recent_render_seconds_are_the_latest_succeeded_clips(repo: Repository) -> None:
    clips = await repo.clips(await _generation(repo, Continuity.PARALLEL, 4))
    for clip, seconds in zip(clips, (12.5, 0.0, 30.0), strict=False):  # the 4th never ran
        await repo.clip_started(clip.id, f"pred-{clip.index}")
        await repo.clip_succeeded(
            clip.id, output_path="/m/c.mp4", thumbnail_path=None, predict_seconds=seconds
        )

    recent = await repo.recent_render_seconds(20)

    assert sorted(recent) == [12.5, 30.0]  # no figure (0 s) and not succeeded: left out
    assert len(await repo.recent_render_seconds(1)) == 1
