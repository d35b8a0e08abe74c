"""Version rows: a generation's film versions, and the reroll that makes the next one.

A reroll moves a done generation to `rerolling` and puts the scene's clip row back to pending
with a new seed (the clips row of a scene holds its latest take); the take it replaces is kept
on the version row, and put back when the reroll fails or is cancelled. It is a run of its own
(the daily limit counts it; its one create is its spend, recorded by the `clips_create_spends`
trigger like every create).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from storage.models import (
    ClipStatus,
    GenerationStatus,
    Usage,
    Version,
    VersionStatus,
)
from storage.rows import _USAGE
from storage.tables.lease_rows import LeaseRows

_ENDED = (VersionStatus.DONE, VersionStatus.FAILED, VersionStatus.CANCELLED)
_REROLLING = GenerationStatus.REROLLING
_COLUMNS = (
    "id, generation_id, number, scene, note, prompt, seed, status, error, prediction_id,"
    " clip_path, film_path, delivered_at, delivery_ref, created_at, finished_at, added, recast"
)


def _version(row: Any) -> Version:
    data = {key: row[key] for key in Version.__slots__}  # type: ignore[attr-defined]
    data["status"] = VersionStatus(data["status"])
    return Version(**data)


class RerollRefused(Exception):
    """The reroll cannot begin; `reason` says why (the generation or its scene changed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class VersionRows(LeaseRows):
    """The versions of each generation's film and the state of its reroll."""

    async def begin_reroll(
        self,
        generation_id: int,
        scene: int,
        *,
        note: str | None,
        seed: int,
        admit: Callable[[Usage], None] | None = None,
        since: float = 0.0,
        reserve: float = 0.0,
        started_by: int | None = None,
        lease: tuple[str, float] | None = None,
    ) -> Version:
        """Admit a reroll of `scene` as a new run and store it as the next version: the
        generation `rerolling`, the scene's clip pending with `seed`. The move done ->
        rerolling is one guarded UPDATE whose row count decides, so of two presses at once
        exactly one makes a version. Raises `RerollRefused` when the generation is not done or
        the scene has no finished take; `admit` raises to refuse (nothing is stored then). The
        run is charged to `started_by` (default the owner: a moderator's Reroll to the
        moderator), holding `reserve` seconds; `lease` (owner, expiry) is taken in the same
        transaction."""
        now = time.time()
        async with self._transaction() as tx:
            generation = await tx.one(
                "SELECT owner_id, video_path, delivered_at, delivery_ref, created_at,"
                " finished_at FROM generations WHERE id = ?",
                (generation_id,),
            )
            if generation is None:
                raise RerollRefused("only a finished film can have a scene rerolled")
            payer = int(generation["owner_id"]) if started_by is None else started_by
            await tx.lock(payer)  # as every admission: one member's admissions in turn
            moved = await tx.execute(
                "UPDATE generations SET status = ?, error = NULL, updated_at = ?"
                " WHERE id = ? AND status = ?",
                (_REROLLING, now, generation_id, GenerationStatus.DONE),
            )
            if moved == 0:
                raise RerollRefused("only a finished film can have a scene rerolled")
            removed = await tx.one(
                "SELECT 1 FROM media_removals m JOIN generations g ON g.id = m.generation_id"
                " WHERE g.id = ? AND m.removed_at >= COALESCE(g.finished_at, g.updated_at)",
                (generation_id,),
            )
            if removed is not None:  # the retention sweep took its files (MEDIA_RETENTION_DAYS)
                raise RerollRefused("its stored clips were removed (MEDIA_RETENTION_DAYS)")
            clip = await tx.one(
                "SELECT * FROM clips WHERE generation_id = ? AND idx = ?", (generation_id, scene)
            )
            if clip is None or clip["status"] != ClipStatus.SUCCEEDED:
                raise RerollRefused(f"scene {scene + 1} has no finished clip to reroll")
            if admit is not None:
                usage = await tx.one(_USAGE, (payer, since, payer, since, payer))
                assert usage is not None
                admit(Usage(int(usage[0]), float(usage[1])))
            numbers = await tx.one(
                "SELECT COALESCE(MAX(number), 0) FROM versions WHERE generation_id = ?",
                (generation_id,),
            )
            last = int(numbers[0]) if numbers else 0
            if last == 0:  # the first film becomes version 1
                await tx.execute(
                    "INSERT INTO versions (generation_id, number, status, film_path,"
                    " delivered_at, delivery_ref, created_at, updated_at, finished_at)"
                    " VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        generation_id,
                        VersionStatus.DONE,
                        generation["video_path"],
                        generation["delivered_at"],
                        generation["delivery_ref"],
                        generation["created_at"],
                        now,
                        generation["finished_at"],
                    ),
                )
                last = 1
            number = last + 1
            version_id = await tx.insert(
                "INSERT INTO versions (generation_id, number, scene, note, prompt, seed, status,"
                " previous_prompt, previous_prediction_id, previous_clip_path,"
                " previous_predict_seconds, previous_seed, previous_version, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    generation_id,
                    number,
                    scene,
                    note,
                    None if note else clip["prompt"],  # a note's prompt is written later
                    seed,
                    VersionStatus.QUEUED,
                    clip["prompt"],
                    clip["prediction_id"],
                    clip["output_path"],
                    clip["predict_seconds"],
                    clip["seed"],
                    clip["version"],
                    now,
                    now,
                ),
            )
            await tx.execute(
                "UPDATE clips SET status = ?, attempts = 0, prediction_id = NULL,"
                " output_path = NULL, predict_seconds = 0, error = NULL,"
                " create_started_at = NULL, version = ?, seed = ?, updated_at = ? WHERE id = ?",
                (ClipStatus.PENDING, number, seed, now, clip["id"]),
            )
            await tx.execute(
                "INSERT INTO runs (generation_id, owner_id, admitted_at, reserved)"
                " VALUES (?, ?, ?, ?)",
                (generation_id, payer, now, reserve),
            )
            if lease is not None:
                await self._take_lease(tx, generation_id, *lease)
        version = await self.version(version_id)
        assert version is not None
        return version

    async def version(self, version_id: int) -> Version | None:
        row = await self._one(f"SELECT {_COLUMNS} FROM versions WHERE id = ?", (version_id,))
        return _version(row) if row else None

    async def versions(self, generation_id: int) -> list[Version]:
        """The generation's versions, oldest first (none until its first reroll)."""
        rows = await self._all(
            f"SELECT {_COLUMNS} FROM versions WHERE generation_id = ? ORDER BY number",
            (generation_id,),
        )
        return [_version(r) for r in rows]

    async def versions_of(self, generation_ids: Sequence[int]) -> dict[int, list[Version]]:
        """The versions of each of `generation_ids` that has any, oldest first."""
        if not generation_ids:
            return {}
        marks = ", ".join("?" * len(generation_ids))
        rows = await self._all(
            f"SELECT {_COLUMNS} FROM versions WHERE generation_id IN ({marks})"
            " ORDER BY generation_id, number",
            tuple(generation_ids),
        )
        found: dict[int, list[Version]] = {}
        for row in rows:
            version = _version(row)
            found.setdefault(version.generation_id, []).append(version)
        return found

    async def reroll_in_progress(self, generation_id: int) -> Version | None:
        """The version a reroll of the generation is making, if one is."""
        row = await self._one(
            f"SELECT {_COLUMNS} FROM versions WHERE generation_id = ? AND status NOT IN"
            " (?, ?, ?) ORDER BY number DESC LIMIT 1",
            (generation_id, *_ENDED),
        )
        return _version(row) if row else None

    async def set_version_prompt(self, version: Version, prompt: str) -> None:
        """The scene's prompt for this take (rewritten from the note), on the clip row too."""
        now = time.time()
        async with self._transaction() as tx:
            await tx.execute(
                "UPDATE versions SET prompt = ?, updated_at = ? WHERE id = ?",
                (prompt, now, version.id),
            )
            await tx.execute(
                "UPDATE clips SET prompt = ?, updated_at = ? WHERE generation_id = ? AND idx = ?",
                (prompt, now, version.generation_id, version.scene),
            )

    async def set_version_status(
        self,
        version_id: int,
        status: VersionStatus,
        *,
        from_: Sequence[VersionStatus] | None = None,
    ) -> bool:
        """Move a version to `status` from one of `from_` (None: from any unended status): one
        guarded UPDATE; False when refused (it had ended or moved meanwhile). Only
        `bot.pipeline.run.transitions` calls this in the bot."""
        froms = [s for s in VersionStatus if s not in _ENDED] if from_ is None else list(from_)
        return await self._update(
            "UPDATE versions SET status = ?, updated_at = ? WHERE id = ? AND status IN"
            f" ({', '.join('?' * len(froms))})",
            (status, time.time(), version_id, *froms),
        )

    async def set_version_film(self, version_id: int, path: str) -> None:
        await self._update(
            "UPDATE versions SET film_path = ?, updated_at = ? WHERE id = ?",
            (path, time.time(), version_id),
        )

    async def record_version_delivery(self, version_id: int, ref: str) -> bool:
        """Record the version's delivery; False when it had been recorded already."""
        now = time.time()
        return await self._update(
            "UPDATE versions SET delivered_at = ?, delivery_ref = ?, updated_at = ?"
            " WHERE id = ? AND delivered_at IS NULL",
            (now, ref, now, version_id),
        )

    async def finish_reroll(self, version: Version) -> bool:
        """The version was delivered: it is done, the generation done again with it as its
        film (its clip's prediction noted on the version). False when it had ended."""
        now = time.time()
        async with self._transaction() as tx:
            changed = await tx.execute(
                "UPDATE versions SET status = ?, finished_at = ?, updated_at = ?,"
                " prediction_id = (SELECT prediction_id FROM clips c WHERE c.generation_id = ?"
                "   AND c.idx = ?),"
                " clip_path = (SELECT output_path FROM clips c WHERE c.generation_id = ?"
                "   AND c.idx = ?)"
                " WHERE id = ? AND status NOT IN (?, ?, ?)",
                (
                    VersionStatus.DONE,
                    now,
                    now,
                    version.generation_id,
                    version.scene,
                    version.generation_id,
                    version.scene,
                    version.id,
                    *_ENDED,
                ),
            )
            if changed == 0:
                return False
            await tx.execute(
                "UPDATE runs SET settled = 1 WHERE id = (SELECT MAX(id) FROM runs"
                " WHERE generation_id = ?)",
                (version.generation_id,),
            )
            await tx.execute(
                "UPDATE generations SET status = ?, video_path = v.film_path,"
                " delivery_ref = v.delivery_ref, finished_at = ?, updated_at = ?,"
                " predict_seconds = (SELECT COALESCE(SUM(predict_seconds), 0) FROM clips c"
                "   WHERE c.generation_id = generations.id)"
                " FROM (SELECT film_path, delivery_ref FROM versions WHERE id = ?) AS v"
                " WHERE generations.id = ? AND generations.status = ?",
                (
                    GenerationStatus.DONE,
                    now,
                    now,
                    version.id,
                    version.generation_id,
                    GenerationStatus.REROLLING,
                ),
            )
            return True

    async def end_reroll(self, version: Version, status: VersionStatus, error: str | None) -> bool:
        """The reroll failed or was cancelled: the version ends with `error`, the scene's
        earlier take is put back, the generation is done again with its earlier film, and the
        run is not counted when it spent nothing. False when it had ended already."""
        now = time.time()
        async with self._transaction() as tx:
            changed = await tx.execute(
                "UPDATE versions SET status = ?, error = ?, finished_at = ?, updated_at = ?,"
                " prediction_id = (SELECT prediction_id FROM clips c WHERE c.generation_id = ?"
                "   AND c.idx = ?)"
                " WHERE id = ? AND status NOT IN (?, ?, ?)",
                (
                    status,
                    error,
                    now,
                    now,
                    version.generation_id,
                    version.scene,
                    version.id,
                    *_ENDED,
                ),
            )
            if changed == 0:
                return False
            await tx.execute(
                "UPDATE clips SET status = ?, prompt = v.previous_prompt,"
                " prediction_id = v.previous_prediction_id, output_path = v.previous_clip_path,"
                " predict_seconds = COALESCE(v.previous_predict_seconds, 0),"
                " seed = v.previous_seed, version = COALESCE(v.previous_version, 1),"
                " error = NULL, updated_at = ?"
                " FROM (SELECT * FROM versions WHERE id = ?) AS v"
                " WHERE clips.generation_id = v.generation_id AND clips.idx = v.scene",
                (ClipStatus.SUCCEEDED, now, version.id),
            )
            await self._film_kept(tx, version, now)
            return True

    @staticmethod
    async def _film_kept(tx: Any, version: Version, now: float, *, shot_list: bool = False) -> None:
        """A version that ended unmade (failed, cancelled): its generation done again with the
        film it had (`shot_list`: the shot list put back too, after an Extend), and the run
        that made the version refunded when it spent nothing, and settled."""
        back = (
            ", shot_list = COALESCE((SELECT previous_shot_list FROM versions WHERE id = ?),"
            " shot_list)"
            if shot_list
            else ""
        )
        await tx.execute(
            f"UPDATE generations SET status = ?, finished_at = ?, updated_at = ?{back}"
            " WHERE id = ? AND status = ?",
            (
                GenerationStatus.DONE,
                now,
                now,
                *((version.id,) if shot_list else ()),
                version.generation_id,
                _REROLLING,
            ),
        )
        await tx.execute(
            "UPDATE runs SET refunded = 1 WHERE id = (SELECT MAX(id) FROM runs"
            " WHERE generation_id = ?) AND spent_at IS NULL",
            (version.generation_id,),
        )
        await tx.execute(
            "UPDATE runs SET settled = 1 WHERE id = (SELECT MAX(id) FROM runs"
            " WHERE generation_id = ?)",
            (version.generation_id,),
        )

    @staticmethod
    async def _first_version(tx: Any, generation_id: int, generation: Any, now: float) -> int:
        """The next version's number; the first film written as version 1 when it is not yet."""
        numbers = await tx.one(
            "SELECT COALESCE(MAX(number), 0) FROM versions WHERE generation_id = ?",
            (generation_id,),
        )
        last = int(numbers[0]) if numbers else 0
        if last == 0:
            await tx.execute(
                "INSERT INTO versions (generation_id, number, status, film_path,"
                " delivered_at, delivery_ref, created_at, updated_at, finished_at)"
                " VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
                (
                    generation_id,
                    VersionStatus.DONE,
                    generation["video_path"],
                    generation["delivered_at"],
                    generation["delivery_ref"],
                    generation["created_at"],
                    now,
                    generation["finished_at"],
                ),
            )
            last = 1
        return last + 1
