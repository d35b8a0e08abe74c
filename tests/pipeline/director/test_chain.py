"""Chained scenes in the runner (in process, real clients against the fakes): one after
another, each from the scene before's last frame; a failure stops the chain, Retry goes on."""

from __future__ import annotations

import asyncio
import itertools
import statistics
from pathlib import Path

from bot.pipeline.clips.video_models import get_model
from bot.pipeline.director import chain
from bot.pipeline.director.continuity import DEFAULT_RENDER_SECONDS, ChainedRender
from bot.pipeline.events import AnalysisDone, ClipStarted
from storage.models import ClipStatus, Continuity, GenerationStatus
from tests.conftest import Harness
from tests.fakes.mp4 import frame_rgb, make_clip
from tests.fakes.replicate_fake import FakeReplicate

CHAINED = {"continuity": Continuity.CHAINED}


def dominant(rgb: tuple[int, int, int]) -> str:
    return "rgb"[max(range(3), key=lambda i: rgb[i])]


async def test_chained_scenes_are_made_one_after_another_from_the_last_frame(
    harness: Harness, replicate_fake: FakeReplicate
) -> None:
    final = await harness.generate(clips=3, **CHAINED)

    assert final.status is GenerationStatus.DONE, final.error
    assert final.continuity is Continuity.CHAINED  # stored with the generation
    made = sorted(replicate_fake.predictions.values(), key=lambda p: p.created)
    assert [p.prompt.split(":")[0] for p in made] == ["Scene 1", "Scene 2", "Scene 3"]
    for before, after in itertools.pairwise(made):
        assert before.completed is not None and after.created >= before.completed
        assert after.start_color is not None  # it had a start image
    assert made[0].start_color is None
    folder = harness.services.settings.media_dir / str(final.id)
    assert sorted(p.name for p in folder.glob("frame-*.png")) == ["frame-2.png", "frame-3.png"]
    clips = await harness.repo.clips(final.id)
    assert [c.start_image_url is not None for c in clips] == [False, True, True]
    # no clip history yet: the wait is scenes × the default render time
    (done,) = harness.of(final.id, AnalysisDone)
    assert isinstance(done, AnalysisDone)
    assert done.chained == ChainedRender(3, 3 * DEFAULT_RENDER_SECONDS)


async def test_the_expected_wait_comes_from_the_clips_made_before(
    harness: Harness, replicate_fake: FakeReplicate
) -> None:
    await harness.generate(clips=2)  # parallel: two clips with their render times stored
    recent = await harness.repo.recent_render_seconds(20)
    assert len(recent) == 2 and all(s > 0 for s in recent)

    final = await harness.generate(clips=2, **CHAINED)

    done = harness.of(final.id, AnalysisDone)[0]
    assert isinstance(done, AnalysisDone) and done.chained is not None
    assert done.chained.expected_seconds == 2 * statistics.median(recent)
    parallel = harness.of(1, AnalysisDone)[0]
    assert isinstance(parallel, AnalysisDone) and parallel.chained is None


async def test_a_failed_scene_stops_the_chain_and_retry_goes_on_from_it(
    harness: Harness, replicate_fake: FakeReplicate
) -> None:
    replicate_fake.script(["failed:GPU fell over"] * 3, match="Scene 2")

    failed = await harness.generate(clips=3, **CHAINED)

    assert failed.status is GenerationStatus.FAILED
    assert replicate_fake.created_for("Scene 3") == []  # never started without scene 2
    clips = await harness.repo.clips(failed.id)
    assert [c.status for c in clips] == [
        ClipStatus.SUCCEEDED,
        ClipStatus.FAILED,
        ClipStatus.PENDING,
    ]

    assert await harness.runner.retry(failed.id)
    final = await harness.runner.wait(failed.id)

    assert final.status is GenerationStatus.DONE, final.error
    assert len(replicate_fake.created_for("Scene 1")) == 1  # kept, not made again
    assert len(replicate_fake.created_for("Scene 3")) == 1
    assert replicate_fake.created_for("Scene 3")[0].start_color is not None
    started = [e.index for e in harness.of(final.id, ClipStarted) if isinstance(e, ClipStarted)]
    assert started.count(0) == 1


async def test_the_frame_is_taken_again_when_the_scene_before_was_made_again(
    harness: Harness, replicate_fake: FakeReplicate
) -> None:
    final = await harness.generate(clips=2, **CHAINED)
    clips = await harness.repo.clips(final.id)
    folder = harness.services.settings.media_dir / str(final.id)
    model = get_model(harness.services.settings.video_model)
    kept = await chain.start_frame(harness.repo, model, final, clips[1], folder)
    assert kept == folder / "frame-2.png"
    assert dominant(frame_rgb(kept, 0)) == "r"  # scene 1 is the fake's red

    # scene 1 made again since (a Retry after its file was lost): a newer, green clip
    await asyncio.sleep(0.01)
    make_clip(Path(clips[0].output_path or ""), seconds=0.5, width=64, height=36, color="lime")
    again = await chain.start_frame(harness.repo, model, final, clips[1], folder)

    assert dominant(frame_rgb(again, 0)) == "g"
