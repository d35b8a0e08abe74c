"""The command tree lets the commands being answered finish before a stop closes what they use."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import discord

from bot.tree import ReelbotTree


async def test_settle_waits_for_the_commands_being_answered() -> None:
    tree = ReelbotTree(discord.Client(intents=discord.Intents.none()))
    interaction: Any = SimpleNamespace(client=SimpleNamespace(), guild_id=1)
    reached = asyncio.Event()
    release = asyncio.Event()

    async def a_command() -> str:  # what discord.py runs for each command, in its own task
        await tree.interaction_check(interaction)
        reached.set()
        await release.wait()  # e.g. still storing the reply's id after answering
        return "finished"

    command = asyncio.create_task(a_command())
    await reached.wait()
    asyncio.get_running_loop().call_later(0.05, release.set)
    await tree.settle(timeout=5)
    assert command.done() and command.result() == "finished"


async def test_settle_is_bounded() -> None:
    tree = ReelbotTree(discord.Client(intents=discord.Intents.none()))
    interaction: Any = SimpleNamespace(client=SimpleNamespace(), guild_id=1)
    forever = asyncio.Event()

    async def stuck() -> None:
        await tree.interaction_check(interaction)
        await forever.wait()

    async def quick() -> None:
        await tree.interaction_check(interaction)

    done = asyncio.create_task(quick())
    await done
    hanging = asyncio.create_task(stuck())
    await asyncio.sleep(0)
    await tree.settle(timeout=0.05)  # returns although one never ends
    assert not hanging.done()
    hanging.cancel()
