"""Typed repository methods: the only place with SQL. Every state change is one transaction."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from storage.models import (
    FINAL_STATUSES,
    Clip,
    ClipStatus,
    Generation,
    GenerationStatus,
    HistoryEntry,
    Narration,
    NarrationLine,
    NarrationStatus,
    NewGeneration,
    PendingCancel,
    Usage,
)

_FINAL = tuple(str(s) for s in FINAL_STATUSES)
_NOT_FINAL = f"status NOT IN ({', '.join('?' * len(_FINAL))})"
# a run counts towards the daily limit unless it was refunded before it spent anything
_USAGE = (
    "SELECT (SELECT COUNT(*) FROM runs WHERE owner_id = ? AND admitted_at >= ?"
    "   AND (refunded = 0 OR spent_at IS NOT NULL)),"
    " (SELECT COALESCE(SUM(seconds), 0) FROM spend WHERE owner_id = ? AND created_at >= ?)"
)
_LATEST_RUN = "(SELECT MAX(id) FROM runs WHERE generation_id = ?)"

Admit = Callable[[Usage], None]
"""Called with the member's usage inside the transaction that admits a run; it raises to
refuse (the transaction then stores nothing)."""


def _generation(row: aiosqlite.Row) -> Generation:
    data = dict(row)
    data["status"] = GenerationStatus(data["status"])
    return Generation(**data)


def _clip(row: aiosqlite.Row) -> Clip:
    data = dict(row)
    data["index"] = data.pop("idx")
    data["status"] = ClipStatus(data["status"])
    return Clip(**data)


class Repository:
    """Generations, clips and posts over one long-lived aiosqlite connection."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._write = asyncio.Lock()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException:
                # A cancelled await does not stop the statement in the connection's thread (a
                # BEGIN may still run after we gave up on it); the ROLLBACK queues behind it.
                await asyncio.shield(self._rollback())
                raise

    async def _rollback(self) -> None:
        try:
            await self._db.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if "no transaction is active" not in str(exc):
                raise

    # Each await on the connection is a round trip to its thread (~50 µs of CPU on both sides):
    # a read is one trip (execute_fetchall), not three (execute, fetch, close).

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> Iterable[aiosqlite.Row]:
        return await self._db.execute_fetchall(sql, params)

    async def _update(self, sql: str, params: Sequence[Any]) -> bool:
        async with self._write:
            # a finished UPDATE/INSERT holds nothing: closing its cursor would be a second trip
            cursor = await self._db.execute(sql, params)
            return cursor.rowcount > 0

    # generations -------------------------------------------------------------------------

    async def create_generation(
        self, new: NewGeneration, *, admit: Admit | None = None, since: float = 0.0
    ) -> Generation:
        """Store a new generation and its first run. With `admit`, the owner's usage since
        `since` is read and checked in the same transaction (a burst cannot slip past)."""
        async with self._transaction() as db:
            if admit is not None:
                admit(await self._usage(db, new.owner_id, since))
            generation_id = await self._insert_generation(db, new)
            await self._insert_run(db, generation_id, new.owner_id)
        generation = await self.generation(generation_id)
        assert generation is not None
        return generation

    @staticmethod
    async def _usage(db: aiosqlite.Connection, owner_id: int, since: float) -> Usage:
        async with db.execute(_USAGE, (owner_id, since, owner_id, since)) as cursor:
            row = await cursor.fetchone()
        return Usage(int(row[0]), float(row[1])) if row else Usage(0, 0.0)

    async def usage_since(self, owner_id: int, since: float) -> Usage:
        """The member's runs and seconds of video since `since` that count towards a limit."""
        row = await self._one(_USAGE, (owner_id, since, owner_id, since))
        return Usage(int(row[0]), float(row[1])) if row else Usage(0, 0.0)

    @staticmethod
    async def _insert_run(db: aiosqlite.Connection, generation_id: int, owner_id: int) -> None:
        await db.execute(
            "INSERT INTO runs (generation_id, owner_id, admitted_at) VALUES (?, ?, ?)",
            (generation_id, owner_id, time.time()),
        )

    @staticmethod
    async def _insert_generation(db: aiosqlite.Connection, new: NewGeneration) -> int:
        now = time.time()
        cursor = await db.execute(
            "INSERT INTO generations (owner_id, source, prompt, clips_requested, aspect_ratio,"
            " seed, guild_id, channel_id, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new.owner_id,
                new.source,
                new.prompt,
                new.clips_requested,
                new.aspect_ratio,
                new.seed,
                new.guild_id,
                new.channel_id,
                GenerationStatus.QUEUED,
                now,
                now,
            ),
        )
        generation_id = int(cursor.lastrowid or 0)
        if new.narration and new.voice:
            await db.execute(
                "INSERT INTO narrations (generation_id, voice, status, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (generation_id, new.voice, NarrationStatus.WANTED, now),
            )
        return generation_id

    async def generation(self, generation_id: int) -> Generation | None:
        row = await self._one("SELECT * FROM generations WHERE id = ?", (generation_id,))
        return _generation(row) if row else None

    async def set_status(
        self,
        generation_id: int,
        status: GenerationStatus,
        error: str | None = None,
        *,
        refund: bool = False,
    ) -> bool:
        """Move to `status`; a final state is never overwritten. False when nothing changed.
        Cancelled (or `refund`) before the run spent anything: the run is not counted."""
        now = time.time()
        finished = now if status in FINAL_STATUSES else None
        sql = (
            f"UPDATE generations SET status = ?, error = COALESCE(?, error), updated_at = ?,"
            f" finished_at = COALESCE(?, finished_at) WHERE id = ? AND {_NOT_FINAL}"
        )
        params = (status, error, now, finished, generation_id, *_FINAL)
        if not (refund or status is GenerationStatus.CANCELLED):
            return await self._update(sql, params)
        async with self._transaction() as db:
            cursor = await db.execute(sql, params)
            if cursor.rowcount == 0:
                return False
            await db.execute(
                f"UPDATE runs SET refunded = 1 WHERE id = {_LATEST_RUN} AND spent_at IS NULL",
                (generation_id,),
            )
            return True

    async def reopen(
        self, generation_id: int, *, admit: Admit | None = None, since: float = 0.0
    ) -> bool:
        """Put a failed or cancelled generation back in the queue as a new run (Retry); False
        when it is not failed or cancelled. With `admit`, as in `create_generation`. What the
        earlier runs spent stays spent. A clip put back keeps its last prediction id: one that
        succeeded (its download failed) is downloaded again, not paid for again."""
        async with self._transaction() as db:
            async with db.execute(
                "SELECT owner_id FROM generations WHERE id = ? AND status IN (?, ?)",
                (generation_id, GenerationStatus.FAILED, GenerationStatus.CANCELLED),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return False
            owner_id = int(row[0])
            if admit is not None:
                admit(await self._usage(db, owner_id, since))
            now = time.time()
            await db.execute(
                "UPDATE generations SET status = ?, error = NULL, finished_at = NULL,"
                " updated_at = ? WHERE id = ?",
                (GenerationStatus.QUEUED, now, generation_id),
            )
            await db.execute(
                "UPDATE clips SET status = ?, error = NULL, attempts = 0,"
                " create_started_at = NULL, updated_at = ?"
                " WHERE generation_id = ? AND status IN (?, ?)",
                (
                    ClipStatus.PENDING,
                    now,
                    generation_id,
                    ClipStatus.FAILED,
                    ClipStatus.CANCELLED,
                ),
            )
            await self._insert_run(db, generation_id, owner_id)
            return True

    async def set_message(
        self, generation_id: int, *, guild_id: int | None, channel_id: int, message_id: int
    ) -> None:
        await self._update(
            "UPDATE generations SET guild_id = ?, channel_id = ?, message_id = ?, updated_at = ?"
            " WHERE id = ?",
            (guild_id, channel_id, message_id, time.time(), generation_id),
        )

    async def set_thread(self, generation_id: int, thread_id: int) -> None:
        await self._update(
            "UPDATE generations SET thread_id = ?, updated_at = ? WHERE id = ?",
            (thread_id, time.time(), generation_id),
        )

    async def set_shot_list(
        self,
        generation_id: int,
        *,
        title: str,
        shot_list: str,
        scenes: Sequence[tuple[str, int]],
    ) -> list[Clip]:
        """Store the shot list and one pending clip per scene, once (a resume keeps them)."""
        now = time.time()
        async with self._transaction() as db:
            await db.execute(
                "UPDATE generations SET title = ?, shot_list = ?, updated_at = ? WHERE id = ?",
                (title, shot_list, now, generation_id),
            )
            await db.executemany(
                "INSERT OR IGNORE INTO clips (generation_id, idx, prompt, duration, status,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (generation_id, index, prompt, duration, ClipStatus.PENDING, now)
                    for index, (prompt, duration) in enumerate(scenes)
                ],
            )
        return await self.clips(generation_id)

    async def set_video(self, generation_id: int, path: str, predict_seconds: float) -> None:
        await self._update(
            "UPDATE generations SET video_path = ?, predict_seconds = ?, updated_at = ?"
            " WHERE id = ?",
            (path, predict_seconds, time.time(), generation_id),
        )

    async def record_delivery(self, generation_id: int, ref: str) -> bool:
        """Record the delivery; False when it had been recorded already."""
        return await self._update(
            "UPDATE generations SET delivered_at = ?, delivery_ref = ?, updated_at = ?"
            " WHERE id = ? AND delivered_at IS NULL",
            (time.time(), ref, time.time(), generation_id),
        )

    async def unfinished(self, source: str) -> list[Generation]:
        rows = await self._all(
            f"SELECT * FROM generations WHERE source = ? AND {_NOT_FINAL} ORDER BY id",
            (source, *_FINAL),
        )
        return [_generation(r) for r in rows]

    async def latest_unfinished(self, owner_id: int) -> Generation | None:
        row = await self._one(
            f"SELECT * FROM generations WHERE owner_id = ? AND {_NOT_FINAL}"
            " ORDER BY id DESC LIMIT 1",
            (owner_id, *_FINAL),
        )
        return _generation(row) if row else None

    # history -----------------------------------------------------------------------------

    async def history(
        self, owner_id: int | None, *, limit: int = 10, offset: int = 0
    ) -> list[HistoryEntry]:
        """Generations newest first (one member's, or everyone's when `owner_id` is None)."""
        where, params = ("WHERE g.owner_id = ?", [owner_id]) if owner_id is not None else ("", [])
        rows = await self._all(
            "SELECT g.id, g.status, g.prompt, g.title, g.created_at, g.guild_id, g.channel_id,"
            " g.message_id, g.error,"
            " (SELECT COUNT(*) FROM clips c WHERE c.generation_id = g.id"
            "   AND c.status = 'succeeded') AS clips_done,"
            " (SELECT COUNT(*) FROM clips c WHERE c.generation_id = g.id) AS clips_total"
            f" FROM generations g {where} ORDER BY g.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [HistoryEntry(**{**dict(r), "status": GenerationStatus(r["status"])}) for r in rows]

    async def count_history(self, owner_id: int) -> int:
        row = await self._one("SELECT COUNT(*) FROM generations WHERE owner_id = ?", (owner_id,))
        return int(row[0]) if row else 0

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

    # posts -------------------------------------------------------------------------------

    async def record_post(self, generation_id: int, key: str, ref: str) -> bool:
        """Remember that `key` (e.g. "clip:2") was posted as `ref`; False if it already was."""
        return await self._update(
            "INSERT OR IGNORE INTO posts (generation_id, key, ref, created_at) VALUES (?, ?, ?, ?)",
            (generation_id, key, ref, time.time()),
        )

    async def mark_settled(self, generation_id: int) -> None:
        """The member sees the generation's final state (reply edited, thread complete): noted
        with its `finished_at`, so a Retry that ends again is settled anew."""
        async with self._write:
            await self._db.execute(
                "INSERT INTO posts (generation_id, key, ref, created_at)"
                " SELECT id, 'settled', finished_at, ? FROM generations"
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
            "   AND CAST(p.ref AS REAL) >= g.finished_at - 0.001)"
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

    # narration (issue 12) -------------------------------------------------------------------

    async def narration(self, generation_id: int) -> Narration | None:
        """The generation's narration request and its outcome; None when not narrated."""
        row = await self._one(
            "SELECT generation_id, voice, status, reason FROM narrations WHERE generation_id = ?",
            (generation_id,),
        )
        if row is None:
            return None
        return Narration(int(row[0]), str(row[1]), NarrationStatus(row[2]), row[3])

    async def set_narration_status(
        self, generation_id: int, status: NarrationStatus, reason: str | None = None
    ) -> None:
        await self._update(
            "UPDATE narrations SET status = ?, reason = ?, updated_at = ? WHERE generation_id = ?",
            (status, reason, time.time(), generation_id),
        )

    async def narration_lines(self, generation_id: int) -> list[NarrationLine]:
        """The lines spoken so far, in scene order."""
        rows = await self._all(
            "SELECT generation_id, idx, text, audio_path, seconds FROM narration_lines"
            " WHERE generation_id = ? ORDER BY idx",
            (generation_id,),
        )
        return [NarrationLine(int(r[0]), int(r[1]), r[2], r[3], float(r[4])) for r in rows]

    async def line_spoken(
        self, generation_id: int, index: int, text: str, audio_path: str, seconds: float
    ) -> None:
        """Record a spoken line (its audio file is complete on disk)."""
        await self._update(
            "INSERT INTO narration_lines (generation_id, idx, text, audio_path, seconds,"
            " spoken_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (generation_id, idx) DO UPDATE"
            " SET text = excluded.text, audio_path = excluded.audio_path,"
            " seconds = excluded.seconds, spoken_at = excluded.spoken_at",
            (generation_id, index, text, audio_path, seconds, time.time()),
        )

    async def narration_statuses(self, generation_ids: Sequence[int]) -> dict[int, Narration]:
        """The narration of each of these generations that has one (for /history)."""
        if not generation_ids:
            return {}
        marks = ", ".join("?" * len(generation_ids))
        rows = await self._all(
            "SELECT generation_id, voice, status, reason FROM narrations"
            f" WHERE generation_id IN ({marks})",
            tuple(generation_ids),
        )
        return {
            int(r[0]): Narration(int(r[0]), str(r[1]), NarrationStatus(r[2]), r[3]) for r in rows
        }

    # clips made again, predictions to cancel again (the Replicate side) --------------------

    async def clip_remade(self, clip_id: int, reason: str, lost_seconds: float) -> None:
        """The clip's prediction succeeded but its output is gone (Replicate removed it): back
        to pending without spending a failure attempt (the next create counts one again), and
        the lost prediction's billed seconds kept in `predict_seconds`, which on a clip not yet
        succeeded holds what was spent on it so far."""
        await self._update(
            "UPDATE clips SET status = ?, error = ?, prediction_id = NULL,"
            " attempts = MAX(attempts - 1, 0), predict_seconds = predict_seconds + ?,"
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
