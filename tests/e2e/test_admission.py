"""One admission for every path that spends (issue 9 items 1 and 2): /generate, Retry and the
resume at start-up pass the same rules; the allow-list covers every command and button.

The Retry hole and the resume from a guild no longer allowed run through the real process
(`python -m bot`, tests/fakes/botprocess.py); the rest through the in-process harness.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.pipeline.spend.admission import NO_LONGER_ENABLED, NOT_ENABLED
from tests.e2e.harness import status_of, world
from tests.fakes.botprocess import BotProcess, bot_env
from tests.fakes.discord_fake import FakeDiscord, Interaction, Message
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate

ROOT = Path(__file__).resolve().parents[2]
IDEA = "a lighthouse keeper adopts a seal"
USED_ONE = "You have used your 1 generations for today"


def private(interaction: Interaction) -> str | None:
    """The private text answering a command: its callback's (type 4), or what the bot wrote
    into its private "thinking" answer (type 5, then a followup), once it is there."""
    data = (interaction.callback or {}).get("data") or {}
    if data.get("flags", 0) & 64 and data.get("content"):
        return str(data["content"])
    original = interaction.original_message
    written = [] if original is None or original.loading or original.deleted else [original]
    for message in [*written, *interaction.followups]:
        if message.ephemeral and message.content:
            return str(message.content)
    return None


def buttons(message: Message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row["components"]]


@dataclass
class Live:
    """Fakes and the real bot process on one database."""

    discord: FakeDiscord
    openai: FakeOpenAI
    replicate: FakeReplicate
    data: Path
    process: BotProcess

    async def restart(self, **settings: Any) -> None:
        """Stop the process (SIGKILL) and start a fresh one on the same data, with `settings`."""
        await self.process.kill()
        env = bot_env(self.discord, self.openai, self.replicate, self.data, **_base(), **settings)
        self.process = BotProcess(self.discord, env, self.data.parent, self.process_log)
        await self.process.start()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Read the bot's database (the process may be writing: WAL lets us read)."""
        with contextlib.closing(sqlite3.connect(self.data / "reelbot.sqlite3")) as db:
            return list(db.execute(sql))

    @property
    def process_log(self) -> Path:
        return self.data.parent / "bot.log"

    async def answered(self, interaction: Interaction) -> Interaction:
        """The interaction once answered; a /generate (answered privately at once) once its
        public reply is there, or the private text that refused it."""
        await interaction.wait_callback(timeout=10)
        if interaction.name == "generate" and interaction.callback_type == 5:
            await self.discord.wait_for(
                lambda: interaction.reply_id or private(interaction), timeout=10
            )
        return interaction

    async def reply_final(self, message_id: int) -> Message:
        def final() -> Message | None:
            message = self.discord.message(message_id)
            status = status_of(message) or ""
            return message if status.startswith(("✅", "❌", "🛑")) else None

        return await self.discord.wait_for(final, timeout=20)


def _base() -> dict[str, Any]:
    return {
        "pythonpath": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "replicate_poll_seconds": 0.1,
        "reply_edit_seconds": 0.05,
    }


@asynccontextmanager
async def live(tmp_path: Path, **settings: Any) -> AsyncIterator[Live]:
    async with FakeDiscord() as discord, FakeOpenAI() as openai, FakeReplicate() as replicate:
        replicate.throttle_retry_after = 0
        data = tmp_path / "data"
        data.mkdir()
        env = bot_env(discord, openai, replicate, data, **_base(), **settings)
        process = BotProcess(discord, env, tmp_path, tmp_path / "bot.log")
        await process.start()
        run = Live(discord, openai, replicate, data, process)
        try:
            yield run
        finally:
            await run.process.stop()


def field(message: Message, name: str) -> str | None:
    for embed in message.embeds:
        for f in embed.get("fields", []):
            if f["name"] == name:
                return str(f["value"])
    return None


# -- through the real process --------------------------------------------------------------


