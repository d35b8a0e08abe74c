"""Score rows (issue 22): a generation's music, from its request to its downloaded track."""

from __future__ import annotations

import time

from storage.models import Score, ScoreStatus
from storage.rows import Rows

_FIELDS = ("direction", "prediction_id", "audio_path", "reason")


class ScoreRows(Rows):
    """The score of a generation (a row only when it asked for music)."""

    async def score(self, generation_id: int) -> Score | None:
        row = await self._one(
            "SELECT generation_id, status, direction, prediction_id, audio_path, reason"
            " FROM scores WHERE generation_id = ?",
            (generation_id,),
        )
        if row is None:
            return None
        return Score(int(row[0]), ScoreStatus(row[1]), row[2], row[3], row[4], row[5])

    async def set_score(
        self, generation_id: int, status: ScoreStatus, **fields: str | None
    ) -> None:
        """Set the score's status and any of direction, prediction_id, audio_path, reason."""
        names = [name for name in _FIELDS if name in fields]
        sets = "".join(f", {name} = ?" for name in names)
        await self._update(
            f"UPDATE scores SET status = ?, updated_at = ?{sets} WHERE generation_id = ?",
            (status, time.time(), *(fields[n] for n in names), generation_id),
        )
