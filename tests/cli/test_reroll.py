"""`python -m bot reroll GENERATION SCENE [--note TEXT]` as an operator runs it (issue 11 §1):
the same progress as `generate`, scene N only rendered again, the next version written."""

from __future__ import annotations

import asyncio
import signal
import sqlite3

from bot.cli.interrupted import GRACE
from tests.cli.test_cli import IDEA, bot
from tests.cli.test_interrupted import row, start, until
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
    assert f"2. done Scene 2: {IDEA}, " in run.err and NOTE in run.err
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


async def test_an_interrupted_reroll_is_cancelled_by_the_next_command_and_the_film_stays(
    env, tmp_path, replicate_fake
) -> None:
    """A `reroll` killed mid-render (a closed terminal) is settled by the next terminal command
    like an interrupted generation: without a terminal to ask in, its prediction is cancelled
    and the film stays v1."""
    first = await bot("generate", IDEA, "--clips", "2", env=env, cwd=tmp_path)
    assert first.code == 0, first.err
    replicate_fake.script(["stuck"])
    child = await start("reroll", "1", "2", env=env, cwd=tmp_path)
    await until(lambda: len(replicate_fake.predictions) == 3)
    take = list(replicate_fake.predictions)[-1]
    await until(lambda: row(env, 1)[0] == "rerolling")
    child.send_signal(signal.SIGKILL)
    await child.wait()
    await asyncio.sleep(GRACE)

    history = await bot("history", env=env, cwd=tmp_path)

    assert history.code == 0, history.err
    assert "cancelled" in history.err
    assert replicate_fake.predictions[take].canceled
    assert row(env, 1)[0] == "done"
    with sqlite3.connect(env["DATABASE_PATH"]) as db:
        versions = db.execute("SELECT number, status FROM versions ORDER BY number").fetchall()
        (clip,) = db.execute("SELECT output_path FROM clips WHERE idx = 1").fetchall()
    assert versions == [(1, "done"), (2, "cancelled")]
    assert clip[0].endswith("clip-2.mp4")  # the first take is back
    assert len(replicate_fake.predictions) == 3