async def test_retry_then_cancel_cannot_buy_more_predictions_than_the_limit(
    tmp_path: Path,
) -> None:
    """Main let Retry past DAILY_GENERATION_LIMIT, and Cancel after Retry gave the day's
    generation back: with a limit of 1, four predictions and a fresh /generate accepted."""
    async with live(tmp_path, daily_generation_limit=1) as run:
        run.replicate.auto_complete = False
        first = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 1})
        )
        reply_id = await run.discord.wait_for(lambda: first.reply_id)
        await run.discord.wait_for(lambda: len(run.replicate.predictions) == 1, timeout=15)

        await run.answered(await run.discord.click("reelbot:cancel:1", reply_id))
        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("🛑")
        assert buttons(reply) == ["reelbot:retry:1"]

        retry = await run.answered(await run.discord.click("reelbot:retry:1", reply_id))
        assert USED_ONE in (private(retry) or ""), retry.callback
        again = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 1})
        )
        assert USED_ONE in (private(again) or ""), again.callback

        await asyncio.sleep(0.5)  # a few polls: nothing was started behind the refusals
        assert len(run.replicate.predictions) == 1
        assert all(p.canceled for p in run.replicate.predictions.values())
        assert (status_of(run.discord.message(reply_id)) or "").startswith("🛑")


async def test_a_resume_from_a_guild_no_longer_allowed_ends_it_and_spends_nothing(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        run.replicate.auto_complete = False
        command = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        )
        reply_id = await run.discord.wait_for(lambda: command.reply_id)
        await run.discord.wait_for(lambda: len(run.replicate.predictions) == 2, timeout=15)
        running = set(run.replicate.predictions)

        # the operator takes the guild off the list while the bot is down
        await run.restart(allowed_guild_ids="1234567890")

        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("🛑")
        assert field(reply, "Reason") == NO_LONGER_ENABLED
        await run.discord.wait_for(
            lambda: all(p.canceled for p in run.replicate.predictions.values()), timeout=10
        )
        await asyncio.sleep(0.5)
        assert set(run.replicate.predictions) == running  # nothing created after the restart
        assert run.discord.dm_messages("alice") == []
        # and its Retry is refused like everything else there
        retry = await run.answered(await run.discord.click("reelbot:retry:1", reply_id))
        assert private(retry) == NOT_ENABLED
        assert set(run.replicate.predictions) == running


# -- in process ------------------------------------------------------------------------------


async def test_the_allow_list_covers_every_command_button_and_dm(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        reply = await w.generate(IDEA, clips=1)
        assert (await w.wait_final(reply)).startswith("✅")
        w.settings.allowed_guild_ids = frozenset({1234567890})
        creates = w.replicate.counts["create"]

        for name, options in (("history", {}), ("cancel", {}), ("generate", {"prompt": IDEA})):
            interaction = await w.command(name, options)
            assert private(interaction) == NOT_ENABLED, (name, interaction.callback)
        dm = w.discord.world.dm_channel_for(w.discord.users["alice"])
        in_dm = await w.discord.send_slash("history", {}, channel_id=int(dm["id"]))
        await in_dm.wait_callback(timeout=5)
        assert private(in_dm) == NOT_ENABLED

        # buttons too: a failed generation's Retry
        w.settings.allowed_guild_ids = frozenset()
        w.replicate.script(["failed"] * 3)
        failed = await w.generate("a seal learns to knit", clips=1)
        assert (await w.wait_final(failed)).startswith("❌")
        w.settings.allowed_guild_ids = frozenset({1234567890})
        retry = await w.click("reelbot:retry:2", failed)
        assert private(retry) == NOT_ENABLED
        await asyncio.sleep(0.3)
        assert w.replicate.counts["create"] == creates + 3  # only the three failed attempts
        generation = await w.services.repo.generation(2)
        assert generation is not None and generation.status == "failed"


async def test_the_video_seconds_budget_refuses_retry_and_new_work(tmp_path: Path) -> None:
    """DAILY_VIDEO_SECONDS_LIMIT counts the seconds each create asked for, retries included;
    since issue 18 every create is checked against it in the database, so a retry past the
    limit is not asked for (a member passes the limit by at most one clip's worth)."""
    async with world(tmp_path, daily_video_seconds_limit=10) as w:
        w.replicate.script(["failed"] * 2)  # two failed attempts (5 s each), then a success
        reply = await w.generate(IDEA, clips=1)
        assert (await w.wait_final(reply)).startswith("❌")
        assert w.replicate.counts["create"] == 2  # 10 s asked for: the third is not asked
        generation = await w.services.repo.generation(1)
        assert generation is not None and "DAILY_VIDEO_SECONDS_LIMIT" in (generation.error or "")

        refused = await w.command("generate", {"prompt": IDEA, "clips": 1})
        assert "of your 10 seconds of video for today" in (private(refused) or "")
        usage = await w.services.repo.usage_since(w.discord.users["alice"].id, 0)
        assert (usage.runs, usage.seconds) == (1, 10.0)
        bob = await w.generate(IDEA, user="bob", clips=1)  # bob's budget is his own
        assert (await w.wait_final(bob)).startswith("✅")
