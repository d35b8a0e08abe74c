"""A clip's start image at Replicate: uploaded just before its prediction is created (not before
the clip waits for a slot), uploaded again when the stored upload has expired or would within the
create's margin, deleted once the prediction has ended (a member's image does not linger at the
provider). Each upload is stored with its expiry before any prediction names it, so a restarted
bot builds the same input again and finds a create that was in flight."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot.pipeline.clips.replicate_files import ReplicateFiles, usable
from storage.models import Clip
from storage.repository import Repository

log = logging.getLogger(__name__)

StartImage = Callable[[], Awaitable[Path | None]]
"""The file the clip starts from (found or extracted only when an upload is needed)."""


class MissingStartImage(Exception):
    """The clip's start image is no longer on the bot's server."""


class ClipUploads:
    """Uploads and deletes of clips' start images, stored through `repo`."""

    def __init__(self, repo: Repository, files: ReplicateFiles) -> None:
        self._repo = repo
        self._files = files

    async def ready(self, clip: Clip, start_image: StartImage) -> Clip:
        """The clip as its create must name it: its start image's upload usable for the create
        (a fresh one when there is none, or the stored one is about to expire). Raises
        `MissingStartImage`, and what an upload raises (`PROVIDER_ERRORS`)."""
        uploads = await self._repo.clip_uploads(clip.id)
        current = next((u for u in uploads if u.url == clip.start_image_url), None)
        if current is not None and usable(current):
            return clip
        path = await start_image()
        if path is None:
            return clip
        if not path.exists():
            raise MissingStartImage(str(path))
        if current is not None:
            log.info(
                "clip %s: its start image's upload expires too soon: uploading it again", clip.id
            )
        upload = await self._files.upload(path, image_type(path))
        await self._repo.add_clip_upload(clip.id, upload)
        return await self._repo.clip(clip.id)

    async def with_references(self, clip: Clip, portraits: Sequence[tuple[str, Path]]) -> Clip:
        """The clip as its create must name it with the portraits of the characters it shows
        (issue 24): each uploaded now, unless the stored uploads are of the same characters
        and still usable for the create. Raises what an upload raises (`PROVIDER_ERRORS`)."""
        stored = references(clip)
        if not portraits:
            return clip
        names = [name for name, _ in portraits]
        if [name for name, _ in stored] == names:
            live = {u.url: u for u in await self._repo.clip_uploads(clip.id)}
            if all(url in live and usable(live[url]) for _, url in stored):
                return clip
        made = []
        for name, path in portraits:
            if not path.exists():
                raise MissingStartImage(str(path))
            made.append((name, await self._files.upload(path, image_type(path))))
        await self._repo.set_clip_references(clip.id, made)
        return await self._repo.clip(clip.id)

    async def release(self, clip_id: int) -> None:
        """Delete the clip's uploads at Replicate (its prediction has ended); one that cannot be
        deleted now stays stored and is tried again after the clip's next prediction."""
        for upload in await self._repo.clip_uploads(clip_id):
            if await self._files.delete(upload.file_id):
                await self._repo.upload_deleted(upload.file_id)


def image_type(path: Path) -> str:
    """The content type of a stored start image, by the suffix it was stored under (the file
    was checked by content before: `bot.pipeline.director.start_image`)."""
    return {".png": "image/png", ".webp": "image/webp"}.get(path.suffix.lower(), "image/jpeg")


def references(clip: Clip) -> list[tuple[str, str]]:
    """The clip's stored reference images: (character, URL of the upload), in order."""
    if not clip.reference_urls:
        return []
    return [(str(name), str(url)) for name, url in json.loads(clip.reference_urls)]
