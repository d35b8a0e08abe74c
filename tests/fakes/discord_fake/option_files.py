"""Files given to ATTACHMENT options of slash commands, as Discord delivers and serves them.

An ATTACHMENT option (type 11) arrives as the attachment's id in ``data.options[].value``,
with the attachment object in ``data.resolved.attachments`` keyed by that id (the interaction
"Resolved Data" structure, discord-api-docs; the option type added in discord/discord-api-docs
PR #4253). The object has ``id``, ``filename``, ``size``, ``url``, ``proxy_url`` (required by
the OpenAPI description's ``MessageAttachmentResponse``, which every object built here is
checked against), ``content_type``, and ``width``/``height`` "if image" (Discord's reading of
the file: none when it is not one). It is ``ephemeral``: "Ephemeral attachments will
automatically be removed after a set period of time".

The file is served by the fake like the CDN serves it: ``/ephemeral-attachments/{channel}/
{attachment}/{filename}`` on the fake's own address (127.0.0.1 in tests, standing for
cdn.discordapp.com), with signed-URL parameters ``ex`` (expiry, hex Unix time), ``is``
(issued) and ``hm`` (signature): Discord's CDN answers 404 to an attachment URL whose
signature is missing, wrong or expired (Discord's developer changelog, "Signed attachment
URLs", 2023). The same URL is given as ``proxy_url`` (media.discordapp.net on the real one).
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import quote

from aiohttp import web

from .records import Attachment, OptionFile
from .validation import validate_response

if TYPE_CHECKING:
    from .state import World

URL_LIFETIME = 24 * 3600
_SECRET = secrets.token_bytes(16)


def _signature(path: str, ex: str, issued: str) -> str:
    return hmac.new(_SECRET, f"{path}|{ex}|{issued}".encode(), hashlib.sha256).hexdigest()


def option_attachment(world: World, cdn: str, channel_id: int, file: OptionFile) -> Attachment:
    """Store `file` as an ephemeral attachment of `channel_id` and return it (served by
    ``serve``); its payload is checked against the OpenAPI description."""
    from tests.fakes.mp4 import image_size  # lazily: ffmpeg, only when a file is given

    attachment_id = world.ids.next()
    path = f"/ephemeral-attachments/{channel_id}/{attachment_id}/{quote(file.filename)}"
    now = int(time.time())
    ex, issued = f"{now + URL_LIFETIME:x}", f"{now:x}"
    url = f"{cdn}{path}?ex={ex}&is={issued}&hm={_signature(path, ex, issued)}&"
    size = image_size(file.data)
    attachment = Attachment(
        id=attachment_id,
        channel_id=channel_id,
        filename=file.filename,
        size=len(file.data),
        content_type=mimetypes.guess_type(file.filename)[0] or "application/octet-stream",
        data=file.data,
        url=url,
        width=size[0] if size else None,
        height=size[1] if size else None,
        ephemeral=True,
    )
    problems = validate_response("MessageAttachmentResponse", attachment.payload())
    if problems:
        raise AssertionError(f"the fake built an invalid attachment object: {problems}")
    world.attachments[attachment_id] = attachment
    return attachment


async def serve(world: World, request: web.Request) -> web.Response:
    """``GET /ephemeral-attachments/...``: the file, when the URL's signature holds."""
    attachment = world.attachments.get(int(request.match_info["attachment_id"]))
    query = request.query
    ex, issued, hm = query.get("ex", ""), query.get("is", ""), query.get("hm", "")
    valid = (
        attachment is not None
        and attachment.filename == request.match_info["filename"]
        and hmac.compare_digest(hm, _signature(request.raw_path.split("?")[0], ex, issued))
        and int(ex or "0", 16) > time.time()
    )
    if not valid or attachment is None:
        raise web.HTTPNotFound(text="This content is no longer available.")
    return web.Response(body=attachment.data, content_type=attachment.content_type)
