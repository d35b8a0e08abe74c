"""Recast rows (issue 24): a character's portrait made again, and the scenes showing it, as the
next version."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

from storage.models import (
    ClipStatus,
    GenerationStatus,
    MemberStatus,
    Usage,
    Version,
    VersionStatus,
)
from storage.rows import _USAGE
from storage.tables.version_rows import _ENDED, _REROLLING, RerollRefused, VersionRows


class RecastRows(VersionRows):
    """Recast: one character's portrait and scenes again, the next version."""

    # Recast (issue 24) -------------------------------------------------------------------

    async def begin_recast(
        self,
        generation_id: int,
        member: int,
        scenes: Sequence[int],
        *,
        note: str | None,
        seeds: Sequence[int],
        admit: Callable[[Usage], None] | None = None,
        since: float = 0.0,
        reserve: float = 0.0,
        started_by: int | None = None,
        lease: tuple[str, float] | None = None,
    ) -> Version:
        """Admit a Recast of cast member `member` as a new run, the next version: the
        generation `rerolling` by one guarded UPDATE (of two presses, one wins), the portrait
        pending again (its next take, with `note`), and every scene of `scenes` (those showing
        the character) pending with a new seed of `seeds`; what they replace kept on the version
        (`end_recast` puts it back). Raises `RerollRefused`."""
        now = time.time()
        async with self._transaction() as tx:
            generation = await tx.one(
                "SELECT owner_id, video_path, delivered_at, delivery_ref, created_at,"
                " finished_at FROM generations WHERE id = ?",
                (generation_id,),
            )
            if generation is None or not scenes:
                raise RerollRefused("only a finished film with that character can be recast")
            payer = int(generation["owner_id"]) if started_by is None else started_by
            await tx.lock(payer)
            moved = await tx.execute(
                "UPDATE generations SET status = ?, error = NULL, updated_at = ?"
                " WHERE id = ? AND status = ?",
                (_REROLLING, now, generation_id, GenerationStatus.DONE),
            )
            if moved == 0:
                raise RerollRefused("only a finished film can be recast")
            cast = await tx.one(
                "SELECT status, source, note, prediction_id, image_path, reason, take"
                " FROM cast_members WHERE generation_id = ? AND idx = ?",
                (generation_id, member),
            )
            if cast is None:
                raise RerollRefused("the film has no such character")
            marks = ", ".join("?" * len(scenes))
            takes = await tx.all(
                "SELECT idx, prompt, prediction_id, output_path, predict_seconds, seed, version,"
                f" status FROM clips WHERE generation_id = ? AND idx IN ({marks}) ORDER BY idx",
                (generation_id, *scenes),
            )
            if len(takes) != len(scenes) or any(t["status"] != ClipStatus.SUCCEEDED for t in takes):
                raise RerollRefused("a scene showing the character has no finished clip")
            if admit is not None:
                usage = await tx.one(_USAGE, (payer, since, payer, since, payer))
                assert usage is not None
                admit(Usage(int(usage[0]), float(usage[1])))
            number = await self._first_version(tx, generation_id, generation, now)
            kept = {
                "portrait": {k: cast[k] for k in ("status", "source", "note", "prediction_id",
                                                   "image_path", "reason", "take")},
                "takes": [
                    {k: t[k] for k in ("idx", "prompt", "prediction_id", "output_path",
                                       "predict_seconds", "seed", "version")}
                    for t in takes
                ],
            }  # fmt: skip
            version_id = await tx.insert(
                "INSERT INTO versions (generation_id, number, scene, note, status, recast,"
                " previous_takes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    generation_id,
                    number,
                    min(scenes),
                    note,
                    VersionStatus.QUEUED,
                    member,
                    json.dumps(kept),
                    now,
                    now,
                ),
            )
            await tx.execute(
                "UPDATE cast_members SET status = ?, source = 'model', note = ?,"
                " prediction_id = NULL, reason = NULL, take = take + 1, updated_at = ?"
                " WHERE generation_id = ? AND idx = ?",
                (MemberStatus.PENDING, note, now, generation_id, member),
            )
            for scene, seed in zip(scenes, seeds, strict=True):
                await tx.execute(
                    "UPDATE clips SET status = ?, attempts = 0, prediction_id = NULL,"
                    " output_path = NULL, predict_seconds = 0, error = NULL,"
                    " create_started_at = NULL, reference_urls = NULL, version = ?, seed = ?,"
                    " updated_at = ? WHERE generation_id = ? AND idx = ?",
                    (ClipStatus.PENDING, number, seed, now, generation_id, scene),
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

    async def end_recast(self, version: Version, status: VersionStatus, error: str | None) -> bool:
        """The Recast failed or was cancelled: the version ends with `error`, the portrait and
        every scene's earlier take put back, the generation done again with its earlier film,
        the run not counted when it spent nothing. False when it had ended already."""
        now = time.time()
        async with self._transaction() as tx:
            changed = await tx.execute(
                "UPDATE versions SET status = ?, error = ?, finished_at = ?, updated_at = ?"
                " WHERE id = ? AND status NOT IN (?, ?, ?)",
                (status, error, now, now, version.id, *_ENDED),
            )
            if changed == 0:
                return False
            row = await tx.one("SELECT previous_takes FROM versions WHERE id = ?", (version.id,))
            kept = json.loads(row[0]) if row and row[0] else {"takes": [], "portrait": None}
            if (p := kept.get("portrait")) is not None:
                await tx.execute(
                    "UPDATE cast_members SET status = ?, source = ?, note = ?, prediction_id = ?,"
                    " image_path = ?, reason = ?, take = ?, updated_at = ?"
                    " WHERE generation_id = ? AND idx = ?",
                    (
                        p["status"], p["source"], p["note"], p["prediction_id"], p["image_path"],
                        p["reason"], p["take"], now, version.generation_id, version.recast,
                    ),
                )  # fmt: skip
            for t in kept["takes"]:
                await tx.execute(
                    "UPDATE clips SET status = ?, prompt = ?, prediction_id = ?, output_path = ?,"
                    " predict_seconds = ?, seed = ?, version = ?, error = NULL,"
                    " reference_urls = NULL, updated_at = ? WHERE generation_id = ? AND idx = ?",
                    (
                        ClipStatus.SUCCEEDED, t["prompt"], t["prediction_id"], t["output_path"],
                        t["predict_seconds"] or 0, t["seed"], t["version"] or 1, now,
                        version.generation_id, t["idx"],
                    ),
                )  # fmt: skip
            await self._film_kept(tx, version, now)
            return True
