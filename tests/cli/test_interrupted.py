"""A terminal generation interrupted mid-render (issue 9 item 6): a real `python -m bot generate`
child is stopped with SIGINT (Ctrl-C) or SIGKILL (a closed terminal, a crash) while its
predictions run; the next `generate` or `history` resumes or cancels it, never leaves it."""

from __future__ import annotations

import asyncio
import os
import pty
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from rich.console import Console

from bot.cli import interrupted
from bot.cli.interrupted import GRACE, INTERRUPTED
from bot.pipeline.events import ClipStarted
from bot.services import open_services
from storage.models import GenerationStatus, NewGeneration
from tests.cli.test_cli import IDEA, bot

OTHER = "a seal learns to knit"


async def start(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    """`python -m bot ARGS` in the background, stdin not a terminal."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def until(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s")


def row(env: dict[str, str], generation_id: int) -> tuple[str, str | None]:
    with sqlite3.connect(env["DATABASE_PATH"]) as db:
        found = db.execute(
            "SELECT status, error FROM generations WHERE id = ?", (generation_id,)
        ).fetchone()
    return found[0], found[1]


async def interrupted_mid_render(
    env: dict[str, str], cwd: Path, replicate_fake, how: signal.Signals
) -> set[str]:
    """Generation #1 from a child stopped by `how` while its two predictions run (they never
    finish by themselves); returns their ids."""
    replicate_fake.script(["stuck", "stuck"], match="lighthouse")
    child = await start("generate", IDEA, "--clips", "2", env=env, cwd=cwd)
    await until(lambda: len(replicate_fake.predictions) == 2)
    await until(lambda: row(env, 1)[0] == "rendering")
    child.send_signal(how)
    _, err = await asyncio.wait_for(child.communicate(), 30)
    assert row(env, 1)[0] == "rendering"  # what main left for ever
    if how is signal.SIGINT:  # Ctrl-C: the operator is told what is left and what comes next
        said = " ".join(err.decode().split())
        assert child.returncode == 130, said
        assert "Interrupted: generation #1 is left unfinished" in said, said
        assert "The next `python -m bot generate` or `python -m bot history` asks" in said
        assert "Traceback" not in said and "KeyboardInterrupt" not in said, said
    await asyncio.sleep(GRACE)
    return set(replicate_fake.predictions)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
async def test_the_next_generate_cancels_it_when_nobody_can_be_asked(
    env, tmp_path, replicate_fake, how
) -> None:
    first = await interrupted_mid_render(env, tmp_path, replicate_fake, how)

    run = await bot("generate", OTHER, "--clips", "1", "--out", "next.mp4", env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    text = " ".join(run.err.split())
    assert "Generation #1 “a lighthouse keeper adopts a seal” was interrupted while rendering" in (
        text
    )
    assert "2 prediction(s) may still be running" in text
    assert "Generation #1 cancelled, and its predictions with it." in text
    assert all(replicate_fake.predictions[p].canceled for p in first)
    assert row(env, 1) == ("cancelled", INTERRUPTED)
    assert "Done: generation #2" in run.out  # and the film that was asked for
    assert (tmp_path / "next.mp4").is_file()


async def test_history_cancels_it_too(env, tmp_path, replicate_fake) -> None:
    first = await interrupted_mid_render(env, tmp_path, replicate_fake, signal.SIGKILL)

    run = await bot("history", env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    assert "Generation #1 cancelled, and its predictions with it." in " ".join(run.err.split())
    assert all(replicate_fake.predictions[p].canceled for p in first)
    (line,) = [line for line in run.out.splitlines() if "lighthouse" in line]
    assert "cancelled" in line


async def test_a_generation_another_terminal_is_running_is_left_alone(
    env, tmp_path, replicate_fake
) -> None:
    replicate_fake.script(["stuck"], match="lighthouse")
    busy = await start("generate", IDEA, "--clips", "1", env=env, cwd=tmp_path)
    try:
        await until(lambda: len(replicate_fake.predictions) == 1)
        await asyncio.sleep(GRACE)

        run = await bot("history", env=env, cwd=tmp_path)

        assert run.code == 0, run.err
        assert "interrupted" not in run.err
        assert row(env, 1)[0] == "rendering"
        assert not any(p.canceled for p in replicate_fake.predictions.values())
    finally:
        busy.kill()
        await busy.communicate()


async def test_in_a_terminal_the_operator_may_resume_it(
    settings, replicate_fake, tmp_path, monkeypatch
) -> None:
    """The choice itself, in process (a terminal's answer is `ask`): resumed, it re-attaches to
    its predictions, creates nothing new, and writes the film next to where it was asked."""
    replicate_fake.auto_complete = False
    async with open_services(settings) as services:
        started: list[int] = []
        services.bus.subscribe(
            lambda e: started.append(e.generation_id) if isinstance(e, ClipStarted) else None
        )
        generation = await services.runner.submit(
            NewGeneration(owner_id=0, prompt=IDEA, source="cli", clips_requested=2)
        )
        await until(lambda: len(started) == 2)
    # that process is gone (its claim with it); a later one finds the generation
    created = set(replicate_fake.predictions)
    replicate_fake.auto_complete = True
    questions: list[str] = []

    async def resume(question: str) -> str:
        questions.append(question)
        return "r"

    monkeypatch.setattr(interrupted, "GRACE", 0.0)  # it was made a moment ago in this test
    async with open_services(settings) as services:
        await interrupted.settle(services, Console(stderr=True), ask=resume)
        final = await services.repo.generation(generation.id)

    assert questions == ["Resume it, or cancel it and its predictions? [r/C] "]
    assert final is not None and final.status is GenerationStatus.DONE, final
    assert set(replicate_fake.predictions) == created  # re-attached, nothing created
    assert (tmp_path / f"film-{generation.id}.mp4").is_file()


async def test_in_a_real_terminal_the_next_generate_asks_and_resumes(
    env, tmp_path, replicate_fake
) -> None:
    first = await interrupted_mid_render(env, tmp_path, replicate_fake, signal.SIGINT)
    controller, terminal = pty.openpty()  # the child's stdin is a terminal
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *("generate", OTHER, "--clips", "1", "--out", "next.mp4"),
            env=env,
            cwd=tmp_path,
            stdin=terminal,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert child.stdout is not None
        asked = await asyncio.wait_for(child.stdout.readuntil(b"[r/C] "), 30)
        assert b"Resume it, or cancel it and its predictions?" in asked
        os.write(controller, b"r\n")
        for prediction_id in first:  # the resumed generation re-attaches and they finish
            replicate_fake.complete(prediction_id)
        out, err = await asyncio.wait_for(child.communicate(), 60)
    finally:
        os.close(controller)
        os.close(terminal)

    assert child.returncode == 0, err.decode()
    assert "Generation #1 resumed and done → film-1.mp4" in " ".join(err.decode().split())
    assert (tmp_path / "film-1.mp4").is_file() and (tmp_path / "next.mp4").is_file()
    assert row(env, 1)[0] == "done"
    assert len(replicate_fake.predictions) == 3  # the two of #1, re-attached, and one for #2
    assert "Done: generation #2" in out.decode()
