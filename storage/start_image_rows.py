"""Start-image rows: the member's image of a generation, and the upload each clip starts from."""

from __future__ import annotations

import time

from storage.rows import Rows


class StartImageRows(Rows):
    """Where a generation's start image is kept, and the URL each clip's image was uploaded to."""

    async def set_start_image(self, generation_id: int, path: str) -> None:
        """The generation starts from the image at `path` (the first frame of scene 1)."""
        await self._update(
            "UPDATE generations SET start_image_path = ?, updated_at = ? WHERE id = ?",
            (path, time.time(), generation_id),
        )

    async def set_clip_start_image(self, clip_id: int, url: str) -> None:
        """The clip's start image was uploaded to `url`: its prediction input names it."""
        await self._update(
            "UPDATE clips SET start_image_url = ?, updated_at = ? WHERE id = ?",
            (url, time.time(), clip_id),
        )
