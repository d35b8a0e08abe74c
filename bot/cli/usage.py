"""`python -m bot usage [--days N] [--json]`: what was spent, per UTC day, per member and per
server, from the database (seconds of video asked of Replicate, and dollars at the price table's
rate for VIDEO_MODEL: docs/costs.md). One JSON object with `--json`."""

from __future__ import annotations

import json
import time

from rich.console import Console
from rich.table import Table

from bot.config import Settings
from bot.pipeline.spend.prices import money
from bot.pipeline.spend.usage import first_day, summarise
from storage.db import open_database
from storage.repository import Repository


async def usage(settings: Settings, *, days: int, as_json: bool = False) -> int:
    if days < 1:
        Console(stderr=True).print("--days must be at least 1", style="red", markup=False)
        return 2
    now = time.time()
    async with open_database(settings) as db:
        entries = await Repository(db).spend_since(first_day(days, now))
    report = summarise(entries, settings, days=days, now=now)
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    console = Console()
    total = report["total"]
    rate = report["dollars_per_second"]
    console.print(
        f"Since {report['since']} (UTC, {days} day(s)): {total['seconds']:g} s of video in "
        f"{total['creates']} prediction(s), {money(total['dollars'])} "
        f"at {'an unknown price' if rate is None else f'${rate:g}/s'} for {report['video_model']}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for title, key, name in (
        ("Per day (UTC)", "by_day", "day"),
        ("Per member (Discord user id)", "by_member", "member"),
        ("Per server (guild id)", "by_guild", "guild"),
    ):
        table = Table(title=title, title_justify="left")
        for column in (name, "seconds", "predictions", "dollars"):
            table.add_column(column, justify="left" if column == name else "right")
        for row in report[key]:
            table.add_row(
                str(row[name]), f"{row['seconds']:g}", str(row["creates"]), money(row["dollars"])
            )
        console.print(table)
    return 0
