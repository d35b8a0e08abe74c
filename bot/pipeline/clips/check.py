"""A clip checked before it is public (issue 19 item 5): the prompt is moderated, but a video
model can return what the prompt did not ask for, and every clip is posted in a public thread.

Three frames of each clip (its first, middle and last) go through OpenAI's moderation endpoint,
which classifies images with `omni-moderation-latest` (the `CreateModerationRequest` of OpenAI's
OpenAPI description: `input` may be "an array of multi-modal inputs", each
`{"type": "image_url", "image_url": {"url": <a URL or a base64 data URL>}}`). One request per
frame, each a 512-pixel-wide JPEG as a data URL (Replicate's output URL is not given out). The
moderation endpoint is free to call (OpenAI's moderation guide); what a check costs is three
short ffmpeg decodes and three requests per clip.
"""

from __future__ import annotations

import base64
import logging
import tempfile
from pathlib import Path

import openai
from openai import AsyncOpenAI
from openai.types import ModerationImageURLInputParam

from bot.pipeline.analysis.writer import MODERATION_MODEL, describe_openai_error
from bot.pipeline.errors import MediaError
from bot.pipeline.media._ffmpeg import input_args, run_ffmpeg
from bot.pipeline.media.probe import probe

log = logging.getLogger(__name__)

POSITIONS = (0.0, 0.5, 1.0)  # first, middle and last, as fractions of the clip's length
FRAME_WIDTH = 512
TIMEOUT = 60.0


class CheckUnavailable(Exception):
    """The clip could not be checked (moderation unreachable, or no frame to read)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ClipCheck:
    """Moderates a clip's frames over an `AsyncOpenAI` client passed in."""

    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    async def flagged(self, clip: Path) -> list[str]:
        """The categories a frame of `clip` was flagged for (sorted, readable); [] when every
        frame passed. Raises `CheckUnavailable`."""
        found: set[str] = set()
        for url in await frames(clip):
            image: ModerationImageURLInputParam = {"type": "image_url", "image_url": {"url": url}}
            try:
                result = await self._client.moderations.create(
                    model=MODERATION_MODEL, input=[image]
                )
            except openai.OpenAIError as exc:
                raise CheckUnavailable(
                    f"OpenAI moderation is unavailable: {describe_openai_error(exc)}"
                ) from exc
            for verdict in result.results:
                if verdict.flagged:
                    hits = verdict.categories.model_dump(by_alias=True).items()
                    found |= {name.replace("_", " ") for name, hit in hits if hit} or {"policy"}
        return sorted(found)


async def frames(clip: Path) -> list[str]:
    """The clip's first, middle and last frames as JPEG data URLs."""
    try:
        info = await probe(clip)
    except MediaError as exc:
        raise CheckUnavailable(f"its frames could not be read ({exc.reason})") from exc
    urls = []
    with tempfile.TemporaryDirectory(prefix="reelbot-check-") as folder:
        for n, position in enumerate(POSITIONS):
            at = max(0.0, info.duration * position - (0.1 if position else 0.0))
            dest = Path(folder) / f"frame-{n}.jpg"
            await run_ffmpeg(
                [
                    "-loglevel",
                    "error",
                    "-y",
                    "-ss",
                    f"{at:.3f}",
                    *input_args(clip),
                    "-map",
                    "0:v:0",
                    "-frames:v",
                    "1",
                    "-vf",
                    f"scale='min({FRAME_WIDTH},iw)':-2",
                    "-c:v",
                    "mjpeg",
                    "-q:v",
                    "4",
                    "-f",
                    "image2",
                    str(dest),
                ],
                timeout=TIMEOUT,
                what=f"taking a frame of {clip.name} to check",
                check=False,
            )
            if dest.exists() and dest.stat().st_size:
                urls.append(
                    f"data:image/jpeg;base64,{base64.b64encode(dest.read_bytes()).decode()}"
                )
    if not urls:
        raise CheckUnavailable("no frame of it could be read")
    return urls
