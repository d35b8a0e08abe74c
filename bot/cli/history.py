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
from storage.models import HistoryEntry, VersionStatus
from storage.repository import Repository


async def history(
    settings: Settings, *, user: int | None, limit: int, as_json: bool = False
) -> int:
    if limit < 1:
        Console(stderr=True).print("--limit must be at least 1", style="red", markup=False)
        return 2
    await interrupted.settle_before_history(settings, Console(stderr=True))
    async with open_database(settings) as db:
        repo = Repository(db)
        entries = await repo.history(user, limit=limit)
        versions = await repo.versions_of([e.id for e in entries])
        sounds = await repo.sound_of([e.id for e in entries])  # issue 22: what the film has
        casts = await repo.casts_of([e.id for e in entries])  # issue 24: its cast sheet
    films = {
        gid: max((v.number for v in found if v.status is VersionStatus.DONE), default=1)
        for gid, found in versions.items()
    }
    console = Console()
    if as_json:
        for entry in entries:
            fields = {
                **record(entry, films.get(entry.id, 1)),
                "sound": sounds.get(entry.id),
                "cast": casts.get(entry.id),
            }
            print(json.dumps(fields, ensure_ascii=False))
    elif not console.is_terminal:
        for entry in entries:
            values = record(entry, films.get(entry.id, 1)).values()
            print("\t".join(str(value or "") for value in values))
        if not entries:
            print("No generations yet.", file=sys.stderr)
    elif not entries:
        console.print("No generations yet.")
    else:
        console.print(table(entries, films, sounds, casts))
    return 0


def record(entry: HistoryEntry, version: int = 1) -> dict[str, Any]:
    """One generation as plain fields, in the order of the plain lines; member and model text
    on one line, without control characters (so without tabs either). `version`: the film's
    latest version (a reroll makes v2, v3...)."""
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
        "version": version,
    }


def table(
    entries: list[HistoryEntry],
    films: dict[int, int] | None = None,
    sounds: dict[int, str] | None = None,
    casts: dict[int, list[str]] | None = None,
) -> Table:
    """The terminal's table: every cell a `Text`, so `[/oops]` is shown, not parsed."""
    result = Table("#", "status", "clips", "created", "title / prompt", "error")
    for e in entries:
        row = record(e, (films or {}).get(e.id, 1))
        if row["version"] > 1:
            row["status"] = f"{row['status']} v{row['version']}"
        created = datetime.fromtimestamp(e.created_at).strftime("%Y-%m-%d %H:%M")
        label = f"{row['title']} — {row['prompt']}" if row["title"] else row["prompt"]
        if sound := (sounds or {}).get(e.id):  # issue 22: narration, music, captions
            label = f"[{sound}] {label}"
        if cast := (casts or {}).get(e.id):  # issue 24: the cast sheet's characters
            label = f"[cast: {', '.join(cast)}] {label}"
        result.add_row(
            str(e.id),
            row["status"],
            row["clips"],
            created,
            Text(shorten(label, 80)),
            Text(shorten(row["error"] or "", 60)),
        )
    return result
