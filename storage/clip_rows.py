"""Clip rows: a clip's prediction from creation to its file, and predictions to cancel again."""

from __future__ import annotations

import time
from collections.abc import Sequence

from storage.models import (
    Clip,
    ClipStatus,
    PendingCancel,
)
from storage.rows import Rows, _clip


class ClipRows(Rows):
    """The clips of generations, and the cancels Replicate has not confirmed yet."""

    # clips -------------------------------------------------------------------------------

    async def clips(self, generation_id: int) -> list[Clip]:
        rows = await self._all(
            "SELECT * FROM clips WHERE generation_id = ? ORDER BY idx", (generation_id,)
        )
        return [_clip(r) for r in rows]

    async def clip(self, clip_id: int) -> Clip:
        row = await self._one("SELECT * FROM clips WHERE id = ?", (clip_id,))
        if row is None:
            raise LookupError(f"no clip {clip_id}")
        return _clip(row)

    async def clip_creating(self, clip_id: int) -> None:
        """About to send a create request: count the attempt and note when it began. Counting
        it records the spend too (the clip's seconds against its owner; the run marked spent,
        for good): the `clips_create_spends` trigger, in the same statement."""
        now = time.time()
        await self._update(
            "UPDATE clips SET status = ?, attempts = attempts + 1, create_started_at = ?,"
            " prediction_id = NULL, error = NULL, updated_at = ? WHERE id = ?",
            (ClipStatus.CREATING, now, now, clip_id),
        )

    async def clip_started(self, clip_id: int, prediction_id: str) -> None:
        await self._update(
            "UPDATE clips SET status = ?, prediction_id = ?, updated_at = ? WHERE id = ?",
            (ClipStatus.RUNNING, prediction_id, time.time(), clip_id),
        )

    async def clip_succeeded(
        self, clip_id: int, *, output_path: str, thumbnail_path: str | None, predict_seconds: float
    ) -> None:
        await self._update(
            "UPDATE clips SET status = ?, output_path = ?, thumbnail_path = ?,"
            " predict_seconds = ?, error = NULL, updated_at = ? WHERE id = ?",
            (
                ClipStatus.SUCCEEDED,
                output_path,
                thumbnail_path,
                predict_seconds,
                time.time(),
                clip_id,
            ),
        )

    async def clip_ended(self, clip_id: int, status: ClipStatus, error: str | None) -> None:
        """A clip failed or was cancelled (or is back to pending for a retry)."""
        await self._update(
            "UPDATE clips SET status = ?, error = ?, updated_at = ? WHERE id = ?",
            (status, error, time.time(), clip_id),
        )

    async def claimed_prediction_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` already belong to a clip (for reconciliation after a crash)."""
        if not ids:
            return set()
        rows = await self._all(
            f"SELECT prediction_id FROM clips WHERE prediction_id IN ({', '.join('?' * len(ids))})",
            tuple(ids),
        )
        return {r[0] for r in rows}

    # clips made again, predictions to cancel again (the Replicate side) --------------------

    async def clip_remade(self, clip_id: int, reason: str, lost_seconds: float) -> None:
        """The clip's prediction succeeded but its output is gone (Replicate removed it): back
        to pending without spending a failure attempt (the next create counts one again), and
        the lost prediction's billed seconds kept in `predict_seconds`, which on a clip not yet
        succeeded holds what was spent on it so far."""
        await self._update(
            "UPDATE clips SET status = ?, error = ?, prediction_id = NULL,"
            " attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,"
            " predict_seconds = predict_seconds + ?,"
            " updated_at = ? WHERE id = ?",
            (ClipStatus.PENDING, reason, lost_seconds, time.time(), clip_id),
        )

    async def add_pending_cancel(
        self,
        clip_id: int,
        *,
        prediction_id: str | None,
        inputs: str | None,
        create_started_at: float | None,
        reason: str,
    ) -> None:
        await self._update(
            "INSERT INTO pending_cancels (clip_id, prediction_id, inputs, create_started_at,"
            " reason, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (clip_id, prediction_id, inputs, create_started_at, reason, time.time()),
        )

    async def pending_cancels(self, limit: int = 100) -> list[PendingCancel]:
        rows = await self._all("SELECT * FROM pending_cancels ORDER BY id LIMIT ?", (limit,))
        return [PendingCancel(**dict(r)) for r in rows]

    async def drop_pending_cancel(self, pending_id: int) -> None:
        await self._update("DELETE FROM pending_cancels WHERE id = ?", (pending_id,))
