"""/history against a database of a million generations: the queries the command runs."""

from __future__ import annotations

import random
import time

from bench.figures import figure, summary
from bench.scenarios import Options, Outcome
from cogs.history.render import PAGE_SIZE
from storage.db import open_database
from storage.repository import Repository
from storage.seed import HEAVY_OWNER, seed_history

QUERIES = 1000


async def _page(repo: Repository, owner: int, page: int) -> float:
    """Seconds for what ``/history page:N`` asks the database (count, then one page)."""
    started = time.perf_counter()
    total = await repo.count_history(owner)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    await repo.history(owner, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return time.perf_counter() - started


async def history(opts: Options, rows: int) -> Outcome:
    members = max(1, rows // 100)  # about 100 films each …
    heavy = min(rows // 10, 20_000)  # … and one member with many more
    path = opts.workdir / "history" / "reelbot.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    seeded = await seed_history(path, rows=rows, members=members, heavy_rows=heavy)
    rng = random.Random(7)
    timings: list[float] = []
    heavy_timings: list[float] = []
    async with open_database(path) as db:
        repo = Repository(db)
        for _ in range(20):  # warm the connection and the page cache, as a running bot has
            await _page(repo, 2 + rng.randrange(members), 1)
        for n in range(QUERIES):
            if n % 10 == 9:  # the heavy member, any page up to the last
                seconds = await _page(repo, HEAVY_OWNER, 1 + rng.randrange(heavy // PAGE_SIZE + 1))
                heavy_timings.append(seconds)
            else:
                page = 1 if n % 10 < 7 else 1 + rng.randrange(12)
                seconds = await _page(repo, 2 + rng.randrange(members), page)
            timings.append(seconds)
    fig = figure(
        "history_query",
        "history",
        f"/history query (count + page) at {rows:,} generations ({seeded.clips:,} clips)",
        "ms",
        "p99 ≤ 10 ms",
        summary(timings),
        lambda m: m["p99"] <= 0.010,
        note=f"one member with {heavy:,}: p99 {summary(heavy_timings)['p99'] * 1000:.1f} ms",
    )
    raw = {
        "seed_seconds": seeded.seconds,
        "members": members,
        "heavy_rows": heavy,
        "timings": timings,
        "heavy_timings": heavy_timings,
    }
    return Outcome([fig], raw)
