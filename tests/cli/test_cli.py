"""`python -m bot` as a member runs it: a subprocess, its environment pointing at the fakes
(served by this test's event loop), a fresh working directory."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.pipeline.media import probe
from tests.fakes.mp4 import frame_rgb

REPO = Path(__file__).resolve().parents[2]
IDEA = "a lighthouse keeper adopts a seal"


@dataclass
class Run:
    code: int
    out: str
    err: str


async def bot(*args: str, env: dict[str, str], cwd: Path, timeout: float = 60) -> Run:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


async def test_generate_makes_the_film_and_history_lists_it(env, tmp_path, replicate_fake) -> None:
    run = await bot(
        "generate", IDEA, "--clips", "3", "--out", "out/film.mp4", env=env, cwd=tmp_path
    )

    assert run.code == 0, run.err
    assert f"Done: generation #1 “Film: {IDEA}” → out/film.mp4" in run.out
    # the progress display, driven by the pipeline's events
    assert "done — 3/3 clips" in run.err
    for scene in (1, 2, 3):
        assert f"{scene}. done Scene {scene}: {IDEA}" in run.err
    film = tmp_path / "out" / "film.mp4"
    info = await probe(film)
    clips = sorted(replicate_fake.predictions.values(), key=lambda r: r.prompt)
    assert info.duration == pytest.approx(sum(r.seconds for r in clips), abs=0.3)
    assert [max(range(3), key=frame_rgb(film, t).__getitem__) for t in (0.5, 1.5, 2.5)] == [
        0,  # red
        1,  # lime
        2,  # blue
    ]
    assert [r.color for r in clips] == ["red", "lime", "blue"]

    history = await bot("history", env=env, cwd=tmp_path)

    assert history.code == 0, history.err
    (row,) = [line.split("\t") for line in history.out.splitlines() if IDEA in line]
    assert row[:3] == ["1", "done", "3/3"]  # piped: one plain line per generation
    assert row[4:6] == [f"Film: {IDEA}", IDEA]


async def test_history_reads_dotenv_and_filters_by_member(env, tmp_path) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_PATH={tmp_path / 'other.sqlite3'}\n")
    env = {k: v for k, v in env.items() if k != "DATABASE_PATH"}

    run = await bot("history", "--user", "5", "--limit", "3", env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    assert run.out == "" and "No generations yet." in run.err  # stdout holds only rows
    assert (tmp_path / "other.sqlite3").is_file()  # the path came from .env


async def test_without_an_openai_key_generate_exits_2_naming_it(base_env, tmp_path) -> None:
    run = await bot("generate", IDEA, env=base_env, cwd=tmp_path)

    assert run.code == 2
    assert "OPENAI_API_KEY" in run.err and ".env" in run.err
    assert "Traceback" not in run.err
    assert not (tmp_path / "data").exists()  # nothing was started


async def test_a_bad_setting_exits_2_naming_it(env, tmp_path) -> None:
    run = await bot("generate", IDEA, env={**env, "MAX_CLIPS": "lots"}, cwd=tmp_path)

    assert run.code == 2
    assert "MAX_CLIPS" in run.err and "Traceback" not in run.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", IDEA, "--clips", "99"], "clips must be between 1 and 4, not 99"),
        (["generate", "   "], "The prompt is empty"),
        (["generate", "x" * 1001], "the limit is 1000"),
        (["generate", IDEA, "--aspect-ratio", "4:3"], "invalid choice: '4:3'"),
        (["generate", IDEA, "--clips", "two"], "invalid int value: 'two'"),
        (["history", "--limit", "0"], "--limit must be at least 1"),
    ],
)
async def test_bad_arguments_exit_2_with_a_message(
    env, tmp_path, openai_fake, replicate_fake, args, message
) -> None:
    run = await bot(*args, env=env, cwd=tmp_path)

    assert run.code == 2
    assert message in " ".join(run.err.split())
    assert openai_fake.requests == [] and replicate_fake.requests == []


async def test_a_failed_generation_exits_1_with_the_reason(env, tmp_path, replicate_fake) -> None:
    replicate_fake.script(["failed:NSFW content detected"] * 3, match="Scene 1")

    run = await bot("generate", IDEA, "--clips", "1", env=env, cwd=tmp_path)

    assert run.code == 1
    assert (
        "Generation #1 failed: clip 1: Replicate failed the prediction: NSFW content detected"
        in run.err
    )
    assert not (tmp_path / "film.mp4").exists()


async def test_analysis_only_prints_the_shot_list_and_writes_no_film(
    env, tmp_path, replicate_fake
) -> None:
    env = {**env, "ENABLE_VIDEO_GENERATION": "false"}
    env.pop("REPLICATE_API_TOKEN")

    run = await bot("generate", IDEA, "--clips", "2", env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    assert "no video (ENABLE_VIDEO_GENERATION=false)" in run.out
    assert f"2. waiting Scene 2: {IDEA}" in run.err
    assert replicate_fake.requests == [] and not (tmp_path / "film.mp4").exists()


@pytest.mark.parametrize("args", [[], ["run"]])
async def test_the_bot_without_a_discord_token_exits_2_naming_it(base_env, tmp_path, args) -> None:
    run = await bot(*args, env=base_env, cwd=tmp_path)

    assert run.code == 2
    assert "DISCORD_TOKEN" in run.err and ".env.example" in run.err
    assert "Traceback" not in run.err
