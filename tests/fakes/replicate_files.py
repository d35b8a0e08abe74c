"""The fake Replicate's file inputs: the files API and the models' start-image inputs.

- ``POST /v1/files``: "Create a file by uploading its content and optional metadata"; a
  multipart form with the file in ``content`` (replicate-python 1.0.7 ``replicate/file.py``
  ``_create_file_params``: ``files={"content": (filename, file, content_type)}``, metadata as a
  JSON form field). Answers 201 with the file object: id, name, content_type, size, etag,
  checksums (md5, sha256), metadata, created_at, expires_at, urls.get =
  ``https://api.replicate.com/v1/files/{id}`` (replicate-python ``tests/test_file.py``; its
  ``File`` resource). Replicate's docs: a file "up to 100MB" is uploaded this way, a data URI
  "is only recommended if the file is less than 1MB"
  (https://replicate.com/docs/topics/predictions/input-files). Files expire: ``expires_at`` is
  an hour after ``created_at`` in replicate-python's ``tests/test_file.py`` (created
  2024-08-22T12:26:51.079Z, expires 13:26:51.079Z) and in the example of Replicate's OpenAPI
  description; ``FakeReplicate.file_lifetime`` (default that hour) sets it. Past it the file is
  gone: ``GET``/``DELETE`` answer 404, and a prediction whose input names it fails (its model
  cannot fetch the input; Replicate fetches a URL input when the prediction runs:
  https://replicate.com/docs/topics/predictions/input-files).
- ``GET /v1/files/{id}`` and ``DELETE /v1/files/{id}`` (204), as ``Files.async_get`` /
  ``async_delete`` use them.

Start images: ``START_IMAGE_INPUTS`` is the fake's own copy of each model's schema on Replicate
(the "API" tab of the model's page): the input a model takes its first frame from, or None for a
text-only model. A create whose input names a start image the model does not have is accepted
and the input ignored (a text-only clip): replicate/cog PR #2943 says Replicate's API "has
historically ignored unknown inputs" (``FakeReplicate.unknown_inputs = "drop"``, the default). With
``unknown_inputs = "reject"`` it is answered 422 ``Input validation failed`` with
``invalid_fields`` (the shape of Replicate's validation errors:
https://replicate.com/changelog/2024-05-01-improved-validation-for-api-prediction-payloads --
``type``, ``field``, ``description``), as models whose Cog validated inputs strictly did
("Unexpected field", the same PR).

A start image is read from the fake's own file URL or a ``data:`` URI; its average colour
becomes the opening colour of the prediction's clip (``PredictionRecord.start_color``), so a
test can tell from the frames which image a clip started from.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.policy
import hashlib
import json
import re
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes._common import iso_z, json_response, problem_json, random_id
from tests.fakes.mp4 import image_rgb

if TYPE_CHECKING:
    from tests.fakes.replicate_fake import FakeReplicate

FILE_LIFETIME = 3600.0  # expires_at - created_at in Replicate's examples (see above)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
# model -> the input its first frame is given in (None: the model takes no image). From each
# model's schema on Replicate: seedance `image`; wan-2.2-t2v-fast is text-to-video only; kling
# `start_image` (kwaivgi/kling-v1.6-pro and kling-v2.0 API pages: "First frame of the video");
# ray-flash-2-540p `start_image_url` ("URL of an image to use as the starting frame"); veo-3-fast
# `image` ("Input image to start generating from").
START_IMAGE_INPUTS: dict[str, str | None] = {
    "bytedance/seedance-1-lite": "image",
    "wan-video/wan-2.2-t2v-fast": None,
    "kwaivgi/kling-v1.6-standard": "start_image",
    "luma/ray-flash-2-540p": "start_image_url",
    "google/veo-3-fast": "image",
    # issue 22's sound-making models: seedance-2.0 `image`, veo-3.1-fast `image`, kling-v3-video
    # `start_image` (their schemas on Replicate: bot/pipeline/clips/video_models.py)
    "google/veo-3.1-fast": "image",
    "bytedance/seedance-2.0": "image",
    "kwaivgi/kling-v3-video": "start_image",
    # issue 24's models with reference images: kling-v3-omni-video `start_image`, veo-3.1 `image`
    # (their schemas on Replicate: bot/pipeline/clips/video_models.py)
    "kwaivgi/kling-v3-omni-video": "start_image",
    "google/veo-3.1": "image",
}
IMAGE_INPUT_NAMES = frozenset(
    {"image", "start_image", "start_image_url", "first_frame_image", "image_url"}
)


@dataclass
class FakeFile:
    """One uploaded file."""

    id: str
    name: str
    content_type: str
    data: bytes
    metadata: dict[str, Any]
    created_wall: float
    expires: float = float("inf")  # the fake's clock (FakeReplicate.now) when it is removed
    lifetime: float = FILE_LIFETIME


def file_json(fake: FakeReplicate, f: FakeFile) -> dict[str, Any]:
    md5 = hashlib.md5(f.data).hexdigest()  # a checksum, as Replicate's etag
    return {
        "id": f.id,
        "name": f.name,
        "content_type": f.content_type,
        "size": len(f.data),
        "etag": md5,
        "checksums": {"md5": md5, "sha256": hashlib.sha256(f.data).hexdigest()},
        "metadata": f.metadata,
        "created_at": iso_z(f.created_wall),
        "expires_at": iso_z(f.created_wall + f.lifetime),
        "urls": {"get": file_url(fake, f.id)},
    }


def file_url(fake: FakeReplicate, file_id: str) -> str:
    return f"{fake.base_url}/v1/files/{file_id}"


def add_file_routes(app: web.Application, fake: FakeReplicate) -> None:
    """Register ``POST /v1/files``, ``GET`` and ``DELETE /v1/files/{id}`` for `fake`."""
    fake.counts.setdefault("files", 0)

    async def create(request: web.Request) -> web.Response:
        if (failure := fake._gate(request, "files")) is not None:
            return failure
        if not request.content_type.startswith("multipart/"):
            body = problem_json(400, "Expected a multipart/form-data body.", "Bad Request")
            return json_response(body, 400)
        parts = _form_parts(request.headers["Content-Type"], await request.read())
        if "content" not in parts:
            detail = "- content: content is required\n"
            return json_response(problem_json(422, detail, "Input validation failed"), 422)
        filename, content_type, data = parts["content"]
        metadata = json.loads(parts["metadata"][2]) if "metadata" in parts else {}
        f = FakeFile(
            id=random_id(),
            name=filename or "file",
            content_type=content_type,
            data=data,
            metadata=metadata,
            created_wall=time.time(),
            expires=fake.now() + fake.file_lifetime,
            lifetime=fake.file_lifetime,
        )
        fake.files[f.id] = f
        fake.uploaded[f.id] = f
        return json_response(file_json(fake, f), 201)

    async def get(request: web.Request) -> web.Response:
        if (failure := fake._gate(request, "files")) is not None:
            return failure
        f = live_file(fake, request.match_info["id"])
        if f is None:
            return json_response(problem_json(404, "File not found.", "Not found"), 404)
        return json_response(file_json(fake, f))

    async def delete(request: web.Request) -> web.Response:
        if (failure := fake._gate(request, "files")) is not None:
            return failure
        file_id = request.match_info["id"]
        if live_file(fake, file_id) is None:
            return json_response(problem_json(404, "File not found.", "Not found"), 404)
        del fake.files[file_id]
        fake.deleted_files.append(file_id)
        return web.Response(status=204)

    app.router.add_post("/v1/files", create)
    app.router.add_get("/v1/files/{id}", get)
    app.router.add_delete("/v1/files/{id}", delete)


def live_file(fake: FakeReplicate, file_id: str) -> FakeFile | None:
    """The file, unless it was never uploaded, was deleted or has expired (then removed)."""
    f = fake.files.get(file_id)
    if f is not None and fake.now() >= f.expires:
        del fake.files[file_id]
        return None
    return f


def missing_file(fake: FakeReplicate, model: str, inputs: dict[str, Any]) -> str | None:
    """The error of a prediction whose start image names one of the fake's files that is gone
    (expired or deleted); None when the model takes no such input or the file is there."""
    name = START_IMAGE_INPUTS.get(model)
    value = inputs.get(name) if name is not None else None
    prefix = f"{fake.base_url}/v1/files/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    if live_file(fake, value.removeprefix(prefix)) is not None:
        return None
    return f"Failed to download input {name}: {value} returned 404 Not Found"


def parse_deadline(header: str | None) -> float | None:
    """A ``Cancel-After`` duration in seconds (``1m``, ``90s``, ``1h30m``, as in the example
    ``Cancel-After: 1m`` of https://replicate.com/changelog/2025-10-16-prediction-deadlines);
    None when absent or unreadable."""
    if not header or _DURATION.sub("", header.strip()):
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * scale[unit] for n, unit in _DURATION.findall(header)) or None


def _form_parts(content_type: str, body: bytes) -> dict[str, tuple[str | None, str, bytes]]:
    """A multipart/form-data body's parts: name -> (filename, content type, bytes). Parsed from
    the bytes (the fake's request log has already read the stream)."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts: dict[str, tuple[str | None, str, bytes]] = {}
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = (part.get_filename(), part.get_content_type(), payload)
    return parts


def unknown_image_input(model: str, inputs: dict[str, Any]) -> str | None:
    """The name of a start-image input `inputs` give a model that has none (or another one)."""
    if model not in START_IMAGE_INPUTS:
        return None  # a model the fake has no schema for: anything goes
    own = START_IMAGE_INPUTS[model]
    for name in sorted(IMAGE_INPUT_NAMES & inputs.keys()):
        if name != own:
            return name
    return None


def invalid_input(name: str) -> web.Response:
    """422 for an input the model's schema does not have."""
    description = f"Additional property {name} is not allowed"
    problem = problem_json(422, f"- input: {description}\n", "Input validation failed")
    problem["invalid_fields"] = [
        {"type": "additional_property_not_allowed", "field": "input", "description": description}
    ]
    return json_response(problem, 422)


def image_bytes(fake: FakeReplicate, value: object) -> bytes | None:
    """The bytes of a start image given as the fake's file URL or a data URI; None otherwise."""
    if not isinstance(value, str):
        return None
    prefix = f"{fake.base_url}/v1/files/"
    if value.startswith(prefix):
        f = live_file(fake, value.removeprefix(prefix))
        return None if f is None else f.data
    if value.startswith("data:") and ";base64," in value:
        try:
            return base64.b64decode(value.partition(";base64,")[2], validate=True)
        except binascii.Error:
            return None
    return None


async def start_color(fake: FakeReplicate, model: str, inputs: dict[str, Any]) -> str | None:
    """The start image's average colour as ``0xRRGGBB``, when the model takes one and it was
    given; None otherwise (no image, or one the fake cannot read)."""
    name = START_IMAGE_INPUTS.get(model)
    if name is None or name not in inputs:
        return None
    data = image_bytes(fake, inputs[name])
    if data is None:
        return None
    rgb = await asyncio.to_thread(image_rgb, data)
    if rgb is None:
        return None
    return "0x{:02x}{:02x}{:02x}".format(*rgb)
