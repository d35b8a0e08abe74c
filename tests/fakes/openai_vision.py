"""The fake OpenAI's check of chat message content parts (image inputs).

openapi.json (shared/openai-api-spec): a user message's ``content`` is a string or a non-empty
array of ``ChatCompletionRequestUserMessageContentPart`` -- ``{"type": "text", "text"}``,
``{"type": "image_url", "image_url": {"url", "detail"?: auto|low|high}}`` (``url``: "Either a
URL of the image or the base64 encoded image data"), ``input_audio`` or ``file``; a system
message's parts are text only (``ChatCompletionRequestSystemMessageContentPart``). A body of
another shape is a 400 ``invalid_request_error`` naming the parameter.

An image given as data is read by its header: the vision guide takes PNG, JPEG, WEBP and
non-animated GIF, and the API answers anything else 400 "You uploaded an unsupported image.
Please make sure your image has of one the following formats: ['png', 'jpeg', 'gif', 'webp']."
(``invalid_image_format``; the message as API users quote it, e.g.
marketing-factory/ai-filemetadata#18).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

USER_PARTS = frozenset({"text", "image_url", "input_audio", "file"})
DETAILS = frozenset({"auto", "low", "high"})
UNSUPPORTED_IMAGE = (
    "You uploaded an unsupported image. Please make sure your image has of one the following "
    "formats: ['png', 'jpeg', 'gif', 'webp']."
)
_FORMATS = {
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpeg",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
}


def _format(data: bytes) -> str | None:
    for magic, name in _FORMATS.items():
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def content_problem(messages: list[dict[str, Any]]) -> tuple[str, str, str | None] | None:
    """(message, param, code) of the first content part the API would refuse; None if none."""
    for i, message in enumerate(messages):
        content = message.get("content")
        if isinstance(content, str) or content is None:
            continue
        param = f"messages.[{i}].content"
        if not isinstance(content, list) or not content:
            return f"Invalid '{param}': expected a string or a non-empty array.", param, None
        allowed = USER_PARTS if message.get("role") == "user" else frozenset({"text"})
        for j, part in enumerate(content):
            where = f"{param}.[{j}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in allowed:
                return f"Invalid value for '{where}.type': {kind!r}.", f"{where}.type", None
            if kind == "text" and not isinstance(part.get("text"), str):
                return f"Missing required parameter: '{where}.text'.", f"{where}.text", None
            if kind == "image_url":
                problem = _image_problem(part.get("image_url"), f"{where}.image_url")
                if problem is not None:
                    return problem
    return None


def _image_problem(image: Any, where: str) -> tuple[str, str, str | None] | None:
    if not isinstance(image, dict) or not isinstance(image.get("url"), str):
        return f"Missing required parameter: '{where}.url'.", f"{where}.url", None
    if image.get("detail", "auto") not in DETAILS:
        return f"Invalid value for '{where}.detail'.", f"{where}.detail", None
    url: str = image["url"]
    if url.startswith(("http://", "https://")):
        return None
    if not url.startswith("data:") or ";base64," not in url:
        return f"Invalid '{where}.url': expected a URL or a base64 data URL.", f"{where}.url", None
    try:
        data = base64.b64decode(url.partition(";base64,")[2], validate=True)
    except binascii.Error:
        return "Invalid base64 image_url.", f"{where}.url", "invalid_image_url"
    if _format(data) is None:
        return UNSUPPORTED_IMAGE, f"{where}.url", "invalid_image_format"
    return None


def image_urls(messages: list[dict[str, Any]]) -> list[str]:
    """The image URLs (data URLs included) of the user messages, in order."""
    return [
        part["image_url"]["url"]
        for message in messages
        if message.get("role") == "user" and isinstance(message.get("content"), list)
        for part in message["content"]
        if isinstance(part, dict) and part.get("type") == "image_url"
    ]
