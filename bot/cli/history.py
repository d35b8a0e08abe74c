"""`python -m bot history`: recent generations, from the database.

A table in a terminal; one plain tab-separated line per generation when stdout is not a
terminal (for grep, cut, awk), or one JSON object per line with `--json`. Everything a member
or a model wrote is shown as text, never as markup or terminal control sequences.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.cli import interrupted
from bot.config import Settings
from bot.pipeline.text import one_line, shorten
from storage.db import open_database
from storage.models import HistoryEntry
from storage.repository import Repository


async def history(
    settings: Settings, *, user: int | None, limit: int, as_json: bool = False
) -> int:
    if limit < 1:
        Console(stderr=True).print("--limit must be at least 1", style="red", markup=False)
        return 2
    await interrupted.settle_before_history(settings, Console(stderr=True))
    async with open_database(settings) as db:
        entries = await Repository(db).history(user, limit=limit)
    console = Console()
    if as_json:
        for entry in entries:
            print(json.dumps(record(entry), ensure_ascii=False))
    elif not console.is_terminal:
        for entry in entries:
            print("\t".join(str(value or "") for value in record(entry).values()))
        if not entries:
            print("No generations yet.", file=sys.stderr)
    elif not entries:
        console.print("No generations yet.")
    else:
        console.print(table(entries))
    return 0


def record(entry: HistoryEntry) -> dict[str, Any]:
    """One generation as plain fields, in the order of the plain lines; member and model text
    on one line, without control characters (so without tabs either)."""
    link = None
    if entry.guild_id and entry.channel_id and entry.message_id:
        link = (
            f"https://discord.com/channels/{entry.guild_id}/{entry.channel_id}/{entry.message_id}"
        )
    return {
        "id": entry.id,
        "status": str(entry.status),
        "clips": f"{entry.clips_done}/{entry.clips_total}",
        "created": datetime.fromtimestamp(entry.created_at, UTC).isoformat(timespec="seconds"),
        "title": one_line(entry.title) if entry.title else None,
        "prompt": one_line(entry.prompt),
        "error": one_line(entry.error) if entry.error else None,
        "link": link,
    }


def table(entries: list[HistoryEntry]) -> Table:
    """The terminal's table: every cell a `Text`, so `[/oops]` is shown, not parsed."""
    result = Table("#", "status", "clips", "created", "title / prompt", "error")
    for e in entries:
        row = record(e)
        created = datetime.fromtimestamp(e.created_at).strftime("%Y-%m-%d %H:%M")
        label = f"{row['title']} — {row['prompt']}" if row["title"] else row["prompt"]
        result.add_row(
            str(e.id),
            row["status"],
            row["clips"],
            created,
            Text(shorten(label, 80)),
            Text(shorten(row["error"] or "", 60)),
        )
    return result
