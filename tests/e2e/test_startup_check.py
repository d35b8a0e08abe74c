"""The real `python -m bot` checks its keys and models at start-up: a refused key or a shut-down
model is a configuration error in the log and in /generate's (and Retry's) private answer, with
nothing started or spent; a provider it cannot reach is a warning and the bot works anyway."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tests.e2e.harness import status_of
from tests.fakes.botprocess import BotProcess, bot_env
from tests.fakes.discord_fake import FakeDiscord, Interaction
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate

ROOT = Path(__file__).resolve().parents[2]
IDEA = "a lighthouse keeper adopts a seal"
WRONG_KEY = "sk-proj-wrong" + "x7" * 12
RETIRING = "gpt-retiring"  # a model whose shutdown OpenAI has announced
SHUTDOWN = date(2099, 1, 14)  # far ahead of the child's real clock


@dataclass
class Fakes:
    discord: FakeDiscord
    openai: FakeOpenAI
    replicate: FakeReplicate
    data: Path

    def env(self, **extra: Any) -> dict[str, str]:
        return bot_env(
            self.discord,
            self.openai,
            self.replicate,
            self.data,
            pythonpath=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            replicate_poll_seconds=0.05,
            reply_edit_seconds=0.05,
            **extra,
        )

    def process(self, env: dict[str, str]) -> BotProcess:
        return BotProcess(self.discord, env, self.data, self.data / "bot.log")

    def log(self) -> str:
        return (self.data / "bot.log").read_text(encoding="utf-8")

    def generations(self) -> int:
        path = self.data / "reelbot.sqlite3"
        with contextlib.closing(sqlite3.connect(path)) as db:
            return int(db.execute("SELECT count(*) FROM generations").fetchone()[0])


@contextlib.asynccontextmanager
async def fakes(tmp_path: Path) -> AsyncIterator[Fakes]:
    async with FakeDiscord() as discord, FakeOpenAI() as openai, FakeReplicate() as replicate:
        replicate.throttle_retry_after = 0
        openai.models.add(RETIRING)
        openai.shutdown_dates[RETIRING] = SHUTDOWN
        yield Fakes(discord, openai, replicate, tmp_path)
        discord.assert_clean()


async def private_answer(f: Fakes, interaction: Interaction) -> str:
    await interaction.wait_callback(timeout=10)
    assert interaction.callback_type == 4, interaction.callback
    data = interaction.callback["data"]
    assert data["flags"] & 64, data  # ephemeral
    return str(data["content"])


def assert_nothing_spent(f: Fakes) -> None:
    assert f.openai.calls == {"chat": 0, "moderations": 0}
    assert f.replicate.counts["create"] == 0


async def test_a_refused_openai_key_is_named_at_start_up_and_in_generate(tmp_path: Path) -> None:
    async with fakes(tmp_path) as f:
        f.openai.api_key = "sk-the-right-one"
        bot = f.process(f.env(openai_api_key=WRONG_KEY))
        await bot.start()
        try:
            said = "OpenAI refused OPENAI_API_KEY (401 invalid_api_key)"
            assert said in f.log()

            text = await private_answer(f, await f.discord.send_slash("generate", {"prompt": IDEA}))
        finally:
            assert await bot.stop() == 0

        assert text.startswith("Reelbot is not configured to make films: " + said), text
        assert "Traceback" not in text
        assert f.generations() == 0
        assert_nothing_spent(f)
        # OpenAI's message quotes the key's first and last characters: the bot repeats neither
        assert WRONG_KEY[-4:] not in f.log() + text


async def test_a_shut_down_model_is_named_at_start_up_in_generate_and_in_retry(
    tmp_path: Path,
) -> None:
    async with fakes(tmp_path) as f:
        env = f.env(openai_model=RETIRING)
        # before the shutdown: a warning with the date, and a film that fails at its clip
        f.openai.today = date(2099, 1, 13)
        f.replicate.script(["failed:CUDA out of memory"] * 3)
        bot = f.process(env)
        await bot.start()
        try:
            assert f"OPENAI_MODEL={RETIRING} is deprecated" in f.log()
            assert SHUTDOWN.isoformat() in f.log()
            interaction = await f.discord.send_slash("generate", {"prompt": IDEA, "clips": 1})
            await interaction.wait_callback(timeout=10)
            reply = await f.discord.wait_for(lambda: interaction.reply_id)

            def failed() -> bool:
                return (status_of(f.discord.message(reply)) or "").startswith("❌")

            await f.discord.wait_for(failed, timeout=30)
        finally:
            assert await bot.stop() == 0
        spent = (dict(f.openai.calls), f.replicate.counts["create"])

        # the shutdown date passes; the next start finds the model gone
        f.openai.today = SHUTDOWN
        await bot.start()
        try:
            said = f"OpenAI does not serve OPENAI_MODEL={RETIRING} (404 model_not_found)"
            assert said in f.log()
            text = await private_answer(f, await f.discord.send_slash("generate", {"prompt": IDEA}))
            retry = await f.discord.click("reelbot:retry:1", reply)
            retried = await private_answer(f, retry)
        finally:
            assert await bot.stop() == 0

        assert text.startswith("Reelbot is not configured to make films: " + said), text
        assert retried.startswith("Reelbot is not configured to make films: " + said), retried
        assert f.generations() == 1  # only the first one
        assert (dict(f.openai.calls), f.replicate.counts["create"]) == spent  # nothing more


async def test_an_unreachable_provider_is_a_warning_and_the_bot_still_works(
    tmp_path: Path,
) -> None:
    async with fakes(tmp_path) as f:
        # OpenAI's address refuses connections while the bot starts, then answers
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        bot = f.process(f.env(openai_base_url=f"http://127.0.0.1:{port}/v1"))
        await bot.start()
        try:
            assert "OpenAI could not be reached at start-up" in f.log()
            assert "Traceback" not in f.log()
            async with forward(port, f.openai.origin):
                interaction = await f.discord.send_slash("generate", {"prompt": IDEA, "clips": 1})
                await interaction.wait_callback(timeout=10)
                reply = await f.discord.wait_for(lambda: interaction.reply_id)

                def done() -> bool:
                    return (status_of(f.discord.message(reply)) or "").startswith("✅")

                await f.discord.wait_for(done, timeout=30)
        finally:
            assert await bot.stop() == 0
        assert f.openai.calls["chat"] == 1 and f.replicate.counts["create"] == 1


@contextlib.asynccontextmanager
async def forward(port: int, origin: str) -> AsyncIterator[None]:
    """Listen on `port` and pipe every connection to `origin` (http://127.0.0.1:PORT)."""
    target_port = int(origin.rsplit(":", 1)[1])

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


def statuses(f: Fakes) -> list[str]:
    with contextlib.closing(sqlite3.connect(f.data / "reelbot.sqlite3")) as db:
        return [r[0] for r in db.execute("SELECT status FROM generations ORDER BY id")]


async def test_a_generation_resumed_with_a_refused_key_ends_with_that_error_and_spends_nothing(
    tmp_path: Path,
) -> None:
    """A crash leaves one generation rendering (its predictions running) and one analysing;
    the key is revoked before the restart. The one that still needs OpenAI ends failed with
    the configuration error (not OpenAI's 401 after a wait), nothing more sent to OpenAI; the
    one that needs only Replicate goes on to its film."""
    async with fakes(tmp_path) as f:
        key = "sk-proj-" + "k3" * 24
        f.openai.api_key = key
        f.replicate.auto_complete = False
        # clip_moderation off: each clip's frames are moderated with OpenAI (issue 19 item 5),
        # so with the key revoked the rendering one could not be shown either; this test is
        # about the one that needs only Replicate
        bot = f.process(f.env(openai_api_key=key, user_concurrency=2, clip_moderation=False))
        await bot.start()
        replies = []
        for delay in (0.0, 60.0):  # the second one is still at its shot list when killed
            f.openai.delay = delay
            interaction = await f.discord.send_slash("generate", {"prompt": IDEA, "clips": 1})
            await interaction.wait_callback(timeout=10)
            replies.append(await f.discord.wait_for(lambda i=interaction: i.reply_id))
            if delay == 0.0:
                await f.discord.wait_for(lambda: f.replicate.counts["create"] == 1, timeout=15)
        await f.discord.wait_for(lambda: f.openai.calls["chat"] == 2, timeout=15)
        assert statuses(f) == ["rendering", "analysing"]
        await bot.kill()
        asked = dict(f.openai.calls)

        f.openai.api_key = "sk-proj-the-new-one"  # the operator's key was revoked meanwhile
        f.openai.delay = 0.0
        f.replicate.auto_complete = True
        await bot.start()
        try:
            said = "OpenAI refused OPENAI_API_KEY (401 invalid_api_key)"
            assert said in f.log()

            def ended(reply: int) -> str | None:
                status = status_of(f.discord.message(reply)) or ""
                return status if status.startswith(("✅", "❌")) else None

            first = await f.discord.wait_for(lambda: ended(replies[0]), timeout=30)
            second = await f.discord.wait_for(lambda: ended(replies[1]), timeout=30)
            reason = [  # shown markdown-escaped
                e["value"].replace("\\", "")
                for e in f.discord.message(replies[1]).embeds[0]["fields"]
                if e["name"] == "Reason"
            ]
        finally:
            assert await bot.stop() == 0

        assert first.startswith("✅"), first  # it needed only Replicate
        assert second == "❌ Failed", second
        assert reason and reason[0].startswith("Reelbot is not configured to make films: "), reason
        assert said in reason[0] and "press Retry once the operator has fixed" in reason[0]
        assert dict(f.openai.calls) == asked  # the resumed analysis asked OpenAI nothing
        assert f.replicate.counts["create"] == 1
        assert statuses(f) == ["done", "failed"]
        assert "generation 2 is not resumed: Reelbot is not configured" in f.log()
