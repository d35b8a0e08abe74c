"""Clamping the shot list: whatever the model answers, the bounds hold."""

from __future__ import annotations

import pytest

from bot.pipeline.analysis.shotlist import (
    MAX_PROMPT_CHARS,
    MAX_SCENE_SECONDS,
    MAX_TITLE_CHARS,
    MIN_SCENE_SECONDS,
    Scene,
    ShotList,
    clamp,
)


def shots(*prompts: str, duration: int = 5, title: str = "T", style: str = "S") -> ShotList:
    return ShotList(
        title=title, style=style, scenes=[Scene(prompt=p, duration=duration) for p in prompts]
    )


def test_a_hundred_scenes_are_cut_to_max_clips() -> None:
    answer = shots(*(f"scene {i}" for i in range(100)))

    clamped = clamp(answer, wanted=None, max_clips=4)

    assert [s.prompt for s in clamped.scenes] == ["scene 0", "scene 1", "scene 2", "scene 3"]


def test_a_hundred_scenes_are_cut_to_the_clips_asked_for() -> None:
    clamped = clamp(shots(*(f"scene {i}" for i in range(100))), wanted=2, max_clips=4)

    assert [s.prompt for s in clamped.scenes] == ["scene 0", "scene 1"]


def test_clips_asked_for_never_exceed_max_clips() -> None:
    clamped = clamp(shots(*(f"scene {i}" for i in range(10))), wanted=9, max_clips=4)

    assert len(clamped.scenes) == 4


def test_fewer_scenes_than_exactly_asked_for_is_an_error() -> None:
    with pytest.raises(ValueError, match="exactly 3 scenes, got 2"):
        clamp(shots("a", "b"), wanted=3, max_clips=4)


def test_fewer_scenes_without_a_count_are_fine() -> None:
    assert len(clamp(shots("a", "b"), wanted=None, max_clips=4).scenes) == 2


def test_blank_scenes_are_dropped_and_whitespace_collapsed() -> None:
    clamped = clamp(shots("  ", "a  seal\n swims ", "\t", "b"), wanted=None, max_clips=4)

    assert [s.prompt for s in clamped.scenes] == ["a seal swims", "b"]


def test_blank_scenes_do_not_count_towards_exactly() -> None:
    with pytest.raises(ValueError, match="exactly 2 scenes, got 1"):
        clamp(shots("a", " "), wanted=2, max_clips=4)


def test_nothing_usable_is_an_error() -> None:
    with pytest.raises(ValueError, match="no usable scene"):
        clamp(shots(" ", ""), wanted=None, max_clips=4)
    with pytest.raises(ValueError, match="no usable scene"):
        clamp(shots(), wanted=None, max_clips=4)


@pytest.mark.parametrize(
    ("asked", "kept"),
    [(-3, MIN_SCENE_SECONDS), (0, MIN_SCENE_SECONDS), (6, 6), (600, MAX_SCENE_SECONDS)],
)
def test_durations_are_bounded(asked: int, kept: int) -> None:
    (scene,) = clamp(shots("a", duration=asked), wanted=1, max_clips=4).scenes

    assert scene.duration == kept


def test_lengths_are_bounded_and_a_blank_title_gets_a_name() -> None:
    clamped = clamp(shots("x" * 5000, title="   ", style="y" * 5000), wanted=None, max_clips=4)

    assert clamped.title == "Untitled"
    assert len(clamped.scenes[0].prompt) == MAX_PROMPT_CHARS
    assert len(clamped.style) == MAX_PROMPT_CHARS
    long_title = clamp(shots("a", title="t" * 500), wanted=None, max_clips=4).title
    assert len(long_title) == MAX_TITLE_CHARS
