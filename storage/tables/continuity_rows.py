"""Continuity rows: what chained generations read besides their own rows."""

from __future__ import annotations

from storage.models import ClipStatus
from storage.rows import Rows


class ContinuityRows(Rows):
    """The render times of recent clips: a chained generation's expected wait is its scenes
    times their median (`bot.pipeline.director.continuity`)."""

    async def recent_render_seconds(self, limit: int) -> list[float]:
        """What Replicate billed for each of the `limit` clips that succeeded last (seconds of
        rendering, `metrics.predict_time`), newest first; clips with no figure are left out."""
        # the status as a literal, so the partial index clips_succeeded_recent serves it
        rows = await self._all(
            f"SELECT predict_seconds FROM clips WHERE status = '{ClipStatus.SUCCEEDED}'"
            " AND predict_seconds > 0 ORDER BY updated_at DESC LIMIT ?",
            (limit,),
        )
        return [float(r[0]) for r in rows]
