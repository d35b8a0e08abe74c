"""sustained: `/generate` offered at a steady rate that asks for more creates than Replicate's
cap, for minutes, to one bot process (on SQLite, then on PostgreSQL).

The fake Replicate enforces the account's documented budgets (600 creates and 3,000 other
requests in any 60 s; a 429 saying when the window admits again beyond them), the fake Discord
its per-channel edit budget. What limits the bot must be the create budget: `CLIP_CONCURRENCY`
and `USER_CONCURRENCY` are sized so that neither does (`SustainedOptions`). What is read: the
creates of each minute against the cap, the acks of each minute, the channels' edits, each
member's wait for a first clip, the bot's CPU each minute and its memory at the end, and on
PostgreSQL what the database did (`bench/sustained_figures.py` turns it into figures).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench.figures import Figure
from bench.rig import Rig, RigConfig, rig
from bench.sustained_figures import Run, figures
from tests.pg import running_server

# pg_stat_database's counters of one database: what the bot's statements did
_PG_STATS = (
    "SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated,"
    " tup_deleted FROM pg_stat_database WHERE datname = current_database()"
)
_PG_FIELDS = ("commits", "rollbacks", "returned", "fetched", "inserted", "updated", "deleted")


@dataclass
class SustainedOptions:
    workdir: Path
    rate: float = 160.0  # /generate offered a minute (× clips = creates asked for)
    minutes: float = 3.0  # how long they are offered
    members: int = 50
    channels: int = 20
    clips: int = 4
    clip_delay: float = 20.0
    clip_jitter: float = 0.25  # fraction of clip_delay a clip may take longer (random)
    analysis_delay: float = 1.0
    # at the cap (~560 creates a minute) about 560 × 23 s / 60 ≈ 215 predictions render at
    # once; 2 generations a member in flight caps all clips in flight at 50 × 2 × 4 = 400, so
    # 500 slots are never what holds a clip back
    clip_concurrency: int = 500
    # one generation a member at a time would cap the whole at 50 × 4 creates per ~27 s, about
    # 440 a minute, below the cap; two let the cap be the limit (the rest queue per member)
    user_concurrency: int = 2
    create_cap: int = 600  # the fake's creates per 60 s (Replicate's documented budget)
    databases: Sequence[str] = ("sqlite", "postgres")
    timeout: float = 900.0
    extra: dict[str, Any] = field(default_factory=dict)  # more bot settings


async def _pg_stats(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        row = await conn.fetchrow(_PG_STATS)
    finally:
        await conn.close()
    assert row is not None
    return dict(zip(_PG_FIELDS, (int(v) for v in row), strict=True))


async def _rows(w: Rig, url: str | None, sql: str) -> list[tuple[Any, ...]]:
    """Read the bot's database (SQLite read-only, or the PostgreSQL database at `url`)."""
    if url is None:
        return await asyncio.to_thread(w.query, sql)
    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


def _children_cpu(pid: int) -> float:
    """User + system CPU of the process's ended children (its ffmpeg runs), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


async def _cpu_sampler(w: Rig, samples: list[tuple[float, float, float]]) -> None:
    while True:
        with contextlib.suppress(OSError, AssertionError):
            samples.append((w.now(), w.bot.cpu_seconds(), _children_cpu(w.bot.pid)))
        await asyncio.sleep(1.0)


def _rss_bytes(pid: int) -> int:
    """VmRSS of the process now (its resident memory at the end of the run)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@contextlib.asynccontextmanager
async def _database(name: str) -> AsyncIterator[str | None]:
    if name == "sqlite":
        yield None
        return
    with running_server() as server:
        yield await server.create_database("sustained")


async def _offer(w: Rig, opts: SustainedOptions, members: list[int]) -> None:
    """`/generate` every 60/rate s for `minutes`: member n % members in channel n % channels."""
    count = max(1, round(opts.rate * opts.minutes))
    start = w.now()
    for n in range(count):
        delay = start + n * 60.0 / opts.rate - w.now()
        if delay > 0:
            await asyncio.sleep(delay)
        member = n % opts.members
        members.append(member)
        await w.generate(member, clips=opts.clips, channel=n % opts.channels)


async def _run(opts: SustainedOptions, database: str) -> tuple[list[Figure], dict[str, Any]]:
    async with _database(database) as url:
        settings: dict[str, Any] = {
            "clip_concurrency": opts.clip_concurrency,
            "user_concurrency": opts.user_concurrency,
            **opts.extra,
        }
        if url is not None:
            settings["database_url"] = url
        config = RigConfig(
            members=opts.members,
            channels=opts.channels,
            clip_delay=opts.clip_delay,
            clip_jitter=opts.clip_delay * opts.clip_jitter,
            analysis_delay=opts.analysis_delay,
            settings=settings,
        )
        async with rig(opts.workdir / f"sustained-{database}", config) as w:
            w.replicate.create_limit = opts.create_cap
            w.replicate.window_retry_hint = True
            before = await _pg_stats(url) if url is not None else None
            cpu: list[tuple[float, float, float]] = []
            sampler = asyncio.create_task(_cpu_sampler(w, cpu))
            members: list[int] = []
            fakes_cpu = time.process_time()  # this process: the fakes and the driver
            try:
                await _offer(w, opts, members)
                offered_until = w.now()
                # Discord takes an answer within 3 s: by then each command was answered (its
                # reply will end in a final state) or lost (no reply: counted by the ack figure)
                await asyncio.sleep(4.0)
                answered = sum(1 for i in w.interactions if i.callback is not None)
                waited = await w.wait_final(answered, timeout=opts.timeout)
                cpu.append((w.now(), w.bot.cpu_seconds(), _children_cpu(w.bot.pid)))
                rss = _rss_bytes(w.bot.pid)
                fakes_cpu = time.process_time() - fakes_cpu
            finally:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
            await asyncio.sleep(2.0)  # trailing posts; PostgreSQL flushes its counters ~1 s
            after = await _pg_stats(url) if url is not None else None
            clips = await _rows(
                w,
                url,
                "SELECT g.message_id, c.prediction_id FROM clips c JOIN generations g"
                " ON g.id = c.generation_id WHERE c.prediction_id IS NOT NULL"
                " AND g.message_id IS NOT NULL",
            )
            finished = await _rows(
                w,
                url,
                "SELECT message_id, finished_at FROM generations"
                " WHERE finished_at IS NOT NULL AND message_id IS NOT NULL",
            )
            database_work = (
                {k: after[k] - before[k] for k in _PG_FIELDS}
                if before is not None and after is not None
                else None
            )
            run = Run(
                name=database,
                opts_minutes=opts.minutes,
                rate=opts.rate,
                clips=opts.clips,
                cap=opts.create_cap,
                rig=w,
                members=members,
                offered_until=offered_until,
                drained_seconds=waited,
                cpu=cpu,
                rss_bytes=rss,
                clip_rows=[(int(m), str(p)) for m, p in clips],
                finished={int(m): float(f) for m, f in finished},
                database_work=database_work,
                fakes_cpu_seconds=fakes_cpu,
            )
            return figures(run)  # while the fakes' records are still open


async def sustained(opts: SustainedOptions) -> tuple[list[Figure], dict[str, Any]]:
    out: list[Figure] = []
    raw: dict[str, Any] = {}
    for database in opts.databases:
        if database not in ("sqlite", "postgres"):
            raise SystemExit(f"unknown database {database!r}: sqlite or postgres")
        figs, raw[database] = await _run(opts, database)
        out += figs
    return out, raw
