"""The fake OpenAI's moderation of images: flagged by their content (their average colour).

OpenAI's moderation endpoint takes images with `omni-moderation-latest`: `input` may be "an array
of multi-modal inputs", an image being `{"type": "image_url", "image_url": {"url": ...}}` with
"either a URL of the image or the base64 encoded image data" (`CreateModerationRequest` in
/work/shared/openai-api-spec/openapi.json). Its result names, per category, the input types it
was applied to (`category_applied_input_types`, "image" among them for violence, self-harm and
sexual: OpenAI's moderation guide). The fake reads data URLs only (it fetches nothing) and
flags an image whose average colour is within `TOLERANCE` of one of `FakeOpenAI.flag_colors`
(as ``0xRRGGBB``), so a test can have one clip of a film flagged by its colour.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any

from tests.fakes.mp4 import image_rgb

TOLERANCE = 40
IMAGE_CATEGORY = "violence/graphic"  # what a flagged image is flagged for


def image_parts(raw: Any) -> list[str]:
    """The image URLs of a moderation input given as multi-modal parts."""
    if not isinstance(raw, list):
        return []
    return [
        p["image_url"]["url"]
        for p in raw
        if isinstance(p, dict)
        and p.get("type") == "image_url"
        and isinstance(p.get("image_url"), dict)
        and isinstance(p["image_url"].get("url"), str)
    ]


async def flagged_image(urls: list[str], flag_colors: set[str]) -> bool:
    """Whether any image (a base64 data URL) is close to one of `flag_colors`."""
    wanted = [_rgb(c) for c in flag_colors]
    for url in urls:
        if not url.startswith("data:") or ";base64," not in url:
            continue
        try:
            data = base64.b64decode(url.partition(";base64,")[2], validate=True)
        except binascii.Error:
            continue
        rgb = await asyncio.to_thread(image_rgb, data)
        if rgb is not None and any(
            all(abs(a - b) <= TOLERANCE for a, b in zip(rgb, w, strict=True)) for w in wanted
        ):
            return True
    return False


def _rgb(color: str) -> tuple[int, int, int]:
    value = int(color.removeprefix("0x").removeprefix("#"), 16)
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF
