"""`python -m bot generate --continuity chained`: chained scenes from the terminal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.test_cli import IDEA, bot
from tests.fakes.replicate_fake import FakeReplicate


async def test_generate_chained_says_so_and_chains_the_scenes(
    env: dict[str, str], tmp_path: Path, replicate_fake: FakeReplicate
) -> None:
    run = await bot(
        "generate", IDEA, "--clips", "2", "--continuity", "chained", env=env, cwd=tmp_path
    )

    assert run.code == 0, run.err
    assert "Chained: the scenes render one after another" in run.err  # the progress, piped
    assert "expect about" in run.err
    made = sorted(replicate_fake.predictions.values(), key=lambda p: p.created)
    assert [p.start_color is not None for p in made] == [False, True]
    with sqlite3.connect(env["DATABASE_PATH"]) as db:
        assert list(db.execute("SELECT continuity FROM generations")) == [("chained",)]


async def test_chained_on_a_model_without_a_start_image_exits_2(
    env: dict[str, str], tmp_path: Path, replicate_fake: FakeReplicate
) -> None:
    env = {**env, "VIDEO_MODEL": "wan-video/wan-2.2-t2v-fast"}

    run = await bot("generate", IDEA, "--continuity", "chained", env=env, cwd=tmp_path)

    assert run.code == 2
    assert "cannot start from an image" in run.err and "bytedance/seedance-1-lite" in run.err
    assert replicate_fake.predictions == {}


async def test_an_unknown_continuity_is_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    run = await bot("generate", IDEA, "--continuity", "zigzag", env=env, cwd=tmp_path)

    assert run.code == 2 and "invalid choice: 'zigzag'" in run.err
