"""Spend as the operator reads it (`python -m bot usage`, a member's own in /history): every
prediction create's seconds of video (the `spend` table, written by the database itself), with
the member, the server and where it came from."""

from __future__ import annotations

from dataclasses import dataclass

from storage.rows import _FINAL, _NOT_FINAL, Rows


@dataclass(frozen=True, slots=True)
class SpendEntry:
    """One prediction create: `seconds` of video asked for by `owner_id`, at `created_at`."""

    owner_id: int
    guild_id: int | None
    source: str
    seconds: float
    created_at: float


class UsageRows(Rows):
    async def spend_since(self, since: float, owner_id: int | None = None) -> list[SpendEntry]:
        """Every create since `since` (of one member when `owner_id` is given), oldest first."""
        sql = (
            "SELECT s.owner_id, g.guild_id, g.source, s.seconds, s.created_at"
            " FROM spend s JOIN generations g ON g.id = s.generation_id"
            " WHERE s.created_at >= ?"
        )
        params: tuple[float | int, ...] = (since,)
        if owner_id is not None:
            sql += " AND s.owner_id = ?"
            params += (owner_id,)
        rows = await self._all(sql + " ORDER BY s.created_at, s.id", params)
        return [
            SpendEntry(
                int(r[0]),
                None if r[1] is None else int(r[1]),
                str(r[2]),
                float(r[3]),
                float(r[4]),
            )
            for r in rows
        ]

    async def open_generations(self) -> dict[tuple[str, str], int]:
        """How many generations not yet ended there are, by (status, source)."""
        rows = await self._all(
            "SELECT status, source, COUNT(*) FROM generations"
            f" WHERE {_NOT_FINAL} GROUP BY status, source",
            _FINAL,
        )
        return {(str(r[0]), str(r[1])): int(r[2]) for r in rows}

    async def seconds_since(self, since: float) -> float:
        """Seconds of video asked for since `since`, every member together."""
        row = await self._one(
            "SELECT COALESCE(SUM(seconds), 0) FROM spend WHERE created_at >= ?", (since,)
        )
        return float(row[0]) if row else 0.0

    async def ping(self) -> None:
        """One round trip to the database (the health check)."""
        await self._one("SELECT 1")
