"""The numbered migrations of each backend: `sqlite/NNNN_name.sql` and `postgres/NNNN_name.sql`,
the same numbers in both."""

from __future__ import annotations

import re
from importlib import resources

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """The numbered migrations shipped for `dialect`, in order: (number, name, sql)."""
    found = []
    for entry in resources.files(__name__).joinpath(dialect).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(
            f"{dialect} migrations must be numbered 1..n without gaps, found {numbers}"
        )
    return found
