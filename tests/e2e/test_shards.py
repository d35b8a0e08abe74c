"""The bot on gateway shards (SHARD_COUNT / SHARD_IDS → discord.py's AutoShardedBot) against the
fake gateway, which routes each guild's events to shard `(guild_id >> 22) % count`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.discord_bot import run_bot
from tests.e2e.harness import World, settings_for
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate


@contextlib.asynccontextmanager
async def sharded(tmp_path: Path, discord: FakeDiscord, **overrides: Any) -> AsyncIterator[World]:
    """The bot started on `discord` (its guilds added already), commands synced globally."""
    async with FakeOpenAI() as openai, FakeReplicate() as replicate:
        settings = settings_for(
            discord, openai, replicate, tmp_path, discord_guild_id=None, **overrides
        )
        w = World(discord, openai, replicate, settings)
        with discord.patch_discord_py():
            try:
                await w.start()
                yield w
            finally:
                await w.stop()


async def test_a_process_holding_shard_1_of_2_has_and_answers_only_the_guilds_of_shard_1(
    tmp_path: Path,
) -> None:
    async with FakeDiscord() as discord:
        on_zero = discord.add_guild("zero", shard=(0, 2))
        on_one = discord.add_guild("one", shard=(1, 2))
        async with sharded(tmp_path, discord, shard_count=2, shard_ids=(1,)) as w:
            await discord.wait_shards((1, 2))
            assert discord.gateway.identified_shards == {(1, 2)}
            assert sorted(w.bot.shards) == [1]
            assert on_one in {g.id for g in w.bot.guilds}
            assert on_zero not in {g.id for g in w.bot.guilds}

            answered = await discord.send_slash(
                "history", {}, channel_id=discord.channel_of(on_one)
            )
            await answered.wait_callback(timeout=5)
            assert answered.callback_type is not None
        discord.assert_clean()


async def test_without_shard_settings_discord_py_opens_the_shards_discord_recommends(
    tmp_path: Path,
) -> None:
    async with FakeDiscord(recommended_shards=2) as discord:
        on_zero = discord.add_guild("zero", shard=(0, 2))
        on_one = discord.add_guild("one", shard=(1, 2))
        async with sharded(tmp_path, discord) as w:
            await discord.wait_shards((0, 2), (1, 2))
            assert sorted(w.bot.shards) == [0, 1]
            assert {on_zero, on_one} <= {g.id for g in w.bot.guilds}
            for guild in (on_zero, on_one):
                answered = await discord.send_slash(
                    "history", {}, channel_id=discord.channel_of(guild)
                )
                await answered.wait_callback(timeout=5)
        discord.assert_clean()


async def test_too_few_shards_for_the_bot_s_guilds_stops_it_with_exit_code_2(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Discord closes a session that would hold too many guilds with 4011; `python -m bot`
    says what to set and exits 2, instead of a traceback."""
    async with (
        FakeDiscord(recommended_shards=2) as discord,
        FakeOpenAI() as openai,
        FakeReplicate() as replicate,
    ):
        settings = settings_for(discord, openai, replicate, tmp_path, shard_count=1)
        with discord.patch_discord_py():
            code = await asyncio.wait_for(run_bot(settings), 30)
        assert code == 2
        assert "sharding required" in caplog.text and "SHARD_COUNT" in caplog.text
        assert discord.identify_count == 0
