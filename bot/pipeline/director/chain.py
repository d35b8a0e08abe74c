"""Chained scenes: scene N+1 starts from the last frame of scene N, so the scenes are made one
after another.

`in_order` makes the clips of a chained generation in scene order through the same
`ClipMaker.make` as parallel ones (a fair slot, the prediction id stored the moment it exists,
re-attached after a restart, retried a bounded number of times). `start_frame` is where a
chained scene starts: the last frame of the scene before it, taken from that scene's stored
clip. Both read only stored state, so a generation resumed after a restart continues from the
last finished scene: a scene whose clip is stored is not made again, one whose prediction ran
is re-attached (its start image's upload URL is stored with the clip before the prediction is
created: `ClipUploads.ready`), and the rest follow in order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.pipeline import media
from bot.pipeline.clips.video_models import VideoModel
from bot.pipeline.director import continuity
from bot.pipeline.errors import MediaError
from storage.models import Clip, ClipStatus, Continuity, Generation

if TYPE_CHECKING:
    from storage.repository import Repository

log = logging.getLogger(__name__)


class BrokenChain(Exception):
    """A chained scene cannot start: the scene before it has no clip, or no frame."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def in_order(make: Callable[[Clip], Awaitable[Path]], clips: list[Clip]) -> list[Path]:
    """The clips' files, each made by `make` (`ClipMaker.make`) one after another in scene
    order (each starts from the one before). The first failure ends it: the scenes after a
    failed one never start (a Retry goes on from there)."""
    return [await make(clip) for clip in sorted(clips, key=_index)]


async def announced(
    repo: Repository, generation: Generation, scenes: int
) -> continuity.ChainedRender | None:
    """What the member is told about a chained generation's render: its scenes and the
    expected wait, from the recent clips' render times. None for a parallel one."""
    if generation.continuity is not Continuity.CHAINED:
        return None
    recent = await repo.recent_render_seconds(continuity.RECENT_CLIPS)
    return continuity.expected(scenes, recent)


async def start_frame(
    repo: Repository, model: VideoModel, generation: Generation, clip: Clip, folder: Path
) -> Path:
    """The image scene `clip` starts from: the last frame of the scene before it, written once
    next to its clip (`frame-N.png`, N the scene it starts; the same bytes whenever it is
    rebuilt; taken again when the scene before was made again since). Raises BrokenChain when
    the scene before has no stored clip to continue from, or the video model cannot start from
    an image (VIDEO_MODEL changed since it was asked for)."""
    if model.start_image is None:
        raise BrokenChain(continuity.cannot_chain(model))
    clips = {c.index: c for c in await repo.clips(generation.id)}
    previous = clips.get(clip.index - 1)
    output = Path(previous.output_path) if previous and previous.output_path else None
    if previous is None or previous.status is not ClipStatus.SUCCEEDED or output is None:
        raise BrokenChain(f"scene {clip.index} has no clip to continue from")
    dest = folder / f"frame-{clip.index + 1}.png"
    if _newer(dest, than=output):  # taken from this very clip (a scene made again is not)
        return dest
    if not output.exists():
        raise BrokenChain(f"the clip of scene {clip.index} is no longer on the bot's server")
    try:
        await media.last_frame(output, dest)
    except MediaError as exc:
        reason = f"the last frame of scene {clip.index} could not be taken ({exc.reason})"
        raise BrokenChain(reason) from exc
    log.info(
        "generation %s scene %s starts from the last frame of scene %s",
        generation.id,
        clip.index + 1,
        clip.index,
    )
    return dest


def _index(clip: Clip) -> int:
    return clip.index


def _newer(frame: Path, *, than: Path) -> bool:
    """Whether `frame` exists and was written after the clip `than` (or the clip is gone)."""
    try:
        written = frame.stat().st_mtime
    except FileNotFoundError:
        return False
    try:
        return written >= than.stat().st_mtime
    except FileNotFoundError:
        return True
