"""`python -m bot migrate-sqlite-to-postgres`: copy the SQLite history into PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bot.config import Settings
from storage.transfer import TargetNotEmpty, copy_sqlite_to_postgres

EXIT_REFUSED = 2


async def migrate_sqlite_to_postgres(
    settings: Settings, *, sqlite: Path | None, url: str | None
) -> int:
    """Copy every table (ids kept) from `sqlite` (DATABASE_PATH) to `url` (DATABASE_URL), an
    empty database; print the rows copied per table. Exit 0 copied, 2 refused (no URL, no
    SQLite file, a target that has rows), 1 the copy failed (nothing was committed)."""
    err = Console(stderr=True)
    source = sqlite or settings.database_path
    target = url or (settings.database_url.get_secret_value() if settings.database_url else None)
    if not target or not target.startswith(("postgresql://", "postgres://")):
        err.print("name the PostgreSQL database: --url postgresql://… or DATABASE_URL")
        return EXIT_REFUSED
    if not source.is_file():
        err.print(f"no SQLite database at {source} (--sqlite PATH or DATABASE_PATH)", markup=False)
        return EXIT_REFUSED
    try:
        counts = await copy_sqlite_to_postgres(source, target)
    except TargetNotEmpty as exc:
        err.print(f"{exc}: copy into an empty database only; nothing was copied", markup=False)
        return EXIT_REFUSED
    for table, rows in counts.items():
        print(f"{table}: {rows} rows")
    print(f"copied {sum(counts.values())} rows from {source} into PostgreSQL")
    return 0
