"""Typed repository methods: the only place with SQL. Every state change is one transaction.
The repository is assembled from its parts: generations and history here; clips, posts and
narration beside it (`clip_rows.py`, `post_rows.py`, `narration_rows.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence

from storage.backend import Tx
from storage.models import (
    FINAL_STATUSES,
    CastStatus,
    Clip,
    ClipStatus,
    Generation,
    GenerationStatus,
    HistoryEntry,
    NarrationStatus,
    NewGeneration,
    ScoreStatus,
    Usage,
)
from storage.rows import _FINAL, _NOT_FINAL, _USAGE, _generation
from storage.tables.cast_rows import CastRows
from storage.tables.check_rows import CheckRows
from storage.tables.clip_rows import ClipRows
from storage.tables.continuity_rows import ContinuityRows
from storage.tables.extend_rows import ExtendRows
from storage.tables.gallery_rows import GalleryRows
from storage.tables.narration_rows import NarrationRows
from storage.tables.post_rows import PostRows
from storage.tables.recast_rows import RecastRows
from storage.tables.score_rows import ScoreRows
from storage.tables.start_image_rows import StartImageRows
from storage.tables.usage_rows import UsageRows

_LATEST_RUN = "(SELECT MAX(id) FROM runs WHERE generation_id = ?)"
_NOT_FINAL_STATUSES = tuple(s for s in GenerationStatus if s not in FINAL_STATUSES)


def _froms(from_: Collection[GenerationStatus] | None) -> tuple[str, ...]:
    return tuple(str(s) for s in (_NOT_FINAL_STATUSES if from_ is None else from_))


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


Admit = Callable[[Usage], None]
"""Called with the member's usage inside the transaction that admits a run; it raises to
refuse (the transaction then stores nothing)."""


class Repository(
    CastRows,
    ScoreRows,
    ClipRows,
    PostRows,
    NarrationRows,
    RecastRows,
    ExtendRows,
    StartImageRows,
    ContinuityRows,
    GalleryRows,
    UsageRows,
    CheckRows,
):
    """Generations, clips, posts, narration, film versions, start images, continuity and
    leases over one open database (SQLite or PostgreSQL)."""

    # generations -------------------------------------------------------------------------

    async def create_generation(
        self,
        new: NewGeneration,
        *,
        admit: Admit | None = None,
        since: float = 0.0,
        reserve: float = 0.0,
        lease: tuple[str, float] | None = None,
    ) -> Generation:
        """Store a new generation and its first run, holding `reserve` seconds (its worst
        case) against the owner until it ends. With `admit`, the owner's usage since `since`
        (the reservations of their pending runs included) is read and checked in the same
        transaction (a burst cannot slip past). `lease` (owner, expiry): the generation's
        lease taken in the same transaction, so it exists only if the run was admitted."""
        async with self._transaction() as tx:
            if admit is not None:
                admit(await self._usage(tx, new.owner_id, since))
            generation_id = await self._insert_generation(tx, new)
            await self._insert_run(tx, generation_id, new.owner_id, reserve)
            if lease is not None:
                await self._take_lease(tx, generation_id, *lease)
        generation = await self.generation(generation_id)
        assert generation is not None
        return generation

    @staticmethod
    async def _usage(tx: Tx, owner_id: int, since: float) -> Usage:
        """The usage, read under the member's lock: concurrent admissions of one member (from
        any process) are checked one after the other."""
        await tx.lock(owner_id)
        row = await tx.one(_USAGE, (owner_id, since, owner_id, since, owner_id))
        return Usage(int(row[0]), float(row[1])) if row else Usage(0, 0.0)

    async def started_by(self, generation_id: int) -> int | None:
        """Who started the generation's latest run (charged for it): its owner, or the
        moderator who pressed Retry or Reroll."""
        row = await self._one(
            f"SELECT owner_id FROM runs WHERE id = {_LATEST_RUN}", (generation_id,)
        )
        return None if row is None else int(row[0])

    async def usage_since(self, owner_id: int, since: float) -> Usage:
        """The member's runs and seconds of video since `since` that count towards a limit."""
        row = await self._one(_USAGE, (owner_id, since, owner_id, since, owner_id))
        return Usage(int(row[0]), float(row[1])) if row else Usage(0, 0.0)

    @staticmethod
    async def _insert_run(tx: Tx, generation_id: int, owner_id: int, reserve: float = 0.0) -> None:
        """A run admitted now, charged to `owner_id` (who started it), holding `reserve`
        seconds of video against that member's limit until it ends."""
        await tx.execute(
            "INSERT INTO runs (generation_id, owner_id, admitted_at, reserved) VALUES (?, ?, ?, ?)",
            (generation_id, owner_id, time.time(), reserve),
        )

    @staticmethod
    async def _insert_generation(tx: Tx, new: NewGeneration) -> int:
        now = time.time()
        generation_id = await tx.insert(
            "INSERT INTO generations (owner_id, source, prompt, clips_requested, aspect_ratio,"
            " seed, guild_id, channel_id, status, created_at, updated_at, continuity, captions)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                new.continuity,
                new.captions,
            ),
        )
        if new.music:  # issue 22: the score's row, rendered once the shot list is written
            await tx.execute(
                "INSERT INTO scores (generation_id, status, updated_at) VALUES (?, ?, ?)",
                (generation_id, ScoreStatus.WANTED, now),
            )
        if new.cast:  # issue 24: the cast sheet, made once the shot list names characters
            await tx.execute(
                "INSERT INTO casts (generation_id, status, image_name, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (generation_id, CastStatus.WANTED, new.cast_name, now),
            )
        if new.narration and new.voice:
            await tx.execute(
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
        from_: Collection[GenerationStatus] | None = None,
        refund: bool = False,
    ) -> bool:
        """Move to `status` from one of `from_` (None: from any status not final): one guarded
        UPDATE whose row count says whether the move was made. False when it was refused (the
        generation had moved meanwhile: a lost race). A final state is never overwritten.
        Only `bot.pipeline.run.transitions` calls this in the bot (tests/test_architecture.py).
        Cancelled (or `refund`) before the run spent anything: the run is not counted; a
        final state settles the run's reservation to what it asked (`runs.settled`)."""
        now = time.time()
        final = status in FINAL_STATUSES
        finished = now if final else None
        froms = _froms(from_)
        if not froms:
            return False
        sql = (
            "UPDATE generations SET status = ?, error = COALESCE(?, error), updated_at = ?,"
            f" finished_at = COALESCE(?, finished_at) WHERE id = ? AND status IN ({_marks(froms)})"
        )
        params = (status, error, now, finished, generation_id, *froms)
        if not (final or refund):
            return await self._update(sql, params)
        async with self._transaction() as tx:
            if await tx.execute(sql, params) == 0:
                return False
            if refund or status is GenerationStatus.CANCELLED:
                await tx.execute(
                    f"UPDATE runs SET refunded = 1 WHERE id = {_LATEST_RUN} AND spent_at IS NULL",
                    (generation_id,),
                )
            await tx.execute(
                f"UPDATE runs SET settled = 1 WHERE id = {_LATEST_RUN}", (generation_id,)
            )
            return True

    async def reopen(
        self,
        generation_id: int,
        *,
        admit: Admit | None = None,
        since: float = 0.0,
        reserve: float = 0.0,
        started_by: int | None = None,
        lease: tuple[str, float] | None = None,
    ) -> bool:
        """Put a failed or cancelled generation back in the queue as a new run (Retry); False
        when it is not failed or cancelled. The move is one guarded UPDATE whose row count
        decides, so of two presses at once (any engine, any isolation) exactly one is admitted.
        With `admit`, as in `create_generation` (`reserve`: the run's worst-case seconds, held
        against `started_by`, default the owner, while it is pending). What the earlier runs
        spent stays spent. A clip put back keeps its last prediction id: one that succeeded
        (its download failed) is downloaded again, not paid for again."""
        async with self._transaction() as tx:
            row = await tx.one("SELECT owner_id FROM generations WHERE id = ?", (generation_id,))
            if row is None:
                return False
            payer = int(row[0]) if started_by is None else started_by
            await tx.lock(payer)
            now = time.time()
            moved = await tx.execute(
                "UPDATE generations SET status = ?, error = NULL, finished_at = NULL,"
                " updated_at = ? WHERE id = ? AND status IN (?, ?)",
                (
                    GenerationStatus.QUEUED,
                    now,
                    generation_id,
                    GenerationStatus.FAILED,
                    GenerationStatus.CANCELLED,
                ),
            )
            if moved == 0:
                return False
            if admit is not None:  # raising rolls the move back
                admit(await self._usage(tx, payer, since))
            await tx.execute(
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
            await self._insert_run(tx, generation_id, payer, reserve)
            if lease is not None:  # only once admitted: a refused Retry takes no lease
                await self._take_lease(tx, generation_id, *lease)
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
        also: float = 0.0,
    ) -> list[Clip]:
        """Store the shot list and one pending clip per scene, once (a resume keeps them).
        The run's reservation is lowered to the scenes' seconds, plus `also` (a score not made
        yet: what it is worth)."""
        now = time.time()
        async with self._transaction() as tx:
            await tx.execute(
                "UPDATE generations SET title = ?, shot_list = ?, updated_at = ? WHERE id = ?",
                (title, shot_list, now, generation_id),
            )
            await tx.executemany(
                "INSERT INTO clips (generation_id, idx, prompt, duration, status, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (generation_id, idx) DO NOTHING",
                [
                    (generation_id, index, prompt, duration, ClipStatus.PENDING, now)
                    for index, (prompt, duration) in enumerate(scenes)
                ],
            )
            # the run's reservation lowered to what its scenes ask (known now), never raised
            asked = float(sum(duration for _, duration in scenes)) + also
            await tx.execute(
                "UPDATE runs SET reserved = CASE WHEN reserved > ? THEN ? ELSE reserved END"
                f" WHERE id = {_LATEST_RUN} AND settled = 0",
                (asked, asked, generation_id),
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
        """Generations newest first (one member's, or everyone's when `owner_id` is None).
        The page's ids are found first, so the clip counts are made for that page only
        (PostgreSQL would count them for every row the OFFSET skips)."""
        where, params = ("WHERE owner_id = ?", [owner_id]) if owner_id is not None else ("", [])
        rows = await self._all(
            "SELECT g.id, g.status, g.prompt, g.title, g.created_at, g.guild_id, g.channel_id,"
            " g.message_id, g.error,"
            " (SELECT COUNT(*) FROM clips c WHERE c.generation_id = g.id"
            "   AND c.status = 'succeeded') AS clips_done,"
            " (SELECT COUNT(*) FROM clips c WHERE c.generation_id = g.id) AS clips_total"
            " FROM generations g WHERE g.id IN (SELECT id FROM generations"
            f" {where} ORDER BY id DESC LIMIT ? OFFSET ?) ORDER BY g.id DESC",
            (*params, limit, offset),
        )
        return [HistoryEntry(**{**dict(r), "status": GenerationStatus(r["status"])}) for r in rows]

    async def count_history(self, owner_id: int) -> int:
        row = await self._one("SELECT COUNT(*) FROM generations WHERE owner_id = ?", (owner_id,))
        return int(row[0]) if row else 0
