"""Extend rows (issue 24): N more scenes after a done film's last, as its next version."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from storage.models import (
    ClipStatus,
    GenerationStatus,
    Usage,
    Version,
    VersionStatus,
)
from storage.rows import _USAGE
from storage.tables.version_rows import _ENDED, _REROLLING, RerollRefused, VersionRows


class ExtendRows(VersionRows):
    """Extend: more scenes after the last, the next version."""

    # Extend (issue 24) -------------------------------------------------------------------

    async def begin_extend(
        self,
        generation_id: int,
        added: int,
        *,
        note: str | None,
        admit: Callable[[Usage], None] | None = None,
        since: float = 0.0,
        reserve: float = 0.0,
        started_by: int | None = None,
        lease: tuple[str, float] | None = None,
    ) -> Version:
        """Admit an Extend of a done film by `added` scenes as a new run, stored as the next
        version (its `scene` the first new one): the generation `rerolling` by one guarded
        UPDATE (of two presses, one wins), the shot list before it kept on the version. The new
        scenes' clips are stored once the analysis wrote them (`add_extension`). Raises
        `RerollRefused`; `admit` raises to refuse (nothing is stored then)."""
        now = time.time()
        async with self._transaction() as tx:
            generation = await tx.one(
                "SELECT owner_id, video_path, delivered_at, delivery_ref, created_at,"
                " finished_at, shot_list FROM generations WHERE id = ?",
                (generation_id,),
            )
            if generation is None:
                raise RerollRefused("only a finished film can be extended")
            payer = int(generation["owner_id"]) if started_by is None else started_by
            await tx.lock(payer)
            moved = await tx.execute(
                "UPDATE generations SET status = ?, error = NULL, updated_at = ?"
                " WHERE id = ? AND status = ?",
                (_REROLLING, now, generation_id, GenerationStatus.DONE),
            )
            if moved == 0:
                raise RerollRefused("only a finished film can be extended")
            removed = await tx.one(
                "SELECT 1 FROM media_removals m JOIN generations g ON g.id = m.generation_id"
                " WHERE g.id = ? AND m.removed_at >= COALESCE(g.finished_at, g.updated_at)",
                (generation_id,),
            )
            if removed is not None:
                raise RerollRefused("its stored clips were removed (MEDIA_RETENTION_DAYS)")
            count = await tx.one(
                "SELECT COUNT(*) FROM clips WHERE generation_id = ?", (generation_id,)
            )
            scenes = int(count[0]) if count else 0
            if admit is not None:
                usage = await tx.one(_USAGE, (payer, since, payer, since, payer))
                assert usage is not None
                admit(Usage(int(usage[0]), float(usage[1])))
            number = await self._first_version(tx, generation_id, generation, now)
            version_id = await tx.insert(
                "INSERT INTO versions (generation_id, number, scene, note, status, added,"
                " previous_shot_list, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    generation_id,
                    number,
                    scenes,
                    note,
                    VersionStatus.QUEUED,
                    added,
                    generation["shot_list"],
                    now,
                    now,
                ),
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

    async def add_extension(
        self,
        version: Version,
        shot_list: str,
        scenes: Sequence[tuple[str, int]],
        *,
        chained_first: bool = True,
    ) -> bool:
        """The extension's scenes as the analysis wrote them: the generation's shot list (the
        old scenes and the new) and a pending clip per new scene, from index `version.scene`
        (the first one starting from the last frame of the scene before when
        `chained_first`). Written once: False when they were (a resumed run)."""
        assert version.scene is not None
        now = time.time()
        async with self._transaction() as tx:
            there = await tx.one(
                "SELECT COUNT(*) FROM clips WHERE generation_id = ? AND idx >= ?",
                (version.generation_id, version.scene),
            )
            if there is not None and int(there[0]) > 0:
                return False
            await tx.execute(
                "UPDATE generations SET shot_list = ?, updated_at = ? WHERE id = ?",
                (shot_list, now, version.generation_id),
            )
            for offset, (prompt, duration) in enumerate(scenes):
                await tx.execute(
                    "INSERT INTO clips (generation_id, idx, prompt, duration, status, attempts,"
                    " predict_seconds, updated_at, version, chained)"
                    " VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?)",
                    (
                        version.generation_id,
                        version.scene + offset,
                        prompt,
                        duration,
                        ClipStatus.PENDING,
                        now,
                        version.number,
                        1 if offset == 0 and chained_first else 0,
                    ),
                )
            await tx.execute(
                "UPDATE versions SET prompt = ?, updated_at = ? WHERE id = ?",
                (scenes[0][0] if scenes else None, now, version.id),
            )
            return True

    async def end_extend(self, version: Version, status: VersionStatus, error: str | None) -> bool:
        """The Extend failed or was cancelled: the version ends with `error`, its new clips
        are removed (not one whose cancel Replicate has yet to confirm: `pending_cancels`
        keeps it), the shot list before it put back, the generation done again with its
        earlier film, and the run not counted when it spent nothing. False when it had ended."""
        now = time.time()
        async with self._transaction() as tx:
            changed = await tx.execute(
                "UPDATE versions SET status = ?, error = ?, finished_at = ?, updated_at = ?"
                " WHERE id = ? AND status NOT IN (?, ?, ?)",
                (status, error, now, now, version.id, *_ENDED),
            )
            if changed == 0:
                return False
            await tx.execute(
                "DELETE FROM clips WHERE generation_id = ? AND idx >= ?"
                " AND id NOT IN (SELECT clip_id FROM pending_cancels)",
                (version.generation_id, version.scene),
            )
            await self._film_kept(tx, version, now, shot_list=True)
            return True
