"""`python -m bot generate` checks the keys and models before it starts anything: exit 2."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from tests.cli.test_cli import IDEA, REPO, bot

WRONG_KEY = "sk-wrong-" + "k3y" * 8


@pytest.fixture
def env(fake_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
        "COLUMNS": "200",
        "NO_COLOR": "1",
        **fake_env,
        "DATABASE_PATH": str(tmp_path / "data" / "reelbot.sqlite3"),
        "MEDIA_DIR": str(tmp_path / "data" / "media"),
    }


def _nothing_spent(openai_fake, replicate_fake) -> None:
    assert openai_fake.calls == {"chat": 0, "moderations": 0}
    assert replicate_fake.counts["create"] == 0


async def test_a_refused_openai_key_exits_2_naming_it(
    env, tmp_path, openai_fake, replicate_fake
) -> None:
    openai_fake.api_key = "sk-the-right-one"

    run = await bot("generate", IDEA, env={**env, "OPENAI_API_KEY": WRONG_KEY}, cwd=tmp_path)

    assert run.code == 2, run.err
    said = " ".join(run.err.split())
    assert "OpenAI refused OPENAI_API_KEY (401 invalid_api_key)" in said
    assert "Traceback" not in run.err and WRONG_KEY[-4:] not in run.err + run.out
    _nothing_spent(openai_fake, replicate_fake)


async def test_a_shut_down_model_exits_2_naming_it(
    env, tmp_path, openai_fake, replicate_fake
) -> None:
    openai_fake.today = date(2027, 1, 14)

    run = await bot("generate", IDEA, env={**env, "OPENAI_MODEL": "gpt-4o-mini"}, cwd=tmp_path)

    assert run.code == 2, run.err
    said = " ".join(run.err.split())
    assert "OpenAI does not serve OPENAI_MODEL=gpt-4o-mini (404 model_not_found)" in said
    _nothing_spent(openai_fake, replicate_fake)


async def test_an_unknown_video_model_or_a_refused_token_exits_2(
    env, tmp_path, openai_fake, replicate_fake
) -> None:
    replicate_fake.models = {"someone/else"}

    unknown = await bot("generate", IDEA, env=env, cwd=tmp_path)
    replicate_fake.api_token = "r8_right"
    refused = await bot("generate", IDEA, env=env, cwd=tmp_path)

    assert unknown.code == 2 and "VIDEO_MODEL=bytedance/seedance-1-lite (404" in unknown.err
    assert refused.code == 2 and "Replicate refused REPLICATE_API_TOKEN" in refused.err
    _nothing_spent(openai_fake, replicate_fake)


async def test_a_deprecated_model_is_a_warning_and_the_film_is_made(
    env, tmp_path, openai_fake, replicate_fake
) -> None:
    # a model whose shutdown OpenAI announced (the model object's shutdown_date), far enough
    # ahead that the child's real clock is before it
    openai_fake.models.add("gpt-retiring")
    openai_fake.shutdown_dates["gpt-retiring"] = date(2099, 1, 14)
    env = {**env, "OPENAI_MODEL": "gpt-retiring", "REPLICATE_POLL_SECONDS": "0.05"}

    run = await bot("generate", IDEA, "--clips", "1", env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    said = " ".join(run.err.split())
    assert "OPENAI_MODEL=gpt-retiring is deprecated" in said and "2099-01-14" in said
    assert openai_fake.calls["chat"] == 1
