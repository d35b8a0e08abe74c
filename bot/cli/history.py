"""`python -m bot history`: recent generations, from the database."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table

from bot.cli import interrupted
from bot.config import Settings
from storage.db import open_database
from storage.repository import Repository


async def history(settings: Settings, *, user: int | None, limit: int) -> int:
    console = Console()
    if limit < 1:
        Console(stderr=True).print("[red]--limit must be at least 1[/]")
        return 2
    await interrupted.settle_before_history(settings, Console(stderr=True))
    async with open_database(settings.database_path) as db:
        entries = await Repository(db).history(user, limit=limit)
    if not entries:
        console.print("No generations yet.")
        return 0
    table = Table("#", "status", "clips", "created", "title / prompt", "error")
    for e in entries:
        created = datetime.fromtimestamp(e.created_at).strftime("%Y-%m-%d %H:%M")
        label = f"{e.title} — {e.prompt}" if e.title else e.prompt
        table.add_row(
            str(e.id),
            str(e.status),
            f"{e.clips_done}/{e.clips_total}",
            created,
            label[:80],
            (e.error or "")[:60],
        )
    console.print(table)
    return 0
