"""The fake Replicate's image model and the video models' reference-image inputs (issue 24).

Image model: ``black-forest-labs/flux-schnell`` (https://internal.replicate.com/
black-forest-labs/flux-schnell, its schema): inputs ``prompt``, ``aspect_ratio`` (1:1 ...
9:16), ``num_outputs`` (1-4), ``output_format`` (webp | jpg | png), ``output_quality``,
``seed``, ``go_fast``, ``megapixels``; its output is a LIST of URIs, one per image, even for
one. The fake answers ``[{base}/files/{id}.png]`` and serves a real PNG, 320x320 (Kling takes
references of at least 300 px), of one solid colour derived from the prompt: a new prompt (a
recast's note) gives a new colour, so a test can tell portraits apart by their pixels.

Reference images: ``REFERENCE_INPUTS`` is the fake's own copy of each model's schema on
Replicate (its "API" tab): the array input a model takes reference images in and how many.
bytedance/seedance-2.0 ``reference_images`` "up to 9"; kwaivgi/kling-v3-omni-video
``reference_images`` "Max 7 without video"; google/veo-3.1 ``reference_images`` "1 to 3"
(bot/pipeline/clips/video_models.py cites the pages). A prediction given references renders a
clip whose own colour is the FIRST reference's average colour (its opening colour stays the
start image's, when it has one), and records every reference's colour
(``PredictionRecord.references``), so a test reads which portraits a scene got from its frames
and from the recorded request. A reference that names one of the fake's files that is gone
fails the prediction, as a start image does (Replicate fetches URL inputs when it runs).
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from typing import TYPE_CHECKING, Any

from tests.fakes.mp4 import image_rgb
from tests.fakes.replicate_files import image_bytes, live_file

if TYPE_CHECKING:
    from tests.fakes.replicate_fake import FakeReplicate

IMAGE_MODELS = frozenset({"black-forest-labs/flux-schnell"})
PORTRAIT_SIDE = 320
REFERENCE_INPUTS: dict[str, tuple[str, int]] = {
    "bytedance/seedance-2.0": ("reference_images", 9),
    "kwaivgi/kling-v3-omni-video": ("reference_images", 7),
    "google/veo-3.1": ("reference_images", 3),
}
_LEVELS = (48, 96, 144, 192)


def portrait_color(prompt: str) -> str:
    """The colour of the portrait a prompt gets, ``0xRRGGBB``: one of 64, by the prompt."""
    n = zlib.crc32(prompt.encode())
    r, g, b = (_LEVELS[(n >> shift) % len(_LEVELS)] for shift in (0, 8, 16))
    return f"0x{r:02x}{g:02x}{b:02x}"


def png_bytes(color: str, side: int = PORTRAIT_SIDE) -> bytes:
    """A real PNG of one solid colour (``0xRRGGBB``), ``side`` pixels square."""
    rgb = bytes.fromhex(color.removeprefix("0x"))
    raw = (b"\x00" + rgb * side) * side

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def references_of(model: str, inputs: dict[str, Any]) -> list[Any]:
    """The reference images a create gives a model that takes them (none otherwise)."""
    spec = REFERENCE_INPUTS.get(model)
    value = inputs.get(spec[0]) if spec is not None else None
    return list(value) if isinstance(value, list) else []


def missing_reference(fake: FakeReplicate, model: str, inputs: dict[str, Any]) -> str | None:
    """The error of a prediction whose reference names one of the fake's files that is gone."""
    prefix = f"{fake.base_url}/v1/files/"
    for value in references_of(model, inputs):
        gone = (
            isinstance(value, str)
            and value.startswith(prefix)
            and live_file(fake, value.removeprefix(prefix)) is None
        )
        if gone:
            return f"Failed to download input reference_images: {value} returned 404"
    return None


async def reference_colors(fake: FakeReplicate, model: str, inputs: dict[str, Any]) -> list[str]:
    """The average colour of each reference image given, ``0xRRGGBB``, in order (one the fake
    cannot read is left out)."""
    colors: list[str] = []
    for value in references_of(model, inputs):
        data = image_bytes(fake, value)
        rgb = None if data is None else await asyncio.to_thread(image_rgb, data)
        if rgb is not None:
            colors.append("0x{:02x}{:02x}{:02x}".format(*rgb))
    return colors
