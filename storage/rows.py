"""What every part of the repository shares: the backend (SQLite or PostgreSQL), its one-trip
reads, guarded updates and transactions, and turning rows into models.

SQL is written once with `?` placeholders (the PostgreSQL backend rewrites them to `$n`);
where a statement must differ, `self._dialect` / `tx.dialect` says which one runs."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from storage.backend import Backend, Dialect, Row, Tx
from storage.models import (
    FINAL_STATUSES,
    Captions,
    Clip,
    ClipStatus,
    Continuity,
    Generation,
    GenerationStatus,
)

_FINAL = tuple(str(s) for s in FINAL_STATUSES)
_NOT_FINAL = f"status NOT IN ({', '.join('?' * len(_FINAL))})"

# A member's usage since a moment (params: owner, since, owner, since, owner): the runs that
# count (not refunded before they spent), and the seconds asked of Replicate plus what the
# member's pending runs may still ask (their reservation less what they asked already).
_USAGE = (
    "SELECT (SELECT COUNT(*) FROM runs WHERE owner_id = ? AND admitted_at >= ?"
    "   AND (refunded = 0 OR spent_at IS NOT NULL)),"
    " (SELECT COALESCE(SUM(seconds), 0) FROM spend WHERE owner_id = ? AND created_at >= ?)"
    " + (SELECT COALESCE(SUM(CASE WHEN reserved > spent THEN reserved - spent ELSE 0 END), 0)"
    "   FROM runs WHERE owner_id = ? AND settled = 0)"
)


def _generation(row: Row) -> Generation:
    data = dict(row)
    data["status"] = GenerationStatus(data["status"])
    data["continuity"] = Continuity(data["continuity"])
    data["captions"] = Captions(data.get("captions") or Captions.OFF)
    return Generation(**data)


def _clip(row: Row) -> Clip:
    data = dict(row)
    data["index"] = data.pop("idx")
    data["status"] = ClipStatus(data["status"])
    return Clip(**data)


class Rows:
    """The open database (a `Backend`), shared by the parts of the repository (generations,
    clips, posts, narration)."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    @property
    def _dialect(self) -> Dialect:
        return self._db.dialect

    def _transaction(self) -> AbstractAsyncContextManager[Tx]:
        """`async with self._transaction() as tx:` — statements committed together."""
        return self._db.transaction()

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._db.one(sql, params)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._db.all(sql, params)

    async def _update(self, sql: str, params: Sequence[Any] = ()) -> bool:
        """One writing statement on its own; True when it changed a row."""
        return await self._db.update(sql, params)
