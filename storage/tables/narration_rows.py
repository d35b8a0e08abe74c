"""Narration rows: a generation's voice-over and each spoken line."""

from __future__ import annotations

import time
from collections.abc import Sequence

from storage.models import (
    Narration,
    NarrationLine,
    NarrationStatus,
)
from storage.rows import Rows


class NarrationRows(Rows):
    """The narration of a generation and its lines, each recorded once spoken."""

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
