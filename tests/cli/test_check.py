"""`python -m bot check` (issue 20): settings, keys, models and database; exit 0, or 2 with one
line per problem. Run as the operator runs it, against the three fakes."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cli.test_cli import bot
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
def check_env(env: dict[str, str], discord: FakeDiscord) -> dict[str, str]:
    return {**env, "DISCORD_TOKEN": discord.token, "DISCORD_API_BASE_URL": discord.api_base}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_everything_fine_exits_0_with_one_line(check_env, tmp_path: Path) -> None:
    run = await bot("check", env=check_env, cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.out.startswith("All checks passed:") and run.out.count("\n") == 1
    assert run.err == ""


async def test_every_problem_is_one_line_and_exit_2(
    check_env, tmp_path: Path, openai_fake: FakeOpenAI, replicate_fake: FakeReplicate
) -> None:
    openai_fake.api_key = "the-real-key"  # the fake's key is refused (401)
    replicate_fake.api_token = "the-real-token"
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the database's folder should be")
    env = {
        **check_env,
        "DISCORD_TOKEN": "not-the-token",
        "DATABASE_PATH": str(blocked / "reelbot.sqlite3"),
    }
    run = await bot("check", env=env, cwd=tmp_path)
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert lines[0].startswith("DISCORD_TOKEN: Discord refused the token (401)")
    assert lines[1].startswith("OpenAI refused OPENAI_API_KEY (401"), "\n".join(lines)
    assert lines[2].startswith("Replicate refused REPLICATE_API_TOKEN (401"), lines
    assert lines[-1].startswith("DATABASE_PATH:"), lines
    assert len(lines) == 4, lines
    assert "Traceback" not in run.err and run.out == ""
    assert "not-the-token" not in run.err


async def test_an_unreachable_discord_says_which_host_and_why(check_env, tmp_path: Path) -> None:
    env = {**check_env, "DISCORD_API_BASE_URL": f"http://127.0.0.1:{closed_port()}/api/v10"}
    run = await bot("check", env=env, cwd=tmp_path)
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("DISCORD_API_BASE_URL: cannot reach 127.0.0.1:")


async def test_missing_and_invalid_settings_are_one_line_each(base_env, tmp_path: Path) -> None:
    env = {**base_env, "MAX_CLIPS": "0", "LOG_LEVEL": "LOUD"}
    run = await bot("check", env=env, cwd=tmp_path)
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["MAX_CLIPS", "LOG_LEVEL"], lines

    run = await bot("check", env=base_env, cwd=tmp_path)  # nothing set at all
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert lines[0].startswith("DISCORD_TOKEN is not set")
    assert lines[1].startswith("OPENAI_API_KEY is not set: put it in the environment")
    assert lines[2].startswith("REPLICATE_API_TOKEN is not set")
