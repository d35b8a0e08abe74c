"""One start-up for `python -m bot` and the e2e harness (`running_bot`): the harness starts the
bot through it in every e2e test; here, what it does when Discord refuses the token."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import discord
import pytest

from bot.discord_bot import running_bot
from tests.e2e.harness import settings_for
from tests.fakes.botprocess import bot_env
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate

ROOT = Path(__file__).resolve().parents[2]
REFUSED = "not-the-bot-token"


async def test_running_bot_raises_a_refused_token_on_exit_and_closes_the_bot(
    tmp_path: Path,
) -> None:
    async with FakeDiscord() as fake, FakeOpenAI() as openai, FakeReplicate() as replicate:
        settings = settings_for(fake, openai, replicate, tmp_path, discord_token=REFUSED)
        with fake.patch_discord_py(), pytest.raises(discord.LoginFailure):
            async with running_bot(settings) as running:
                await asyncio.wait([running.connection])  # nobody awaits it: the exit raises
        assert running.bot.is_closed()


async def test_python_m_bot_exits_2_when_discord_refuses_the_token(tmp_path: Path) -> None:
    async with FakeDiscord() as fake, FakeOpenAI() as openai, FakeReplicate() as replicate:
        env = bot_env(
            fake,
            openai,
            replicate,
            tmp_path,
            pythonpath=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            discord_token=REFUSED,
        )
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(child.communicate(), 60)
    said = (out + err).decode()
    assert child.returncode == 2, said
    assert "Discord refused DISCORD_TOKEN" in said
    assert "Traceback" not in said and REFUSED not in said
