"""`python -m bot reroll GENERATION SCENE [--note TEXT]` as an operator runs it (issue 11 §1):
the same progress as `generate`, scene N only rendered again, the next version written."""

from __future__ import annotations

from tests.cli.test_cli import IDEA, bot
from tests.fakes.mp4 import frame_rgb

NOTE = "closer on the seal's face"


async def test_reroll_renders_one_scene_and_writes_the_next_version(
    env, tmp_path, replicate_fake
) -> None:
    first = await bot("generate", IDEA, "--clips", "3", "--out", "v1.mp4", env=env, cwd=tmp_path)
    assert first.code == 0, first.err

    run = await bot("reroll", "1", "2", "--note", NOTE, env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    assert f"Done: generation #1 v2 “Film: {IDEA}”, scene 2 rerolled → film-1-v2.mp4" in run.out
    # the progress display of `generate`, from the same events
    assert "generation #1: rerolling scene 2 (v2)" in run.err
    assert "generation #1: clip 2/3 done" in run.err
    assert f"2. done Scene 2: {IDEA}, {NOTE}" in run.err
    assert "1. done Scene 1" in run.err and "done (v2)" in run.err
    assert "delivered (file:film-1-v2.mp4)" in run.err
    assert "v1.mp4" not in run.err  # where the first film went is not this version's
    assert replicate_fake.counts["create"] == 4  # scene 2 only
    film, before = tmp_path / "film-1-v2.mp4", tmp_path / "v1.mp4"
    assert frame_rgb(film, 0.5) == frame_rgb(before, 0.5)
    assert frame_rgb(film, 1.5) != frame_rgb(before, 1.5)
    assert frame_rgb(film, 2.5) == frame_rgb(before, 2.5)


async def test_reroll_of_a_missing_scene_is_refused_and_spends_nothing(
    env, tmp_path, replicate_fake
) -> None:
    first = await bot("generate", IDEA, "--clips", "2", env=env, cwd=tmp_path)
    assert first.code == 0, first.err
    run = await bot("reroll", "1", "5", env=env, cwd=tmp_path)
    assert run.code == 1
    assert "Generation #1 has scenes 1 to 2." in run.err
    assert replicate_fake.counts["create"] == 2
