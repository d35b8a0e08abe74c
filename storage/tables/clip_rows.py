"""Clip rows: a clip's prediction from creation to its file, and predictions to cancel again."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import cast

from storage.backend import Tx
from storage.models import (
    Clip,
    ClipStatus,
    CreateRefused,
    GenerationStatus,
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

    async def clip_create_admitted(
        self,
        clip_id: int,
        *,
        limit: float = 0.0,
        since: float = 0.0,
        lease: tuple[str, int] | None = None,
    ) -> int | CreateRefused:
        """`clip_creating`, only when the database says the create may be made: the clip's
        generation is still being made (rendering, or rerolling: not cancelled, not ended
        elsewhere), the clip is not running or made already (a process that read it pending
        before another made its prediction is refused), its run still holds its reservation
        (not settled), and, with a `limit`
        (seconds since `since`; 0: none), the member who started the run has asked for less
        than `limit` (what they asked, plus what their runs admitted BEFORE this one and still
        pending may ask: an earlier run is never starved by a later one's reservation), read
        under the member's lock: every create starts below the limit, so a member passes it
        by at most one clip's worth. With `lease` (owner, epoch), only while that process
        still holds the generation's lease at that epoch (a fencing token: a process that
        stalled past its lease is refused). Returns the attempt number (the clip's fencing
        token for `clip_started`), or why it was refused. The bot creates only through this
        (tests/test_architecture_transitions.py)."""
        making = (GenerationStatus.RENDERING, GenerationStatus.REROLLING)
        async with self._transaction() as tx:
            row = await tx.one(
                "SELECT r.id, r.owner_id, c.status FROM clips c"
                " JOIN generations g ON g.id = c.generation_id"
                " JOIN runs r ON r.id = (SELECT MAX(id) FROM runs WHERE generation_id = g.id)"
                " WHERE c.id = ? AND g.status IN (?, ?) AND r.settled = 0",
                (clip_id, *making),
            )
            if row is None:
                return CreateRefused.ENDED
            run_id, payer = int(row[0]), int(row[1])
            if lease is not None and not await _holds(tx, clip_id, lease):
                return CreateRefused.LEASE
            if row[2] not in (ClipStatus.PENDING, ClipStatus.CREATING):
                return CreateRefused.TAKEN  # another process made its prediction meanwhile
            if limit:
                await tx.lock(payer)
                usage = await tx.one(
                    "SELECT (SELECT COALESCE(SUM(seconds), 0) FROM spend"
                    "   WHERE owner_id = ? AND created_at >= ?)"
                    " + (SELECT COALESCE(SUM(CASE WHEN reserved > spent"
                    "   THEN reserved - spent ELSE 0 END), 0) FROM runs"
                    "   WHERE owner_id = ? AND settled = 0 AND id < ?)",
                    (payer, since, payer, run_id),
                )
                if usage is not None and float(usage[0]) >= limit:
                    return CreateRefused.BUDGET
            now = time.time()
            changed = await tx.execute(
                "UPDATE clips SET status = ?, attempts = attempts + 1, create_started_at = ?,"
                " prediction_id = NULL, error = NULL, updated_at = ? WHERE id = ?"
                " AND status IN (?, ?)"
                " AND EXISTS (SELECT 1 FROM generations g WHERE g.id = clips.generation_id"
                "   AND g.status IN (?, ?))"
                " AND EXISTS (SELECT 1 FROM runs r WHERE r.id = ? AND r.settled = 0)",
                (
                    ClipStatus.CREATING,
                    now,
                    now,
                    clip_id,
                    ClipStatus.PENDING,
                    ClipStatus.CREATING,
                    *making,
                    run_id,
                ),
            )
            if not changed:  # moved between the read and the write (READ COMMITTED)
                return CreateRefused.TAKEN
            attempts = await tx.one("SELECT attempts FROM clips WHERE id = ?", (clip_id,))
            assert attempts is not None
            return int(attempts[0])

    async def clip_started(
        self,
        clip_id: int,
        prediction_id: str,
        *,
        attempt: int | None = None,
        lease: tuple[str, int] | None = None,
    ) -> bool:
        """The clip's prediction exists. With `attempt` (the token `clip_create_admitted`
        returned), only while no later attempt began and no prediction was stored for this
        one, while its generation is being made, and (with `lease`) while this process holds
        the lease at that epoch: a process that stalled between its create and this write
        (another took the clip over, or a cancel came) is refused, and must cancel the
        prediction it made. False when refused."""
        guard, params = "", cast(tuple[object, ...], ())
        if attempt is not None:
            guard = (
                " AND attempts = ? AND status = ? AND EXISTS (SELECT 1 FROM generations g"
                " WHERE g.id = clips.generation_id AND g.status IN (?, ?))"
            )
            params = (
                attempt,
                ClipStatus.CREATING,
                GenerationStatus.RENDERING,
                GenerationStatus.REROLLING,
            )
        if lease is not None:
            guard += (
                " AND EXISTS (SELECT 1 FROM leases l WHERE l.generation_id = clips.generation_id"
                " AND l.owner = ? AND l.epoch = ?)"
            )
            params = (*params, *lease)
        return await self._update(
            f"UPDATE clips SET status = ?, prediction_id = ?, updated_at = ? WHERE id = ?{guard}",
            (ClipStatus.RUNNING, prediction_id, time.time(), clip_id, *params),
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
        """A clip failed or was cancelled (or is back to pending for a retry). A finished
        take is never overwritten: a reroll cancelled by another process puts the earlier
        take back while the process that ran it may still be ending its attempt."""
        await self._update(
            "UPDATE clips SET status = ?, error = ?, updated_at = ? WHERE id = ? AND status <> ?",
            (status, error, time.time(), clip_id, ClipStatus.SUCCEEDED),
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


async def _holds(tx: Tx, clip_id: int, lease: tuple[str, int]) -> bool:
    """Whether `lease` (owner, epoch) is the lease of the clip's generation now."""
    row = await tx.one(
        "SELECT 1 FROM leases l JOIN clips c ON c.generation_id = l.generation_id"
        " WHERE c.id = ? AND l.owner = ? AND l.epoch = ?",
        (clip_id, *lease),
    )
    return row is not None
