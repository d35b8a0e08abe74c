"""Replicate's files API: a start image uploaded for one prediction, deleted once it has ended.

An upload's answer carries `expires_at`: an hour after `created_at` in replicate-python's own
`tests/test_file.py` (created 12:26:51, expires 13:26:51) and in the example of Replicate's
OpenAPI description. The SDK's `Files.async_create` sends the upload with no timeout and returns
a model without that field's meaning; here the upload goes through the bot's plain HTTP client
(`make_replicate_api`: the API's base URL, the token as the SDK sends it) with a bounded time,
and its answer is read field by field. Replicate takes a file "up to 100MB" this way
(https://replicate.com/docs/topics/predictions/input-files).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import httpx
from replicate.exceptions import ReplicateError

from bot.pipeline.clips.budget import RequestBudget
from bot.pipeline.clips.predictions import UnreadableAnswer
from bot.pipeline.clips.snapshot import timestamp
from storage.models import Upload

log = logging.getLogger(__name__)

UPLOAD_SECONDS = 60.0  # the whole upload; the SDK would wait for ever
DELETE_SECONDS = 15.0
ASSUMED_LIFETIME = 3600.0  # an answer without a readable expires_at: Replicate's documented hour
# an upload is made again when it would expire within this margin of the create: the model
# fetches its input when the prediction starts, which may be a while after the create
EXPIRY_MARGIN = 600.0


class UnreadableUpload(UnreadableAnswer):
    """Replicate answered the upload, but not with a file object of the documented shape."""


class ReplicateFiles:
    """Uploads and deletes over `api` (an `httpx.AsyncClient` with the API's base URL and the
    token), within their own request budget."""

    def __init__(
        self,
        api: httpx.AsyncClient,
        *,
        per_minute: float = 480,
        upload_seconds: float = UPLOAD_SECONDS,
    ) -> None:
        self._api = api
        self._budget = RequestBudget(per_minute, burst=20)
        self._upload_seconds = upload_seconds

    async def upload(self, path: Path, content_type: str) -> Upload:
        """Upload the file; its id, URL and expiry. Raises `ReplicateError` (an error answer),
        `httpx.RequestError` (none in time) or `UnreadableUpload`."""
        data = await asyncio.to_thread(path.read_bytes)
        await self._budget.take()
        # the multipart form the SDK sends (replicate/file.py `_create_file_params`): the file in
        # `content`, the metadata as a JSON form field
        response = await self._api.post(
            "/v1/files",
            files={"content": (path.name, data, content_type)},
            data={"metadata": "{}"},
            timeout=httpx.Timeout(self._upload_seconds),
        )
        if response.status_code >= 400:
            raise ReplicateError.from_response(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise UnreadableUpload(f"HTTP {response.status_code} without JSON") from exc
        return read_upload(body)

    async def delete(self, file_id: str) -> bool:
        """`DELETE /v1/files/{id}`: True when the file is gone (deleted now, or unknown: it
        expired), False when it should be tried again later (logged)."""
        await self._budget.take()
        try:
            response = await self._api.delete(
                f"/v1/files/{file_id}", timeout=httpx.Timeout(DELETE_SECONDS)
            )
        except httpx.RequestError as exc:
            log.warning("deleting upload %s failed: %s", file_id, type(exc).__name__)
            return False
        if response.status_code in (200, 204, 404):
            return True
        log.warning("deleting upload %s failed: HTTP %s", file_id, response.status_code)
        return False


def read_upload(body: object) -> Upload:
    """The file object of an upload's answer, read field by field."""
    if not isinstance(body, dict):
        raise UnreadableUpload("the upload's answer is not an object")
    file_id, urls = body.get("id"), body.get("urls")
    url = urls.get("get") if isinstance(urls, dict) else None
    if not isinstance(file_id, str) or not file_id or not isinstance(url, str) or not url:
        raise UnreadableUpload("the upload's answer has no id or URL")
    expires = timestamp(body.get("expires_at"))
    return Upload(file_id, url, expires or time.time() + ASSUMED_LIFETIME)


def usable(upload: Upload, *, now: float | None = None, margin: float = EXPIRY_MARGIN) -> bool:
    """Whether a prediction created now may still name `upload`."""
    return upload.expires_at - margin > (time.time() if now is None else now)
