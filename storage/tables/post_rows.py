"""What the Discord side posted for a generation, and which generations' media was removed."""

from __future__ import annotations

import time

from storage.models import Generation
from storage.rows import _FINAL, _NOT_FINAL, Rows, _generation


class PostRows(Rows):
    """Posts recorded once Discord took them, settled generations, and media removals."""

    # posts -------------------------------------------------------------------------------

    async def record_post(self, generation_id: int, key: str, ref: str) -> bool:
        """Remember that `key` (e.g. "clip:2") was posted as `ref`; False if it already was."""
        return await self._update(
            "INSERT INTO posts (generation_id, key, ref, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (generation_id, key) DO NOTHING",
            (generation_id, key, ref, time.time()),
        )

    async def mark_settled(self, generation_id: int) -> None:
        """The member sees the generation's final state (reply edited, thread complete): noted
        with its `finished_at`, so a Retry that ends again is settled anew."""
        await self._update(
            "INSERT INTO posts (generation_id, key, ref, created_at)"
            " SELECT id, 'settled', CAST(finished_at AS TEXT), ? FROM generations"
            f" WHERE id = ? AND finished_at IS NOT NULL AND NOT ({_NOT_FINAL})"
            " ON CONFLICT (generation_id, key) DO UPDATE SET ref = excluded.ref,"
            " created_at = excluded.created_at",
            (time.time(), generation_id, *_FINAL),
        )

    async def unsettled(self, source: str, *, since: float, limit: int = 100) -> list[Generation]:
        """Generations of `source` with a reply that ended after `since` and were not marked
        settled since they ended (a crash came between the final state and the reply)."""
        rows = await self._all(
            "SELECT * FROM generations g WHERE g.source = ? AND g.message_id IS NOT NULL"
            f" AND g.finished_at >= ? AND NOT ({_NOT_FINAL}) AND NOT EXISTS ("
            "   SELECT 1 FROM posts p WHERE p.generation_id = g.id AND p.key = 'settled'"
            "   AND CAST(p.ref AS DOUBLE PRECISION) >= g.finished_at - 0.001)"
            " ORDER BY g.id LIMIT ?",
            (source, since, *_FINAL, limit),
        )
        return [_generation(r) for r in rows]

    async def posts(self, generation_id: int) -> dict[str, str]:
        rows = await self._all(
            "SELECT key, ref FROM posts WHERE generation_id = ?", (generation_id,)
        )
        return {r[0]: r[1] for r in rows}

    # media retention -----------------------------------------------------------------------

    async def media_to_remove(
        self, *, ended_before: float, after_id: int = 0, limit: int = 100
    ) -> list[int]:
        """Ids above `after_id` of final generations that ended before `ended_before` and whose
        media was not removed since they ended, in order."""
        rows = await self._all(
            "SELECT g.id FROM generations g WHERE g.id > ?"
            f" AND NOT ({_NOT_FINAL}) AND COALESCE(g.finished_at, g.updated_at) < ?"
            " AND NOT EXISTS (SELECT 1 FROM media_removals m WHERE m.generation_id = g.id"
            "   AND m.removed_at >= COALESCE(g.finished_at, g.updated_at))"
            " ORDER BY g.id LIMIT ?",
            (after_id, *_FINAL, ended_before, limit),
        )
        return [int(r[0]) for r in rows]

    async def claim_media_removal(self, generation_id: int, *, ended_before: float) -> bool:
        """Record, before the files go, that the generation's media is being removed, in a
        transaction that re-checks what the sweep picked it for: the generation still final
        and ended before `ended_before` (a Retry or Reroll admitted since it was picked moved
        it, or ended it again later). Its row is locked meanwhile (PostgreSQL), so an
        admission waits for this and then sees the removal (`begin_reroll` refuses it). False:
        leave the files."""
        async with self._transaction() as tx:
            lock = " FOR UPDATE" if tx.dialect == "postgres" else ""
            row = await tx.one(
                "SELECT 1 FROM generations g WHERE g.id = ?"
                f" AND NOT ({_NOT_FINAL}) AND COALESCE(g.finished_at, g.updated_at) < ?{lock}",
                (generation_id, *_FINAL, ended_before),
            )
            if row is None:
                return False
            await tx.execute(
                "INSERT INTO media_removals (generation_id, removed_at) VALUES (?, ?)"
                " ON CONFLICT (generation_id) DO UPDATE SET removed_at = excluded.removed_at",
                (generation_id, time.time()),
            )
            return True

    async def unclaim_media_removal(self, generation_id: int) -> None:
        """The files could not be removed after all: the next sweep tries again."""
        await self._update("DELETE FROM media_removals WHERE generation_id = ?", (generation_id,))

    async def record_media_removed(self, generation_id: int) -> None:
        """The generation's media files are gone (its rows stay)."""
        await self._update(
            "INSERT INTO media_removals (generation_id, removed_at) VALUES (?, ?)"
            " ON CONFLICT (generation_id) DO UPDATE SET removed_at = excluded.removed_at",
            (generation_id, time.time()),
        )

    async def media_removed_at(self, generation_id: int) -> float | None:
        """When the generation's media files were removed, if they were."""
        row = await self._one(
            "SELECT removed_at FROM media_removals WHERE generation_id = ?", (generation_id,)
        )
        return float(row[0]) if row else None
