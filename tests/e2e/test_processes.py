"""Two `python -m bot` processes (shards 0 and 1 of 2) on one PostgreSQL (tests/pg.py), each with
its own media folder as on two machines: commands in guilds of both shards; the process of
shard 1 is SIGKILLed mid-render; the other takes its generation over once the lease expired
(`bot.pipeline.run.lease`), re-attaching the running predictions. Every film arrives exactly once,
and no scene gets a second prediction."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from tests.e2e.harness import status_of
from tests.fakes.botprocess import BotProcess, bot_env
from tests.fakes.discord_fake import FakeDiscord, Message
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate

ROOT = Path(__file__).resolve().parents[2]
IDEA = "a lighthouse keeper adopts a seal"
LEASE_SECONDS = 3  # the shortest allowed: a takeover within ~4 s


@dataclass
class Cluster:
    discord: FakeDiscord
    openai: FakeOpenAI
    replicate: FakeReplicate
    database_url: str
    processes: list[BotProcess]
    logs: list[Path]
    guilds: list[int]  # guilds[n] is on shard n

    async def rows(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def until(self, holds: Callable[[list[asyncpg.Record]], bool]) -> None:
        """Until `holds(rows)` for the clips' (prediction_id, status) rows."""
        for _ in range(400):
            if holds(await self.rows("SELECT prediction_id, status FROM clips ORDER BY id")):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the clips never got there")

    async def lease_owner(self, generation_id: int) -> str | None:
        rows = await self.rows("SELECT owner FROM leases WHERE generation_id = $1", generation_id)
        return rows[0][0] if rows else None

    async def generate(self, shard: int, user: str, clips: int = 2) -> int:
        """/generate in the guild of `shard`, answered; returns the reply's id."""
        channel = self.discord.channel_of(self.guilds[shard])
        asked = await self.discord.send_slash(
            "generate",
            {"prompt": f"{IDEA} ({user})", "clips": clips},
            user=user,
            channel_id=channel,
        )
        await asked.wait_callback(timeout=10)
        return int(await self.discord.wait_for(lambda: asked.reply_id, timeout=10))

    async def final(self, message_id: int, timeout: float = 20) -> Message:
        def done() -> Message | None:
            message = self.discord.message(message_id)
            status = status_of(message) or ""
            return message if status.startswith(("✅", "❌", "🛑")) else None

        return await self.discord.wait_for(done, timeout=timeout)


@contextlib.asynccontextmanager
async def cluster(tmp_path: Path, database_url: str) -> AsyncIterator[Cluster]:
    async with FakeDiscord() as discord, FakeOpenAI() as openai, FakeReplicate() as replicate:
        replicate.throttle_retry_after = 0
        guilds = [discord.add_guild(f"shard {n}", shard=(n, 2)) for n in range(2)]
        processes, logs = [], []
        for shard in range(2):
            data = tmp_path / f"machine-{shard}"
            data.mkdir()
            env = bot_env(
                discord,
                openai,
                replicate,
                data,
                pythonpath=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                database_url=database_url,
                discord_guild_id="",  # global commands: every guild has them
                shard_count=2,
                shard_ids=shard,
                process_name=f"machine-{shard}",
                lease_seconds=LEASE_SECONDS,
                replicate_poll_seconds=0.1,
                reply_edit_seconds=0.05,
            )
            logs.append(data / "bot.log")
            processes.append(BotProcess(discord, env, data, logs[-1]))
        for process in processes:
            await process.start()
        await discord.wait_shards((0, 2), (1, 2))
        run = Cluster(discord, openai, replicate, database_url, processes, logs, guilds)
        try:
            yield run
        finally:
            for process in processes:
                await process.stop()


async def test_a_killed_process_is_taken_over_and_every_film_arrives_once(
    tmp_path: Path, pg_url: str
) -> None:
    async with cluster(tmp_path, pg_url) as run:
        run.replicate.auto_complete = False  # every clip renders until the test says
        replies = [await run.generate(0, "alice"), await run.generate(1, "bob")]
        await run.until(lambda rows: len(rows) == 4 and all(r[1] == "running" for r in rows))
        ((bob,),) = await run.rows("SELECT id FROM generations WHERE guild_id = $1", run.guilds[1])
        assert await run.lease_owner(bob) == "machine-1"  # it accepted it: shard 1's guild

        # bob's first clip is made (downloaded on machine 1), his second still rendering
        (first, _), *_ = await run.rows(
            "SELECT prediction_id, idx FROM clips WHERE generation_id = $1 ORDER BY idx", bob
        )
        run.replicate.complete(first)
        await run.until(lambda rows: "succeeded" in [r[1] for r in rows if r[0] == first])
        await run.processes[1].kill()  # mid-render
        shutil.rmtree(tmp_path / "machine-1" / "media")  # machine 1 is gone, its disk too
        for prediction_id in list(run.replicate.predictions):
            if prediction_id != first:
                run.replicate.complete(prediction_id)

        finals = [await run.final(reply_id, timeout=25) for reply_id in replies]

        assert [(status_of(m) or "")[:1] for m in finals] == ["✅", "✅"]
        for user in ("alice", "bob"):
            films = [m for m in run.discord.dm_messages(user) if m.attachments]
            assert len(films) == 1, (user, [m.content for m in films])
        # no scene got a second prediction: the four created are the four stored
        stored = {r[0] for r in await run.rows("SELECT prediction_id FROM clips")}
        assert set(run.replicate.predictions) == stored and len(stored) == 4
        log = run.logs[0].read_text()
        assert f"taking over 1 generation(s) whose process stopped: {bob}" in log
        assert await run.lease_owner(bob) is None  # ended: its lease went with it
        assert "its file is not here: downloading it" in log  # clip 1, made on machine 1
        run.discord.assert_clean()
