"""Cast rows (issue 24): the cast sheet of a generation, one portrait per named character, and
the uploads of the portraits each clip's prediction names (its reference images)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from storage.models import Cast, CastMember, CastStatus, MemberStatus, Upload
from storage.rows import Rows

_MEMBER = (
    "generation_id, idx, name, look, status, source, note, prediction_id, image_path, reason, take"
)
_LATEST_RUN = "(SELECT MAX(id) FROM runs WHERE generation_id = ?)"


def _member(row: Any) -> CastMember:
    return CastMember(
        int(row["generation_id"]),
        int(row["idx"]),
        row["name"],
        row["look"],
        MemberStatus(row["status"]),
        row["source"],
        row["note"],
        row["prediction_id"],
        row["image_path"],
        row["reason"],
        int(row["take"]),
    )


class CastRows(Rows):
    """The cast sheet of a generation (a `casts` row only when it asked for one)."""

    async def cast(self, generation_id: int) -> Cast | None:
        row = await self._one(
            "SELECT generation_id, status, image_path, image_name, reason FROM casts"
            " WHERE generation_id = ?",
            (generation_id,),
        )
        if row is None:
            return None
        return Cast(int(row[0]), CastStatus(row[1]), row[2], row[3], row[4])

    async def set_cast_image(self, generation_id: int, path: str) -> None:
        """The member's own picture of a character (checked before), kept at `path`."""
        await self._update(
            "UPDATE casts SET image_path = ?, updated_at = ? WHERE generation_id = ?",
            (path, time.time(), generation_id),
        )

    async def set_cast_status(
        self, generation_id: int, status: CastStatus, reason: str | None = None
    ) -> None:
        await self._update(
            "UPDATE casts SET status = ?, reason = COALESCE(?, reason), updated_at = ?"
            " WHERE generation_id = ?",
            (status, reason, time.time(), generation_id),
        )

    async def plan_cast(
        self, generation_id: int, members: Sequence[tuple[str, str, str | None]]
    ) -> list[CastMember]:
        """The cast's rows, written once: (name, look, the member's own picture or None) in
        shot-list order; a member's picture is ready at once, the others pending. A second
        call (a resumed run) leaves the rows as they are. Returns them."""
        now = time.time()
        async with self._transaction() as tx:
            found = await tx.one(
                "SELECT COUNT(*) FROM cast_members WHERE generation_id = ?", (generation_id,)
            )
            if found is not None and int(found[0]) == 0:
                for index, (name, look, picture) in enumerate(members):
                    status = MemberStatus.READY if picture else MemberStatus.PENDING
                    await tx.execute(
                        "INSERT INTO cast_members (generation_id, idx, name, look, status,"
                        " source, image_path, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            generation_id,
                            index,
                            name,
                            look,
                            status,
                            "member" if picture else "model",
                            picture,
                            now,
                        ),
                    )
        return await self.cast_members(generation_id)

    async def cast_members(self, generation_id: int) -> list[CastMember]:
        rows = await self._all(
            f"SELECT {_MEMBER} FROM cast_members WHERE generation_id = ? ORDER BY idx",
            (generation_id,),
        )
        return [_member(r) for r in rows]

    async def portrait_started(
        self, generation_id: int, index: int, prediction_id: str, *, seconds: float
    ) -> bool:
        """The portrait's prediction exists: its id stored (one guarded UPDATE: only a
        pending portrait without one), and its cost charged like a create, `seconds` of the
        member's allowance on the generation's latest run. False when refused (another
        process stored one first, or it ended)."""
        now = time.time()
        async with self._transaction() as tx:
            moved = await tx.execute(
                "UPDATE cast_members SET prediction_id = ?, updated_at = ?"
                " WHERE generation_id = ? AND idx = ? AND status = ? AND prediction_id IS NULL",
                (prediction_id, now, generation_id, index, MemberStatus.PENDING),
            )
            if moved == 0:
                return False
            if seconds > 0:
                await tx.execute(
                    "INSERT INTO spend (generation_id, owner_id, seconds, created_at)"
                    f" SELECT ?, owner_id, ?, ? FROM runs WHERE id = {_LATEST_RUN}",
                    (generation_id, seconds, now, generation_id),
                )
                await tx.execute(
                    "UPDATE runs SET spent_at = COALESCE(spent_at, ?), spent = spent + ?"
                    f" WHERE id = {_LATEST_RUN}",
                    (now, seconds, generation_id),
                )
            return True

    async def portrait_ended(
        self,
        generation_id: int,
        index: int,
        status: MemberStatus,
        *,
        image_path: str | None = None,
        reason: str | None = None,
    ) -> bool:
        """The portrait is ready (its file at `image_path`) or dropped (`reason`); one guarded
        UPDATE from pending. False when it was not pending."""
        return await self._update(
            "UPDATE cast_members SET status = ?, image_path = COALESCE(?, image_path),"
            " reason = ?, updated_at = ? WHERE generation_id = ? AND idx = ? AND status = ?",
            (status, image_path, reason, time.time(), generation_id, index, MemberStatus.PENDING),
        )

    async def set_clip_references(
        self, clip_id: int, uploads: Sequence[tuple[str, Upload]]
    ) -> None:
        """The clip's reference images are now at these uploads (by character name), stored
        before any prediction names them."""
        now = time.time()
        refs = json.dumps([[name, upload.url] for name, upload in uploads])
        async with self._transaction() as tx:
            for _, upload in uploads:
                await tx.execute(
                    "INSERT INTO replicate_uploads (file_id, clip_id, url, expires_at, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (upload.file_id, clip_id, upload.url, upload.expires_at, now),
                )
            await tx.execute(
                "UPDATE clips SET reference_urls = ?, updated_at = ? WHERE id = ?",
                (refs, now, clip_id),
            )

    async def casts_of(self, generation_ids: Sequence[int]) -> dict[int, list[str]]:
        """The names of each generation's cast that has portraits (for `/history`)."""
        if not generation_ids:
            return {}
        marks = ", ".join("?" * len(generation_ids))
        rows = await self._all(
            f"SELECT generation_id, name FROM cast_members WHERE generation_id IN ({marks})"
            " AND status = ? ORDER BY generation_id, idx",
            (*generation_ids, MemberStatus.READY),
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(int(row[0]), []).append(str(row[1]))
        return found
