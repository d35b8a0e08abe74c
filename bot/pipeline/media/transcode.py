"""Shrinking a film under an upload limit."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from bot.pipeline.errors import MediaError
from bot.pipeline.media._ffmpeg import file_url, input_args, local_file, run_ffmpeg
from bot.pipeline.media._files import commit, discard, temp_sibling
from bot.pipeline.media.probe import VideoInfo, probe

log = logging.getLogger(__name__)

HEADROOM = 0.90  # aim this far under the limit: container overhead and rate-control error
MIN_VIDEO_KBPS = 40  # below this nothing watchable comes out; give up instead
# (video kbit/s at least, shorter side at most): the lower the bitrate, the smaller the frame.
_LADDER = ((2500, None), (1200, 720), (600, 480), (300, 360), (0, 240))


def _plan(info: VideoInfo, max_bytes: int, factor: float) -> tuple[int, int, int | None]:
    """(video kbit/s, audio kbit/s or 0 to drop audio, shorter side or None to keep)."""
    total = max_bytes * 8 * HEADROOM * factor / max(info.duration, 0.1) / 1000
    audio = 0
    if info.has_audio:
        audio = 64 if total >= 400 else 32 if total >= 160 else 0
    video = int(total - audio)
    if video < MIN_VIDEO_KBPS:
        raise MediaError(
            f"the film ({info.duration:.0f}s) cannot be made smaller than "
            f"{max_bytes / 1_000_000:.1f} MB and still be watchable"
        )
    short = next(side for floor, side in _LADDER if video >= floor)
    if short is not None and short >= min(info.width, info.height):
        short = None
    return video, audio, short


async def fit_to_size(src: Path, dest: Path, max_bytes: int) -> Path:
    """``src`` if it is at most ``max_bytes``; otherwise a smaller h264 copy at ``dest``.

    The bitrate comes from the duration and the limit (10% headroom); audio is kept at a low
    bitrate or dropped, and the picture is scaled down when the bitrate gets low. One retry
    at a lower bitrate if the first result is still too big; MediaError if it cannot fit.
    """
    src = local_file(src)
    if os.stat(src).st_size <= max_bytes:
        return src
    info = await probe(src)
    factor = 1.0
    for attempt in (1, 2):
        video, audio, short = _plan(info, max_bytes, factor)
        size = await _transcode(
            src, dest, info, video=video, audio=audio, short=short, max_bytes=max_bytes
        )
        if size <= max_bytes:
            log.info(
                "shrank %s to %d bytes (%d kbit/s video, attempt %d)",
                src.name,
                size,
                video,
                attempt,
            )
            return Path(dest)
        log.info(
            "attempt %d gave %d bytes, over %d; lowering the bitrate", attempt, size, max_bytes
        )
        factor *= min(0.8, max_bytes / size * HEADROOM)
    raise MediaError(f"the film could not be made smaller than {max_bytes / 1_000_000:.1f} MB")


async def _transcode(
    src: Path,
    dest: Path,
    info: VideoInfo,
    *,
    video: int,
    audio: int,
    short: int | None,
    max_bytes: int,
) -> int:
    """Encode once; commit to ``dest`` only if it fits. Returns the encoded size."""
    filters = []
    if short is not None:
        filters.append(
            f"scale={-2 if info.width >= info.height else short}:"
            f"{short if info.width >= info.height else -2}"
        )
    filters.append("format=yuv420p")
    audio_args = ["-map", "0:a:0", "-c:a", "aac", "-b:a", f"{audio}k"] if audio else ["-an"]
    tmp = temp_sibling(Path(dest))
    try:
        await run_ffmpeg(
            [
                "-loglevel",
                "error",
                "-y",
                *input_args(src),
                "-map",
                "0:v:0",
                *audio_args,
                "-vf",
                ",".join(filters),
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-b:v",
                f"{video}k",
                "-maxrate",
                f"{video}k",
                "-bufsize",
                f"{max(video // 2, 20)}k",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                file_url(tmp),
            ],
            what="shrinking the film",
            encode=True,
        )
        size = os.stat(tmp).st_size
        if size <= max_bytes:
            await commit(tmp, Path(dest))
        return size
    finally:
        discard(tmp)
