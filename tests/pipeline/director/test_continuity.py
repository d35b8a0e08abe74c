"""The continuity option: who may chain scenes, and what the member is told about the wait."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.pipeline.analysis.shotlist import Scene, ShotList
from bot.pipeline.clips.video_models import get_model, with_start_image
from bot.pipeline.director.continuity import (
    DEFAULT_RENDER_SECONDS,
    ChainedRender,
    check,
    duration,
    expected,
    parse,
    typical_render_seconds,
)
from bot.pipeline.errors import GenerationError
from bot.pipeline.events import AnalysisDone
from bot.pipeline.progress import Progress
from bot.pipeline.run.validation import validate_request
from cogs.generate import render
from cogs.generate.state import ReplyState
from storage.models import Continuity, GenerationStatus

SEEDANCE = "bytedance/seedance-1-lite"
WAN = "wan-video/wan-2.2-t2v-fast"  # text-to-video only: no start-image input


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def request(continuity: str | None, **values: object) -> dict[str, object]:
    return validate_request(
        "a seal",
        clips=3,
        aspect_ratio=None,
        seed=None,
        settings=settings(**values),
        continuity=continuity,
    )


def test_parallel_is_the_default_and_chained_is_stored() -> None:
    assert request(None, video_model=SEEDANCE)["continuity"] is Continuity.PARALLEL
    assert request("chained", video_model=SEEDANCE)["continuity"] is Continuity.CHAINED
    assert parse(" Chained ") is Continuity.CHAINED


def test_an_unknown_continuity_names_the_choices() -> None:
    with pytest.raises(GenerationError, match="one of parallel, chained, not 'zigzag'"):
        parse("zigzag")


def test_chained_on_a_model_without_a_start_image_names_the_models_that_have_one() -> None:
    with pytest.raises(GenerationError) as refused:
        request("chained", video_model=WAN)

    reason = refused.value.reason
    assert WAN in reason and "cannot start from an image" in reason
    assert all(name in reason for name in with_start_image()) and SEEDANCE in reason
    assert request("parallel", video_model=WAN)["continuity"] is Continuity.PARALLEL


def test_chained_needs_video_generation() -> None:
    with pytest.raises(GenerationError, match="need video generation"):
        check(Continuity.CHAINED, get_model(SEEDANCE), video_enabled=False)
    check(Continuity.PARALLEL, get_model(WAN), video_enabled=False)


def test_the_typical_render_time_is_the_median_of_recent_clips() -> None:
    assert typical_render_seconds([30.0, 200.0, 40.0, 0.0]) == 40.0  # 0: not measured
    assert typical_render_seconds([]) == DEFAULT_RENDER_SECONDS


def test_the_expected_wait_is_scenes_times_the_typical_render() -> None:
    wait = expected(3, [90.0, 80.0, 100.0])

    assert wait == ChainedRender(3, 270.0)
    assert wait.notice().endswith("expect about 4 min 30 s (3 scenes × ~1 min 30 s).")
    assert "one after another" in wait.notice()
    assert ChainedRender(2).notice().endswith("the one before.")  # the wait not known yet


def test_durations_read_well() -> None:
    assert [duration(s) for s in (0.2, 44.6, 60, 151, 3600)] == [
        "1 s",
        "45 s",
        "1 min",
        "2 min 30 s",
        "60 min",
    ]


def test_the_reply_says_the_scenes_render_one_after_another_with_the_wait() -> None:
    shots = ShotList(title="T", style="S", scenes=[Scene(prompt="a", duration=5)] * 2)
    state = ReplyState(7, "a seal")
    state.apply(AnalysisDone(7, shots, ChainedRender(2, 180.0)))

    shown = {f.name: f.value for f in render.embed(state).fields}

    assert "one after another" in shown["Continuity"] and "about 3 min" in shown["Continuity"]
    state.status = GenerationStatus.DONE
    assert "Continuity" not in {f.name for f in render.embed(state).fields}
    parallel = ReplyState(8, "a seal")
    parallel.apply(AnalysisDone(8, shots))
    assert "Continuity" not in {f.name for f in render.embed(parallel).fields}


def test_progress_keeps_the_wait_over_a_later_analysis_without_one() -> None:
    shots = ShotList(title="T", style="S", scenes=[Scene(prompt="a", duration=5)])
    progress = Progress(1)
    progress.apply(AnalysisDone(1, shots, ChainedRender(1, 60.0)))
    progress.apply(AnalysisDone(1, shots))

    assert progress.chained == ChainedRender(1, 60.0)
