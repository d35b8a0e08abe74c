"""Clip-check rows: a clip withheld because a frame did not pass moderation (issue 19 item 5)."""

from __future__ import annotations

import time

from storage.models import ClipStatus
from storage.rows import Rows


class CheckRows(Rows):
    """A withheld take: failed, its file not kept, and a new seed for the next take."""

    async def clip_withheld(
        self, clip_id: int, reason: str, *, seed: int, predict_seconds: float
    ) -> None:
        """The clip failed the content check: it ends failed with `reason`; it forgets its
        prediction (a Retry must not download that output again) and takes `seed` for the next
        take (the same input would likely make the same picture); its billed time stays."""
        await self._update(
            "UPDATE clips SET status = ?, error = ?, prediction_id = NULL, seed = ?,"
            " predict_seconds = ?, output_path = NULL, updated_at = ? WHERE id = ?",
            (str(ClipStatus.FAILED), reason, seed, predict_seconds, time.time(), clip_id),
        )
