"""Score rows (issue 22): a generation's music, from its request to its downloaded track."""

from __future__ import annotations

import time
from collections.abc import Sequence

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

    async def score_charged(self, generation_id: int, seconds: float) -> bool:
        """The score's create charged before it is made (issue 22): `seconds` (what the track
        is worth in seconds of video, the unit of a member's day) added to the spend of the
        member who started the generation's latest run, and to that run's spend, while the run
        is unsettled (it reserved them) and the score is still wanted with no prediction. False
        when refused: the run ended (cancelled, failed elsewhere) and nothing may be created."""
        async with self._transaction() as tx:
            row = await tx.one(
                "SELECT r.id, r.owner_id FROM runs r JOIN scores s"
                " ON s.generation_id = r.generation_id"
                " WHERE r.id = (SELECT MAX(id) FROM runs WHERE generation_id = ?)"
                " AND r.settled = 0 AND s.status = ? AND s.prediction_id IS NULL",
                (generation_id, ScoreStatus.WANTED),
            )
            if row is None:
                return False
            now = time.time()
            changed = await tx.execute(
                "UPDATE runs SET spent = spent + ?, spent_at = COALESCE(spent_at, ?)"
                " WHERE id = ? AND settled = 0",
                (seconds, now, int(row[0])),
            )
            if changed != 1:  # settled between the read and the write (READ COMMITTED)
                return False
            await tx.execute(
                "INSERT INTO spend (generation_id, owner_id, seconds, created_at)"
                " VALUES (?, ?, ?, ?)",
                (generation_id, int(row[1]), seconds, now),
            )
            return True

    async def sound_of(self, generation_ids: Sequence[int]) -> dict[int, str]:
        """What each generation's film has beyond its picture (for `history`): "narration",
        "music", "captions:track|burned", comma-separated; absent when it has none of them."""
        if not generation_ids:
            return {}
        marks = ", ".join("?" * len(generation_ids))
        rows = await self._all(
            "SELECT g.id, n.status, s.status, g.captions FROM generations g"
            " LEFT JOIN narrations n ON n.generation_id = g.id"
            " LEFT JOIN scores s ON s.generation_id = g.id"
            f" WHERE g.id IN ({marks})",
            tuple(generation_ids),
        )
        found: dict[int, str] = {}
        for row in rows:
            gid, narration, score, captions = row[0], row[1], row[2], row[3]
            parts: list[str] = []
            if narration is not None:
                parts.append("narration" if narration != "dropped" else "narration (left out)")
            if score is not None:
                parts.append("music" if score != "dropped" else "music (left out)")
            if captions and captions != "off":
                parts.append(f"captions:{captions}")
            if parts:
                found[int(gid)] = ", ".join(parts)
        return found
