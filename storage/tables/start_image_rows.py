"""Start image rows: the member's start image of a generation, and the upload each clip starts
from (the cast's portraits: `storage.tables.cast_rows`)."""

from __future__ import annotations

import time

from storage.models import Upload
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

    async def add_clip_upload(self, clip_id: int, upload: Upload) -> None:
        """The clip's start image is now at `upload` (stored before any prediction names it):
        the clip's input names its URL from now on."""
        now = time.time()
        async with self._transaction() as tx:
            await tx.execute(
                "INSERT INTO replicate_uploads (file_id, clip_id, url, expires_at, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (upload.file_id, clip_id, upload.url, upload.expires_at, now),
            )
            await tx.execute(
                "UPDATE clips SET start_image_url = ?, updated_at = ? WHERE id = ?",
                (upload.url, now, clip_id),
            )

    async def clip_uploads(self, clip_id: int) -> list[Upload]:
        """The clip's uploads not yet deleted at Replicate, the newest first."""
        rows = await self._all(
            "SELECT file_id, url, expires_at FROM replicate_uploads WHERE clip_id = ?"
            " ORDER BY created_at DESC",
            (clip_id,),
        )
        return [Upload(r["file_id"], r["url"], float(r["expires_at"])) for r in rows]

    async def upload_deleted(self, file_id: str) -> None:
        """The upload is gone at Replicate (deleted, or already expired)."""
        await self._update("DELETE FROM replicate_uploads WHERE file_id = ?", (file_id,))
