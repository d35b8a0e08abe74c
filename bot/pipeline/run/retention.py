"""Media retention: the files of generations that ended long ago are removed; their rows stay.

A clip can weigh up to 200 MB and every generation keeps its clips, thumbnails and film under
`MEDIA_DIR/<id>/`. Once a generation ended more than `MEDIA_RETENTION_DAYS` ago its folder is
removed and the removal recorded; the generation, its clips and its reply's link stay, so
`/history` and `python -m bot history` still answer. A Retry after that renders the clips
again (they are missing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from pathlib import Path

from bot.tasks import spawn
from storage.repository import Repository

log = logging.getLogger(__name__)

DAY = 86_400.0
SWEEP_INTERVAL = 3_600.0  # seconds between two sweeps
BATCH = 200  # generations looked up at once


class MediaRetention:
    """Removes the media folder of every generation that ended more than `days` ago: once at
    start, then every `interval` seconds. `days` 0 keeps everything (nothing runs)."""

    def __init__(
        self, repo: Repository, root: Path, *, days: float, interval: float = SWEEP_INTERVAL
    ) -> None:
        self._repo = repo
        self._root = Path(root)
        self._days = days
        self._interval = interval

    def start(self) -> asyncio.Task[None] | None:
        """Run the sweeps in the background (None when retention is off); cancel to stop."""
        if self._days <= 0:
            return None
        return spawn(self._run(), name="media-retention")

    async def _run(self) -> None:
        while True:
            try:
                removed = await self.sweep()
                if removed:
                    log.info("removed the media of %d generation(s) that ended long ago", removed)
            except Exception:  # the next sweep tries again; the database may be busy now
                log.exception("the media retention sweep failed")
            await asyncio.sleep(self._interval)

    async def sweep(self, *, now: float | None = None) -> int:
        """Remove the media of every generation that ended before the cut-off; returns how
        many generations' media was removed. A folder that cannot be removed is logged and
        tried again at the next sweep."""
        cutoff = (time.time() if now is None else now) - self._days * DAY
        removed, after = 0, 0
        while batch := await self._repo.media_to_remove(
            ended_before=cutoff, after_id=after, limit=BATCH
        ):
            for generation_id in batch:
                # re-checked and recorded first, in one transaction: a Retry or Reroll admitted
                # since the pick keeps its files, and one admitted after sees them gone
                if not await self._repo.claim_media_removal(generation_id, ended_before=cutoff):
                    continue
                folder = self._root / str(generation_id)
                try:
                    await asyncio.to_thread(_remove, folder)
                except OSError as exc:
                    log.warning("could not remove %s: %s", folder, exc)
                    await self._repo.unclaim_media_removal(generation_id)
                    continue
                removed += 1
            after = batch[-1]
        return removed


def _remove(folder: Path) -> None:
    # a missing folder: nothing was ever written (shot list only), or it was removed by hand
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(folder)  # refuses a symbolic link: nothing outside MEDIA_DIR is touched
