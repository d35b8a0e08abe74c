"""Joining clips into one mp4: stream copy when they match, otherwise one re-encode."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.pipeline.errors import MediaError
from bot.pipeline.media._ffmpeg import CLIP_FORMATS, file_url, input_args, local_file, run_ffmpeg
from bot.pipeline.media._files import commit, discard, temp_sibling
from bot.pipeline.media.probe import VideoInfo, probe

log = logging.getLogger(__name__)

# Codecs an mp4 can carry as they are; anything else is re-encoded to h264/aac.
_COPY_VIDEO = frozenset({"h264", "hevc", "av1", "mpeg4"})
_COPY_AUDIO = frozenset({"aac", "mp3"})
# ffmpeg prints 24000/1001 as "23.98"; give the filters the exact rate back.
_NTSC = {23.98: "24000/1001", 29.97: "30000/1001", 59.94: "60000/1001"}


@dataclass(frozen=True)
class StitchResult:
    """The joined film: where it is, whether clips had to be re-encoded, how long it lasts."""

    path: Path
    reencoded: bool
    duration: float


def _copy_key(info: VideoInfo) -> tuple[object, ...]:
    """What must be equal for the concat demuxer to join clips with ``-c copy``."""
    return (
        info.codec,
        info.profile,
        info.width,
        info.height,
        round(info.fps, 2),
        info.pix_fmt,
        info.rotation,
        info.has_audio,
        info.audio_codec,
        info.audio_rate,
        info.audio_channels,
    )


def can_copy(infos: Sequence[VideoInfo]) -> bool:
    """Whether clips with these properties can be joined without re-encoding."""
    first = infos[0]
    if first.codec not in _COPY_VIDEO or not first.pix_fmt:
        return False
    if first.has_audio and first.audio_codec not in _COPY_AUDIO:
        return False
    return all(_copy_key(info) == _copy_key(first) for info in infos)


async def stitch(clips: Sequence[Path], dest: Path, *, workdir: Path | None = None) -> StitchResult:
    """Join ``clips`` in order into the mp4 ``dest`` (written atomically).

    Clips with the same codec, size, frame rate, pixel format and audio layout are joined
    with the concat demuxer and ``-c copy``; otherwise (or if that fails) every clip is
    scaled and padded to the first clip's size, brought to its frame rate and re-encoded to
    h264/yuv420p. A single clip is remuxed. Only existing regular files are accepted.
    """
    if not clips:
        raise MediaError("there are no clips to stitch")
    paths = [local_file(clip) for clip in clips]
    infos = [await probe(path) for path in paths]  # in order, so the first bad clip is named
    expected = sum(info.duration for info in infos)
    dest = Path(dest)
    tmp = temp_sibling(dest)
    try:
        reencoded = False
        if can_copy(infos):
            try:
                await _concat_copy(paths, tmp, workdir=workdir or dest.parent)
                duration = (await probe(tmp)).duration
                if duration < expected * 0.9 - 0.5:
                    raise MediaError(f"joined film lasts {duration:.1f}s of {expected:.1f}s")
            except MediaError as exc:
                log.warning("stream-copy join failed, re-encoding instead: %s", exc.reason)
                reencoded = True
        else:
            reencoded = True
        if reencoded:
            await _reencode(paths, infos, tmp)
            duration = (await probe(tmp)).duration
        await commit(tmp, dest)
    finally:
        discard(tmp)
    log.info(
        "stitched %d clip(s) into %s (%s, %.1fs)",
        len(paths),
        dest.name,
        "re-encoded" if reencoded else "stream copy",
        duration,
    )
    return StitchResult(path=dest, reencoded=reencoded, duration=duration)


def concat_line(path: Path) -> str:
    """One ``file`` directive of a concat list; ``'`` is written as ``'\\''``."""
    quoted = file_url(path).replace("'", "'\\''")
    return f"file '{quoted}'\n"


def _write_concat_list(paths: Sequence[Path], workdir: Path) -> Path:
    """Write the concat list into a fresh private directory under ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    listing = Path(tempfile.mkdtemp(prefix=".concat-", dir=workdir)) / "list.txt"
    listing.write_text("".join(concat_line(path) for path in paths), encoding="utf-8")
    return listing


async def _concat_copy(paths: Sequence[Path], out: Path, *, workdir: Path) -> None:
    listing = await asyncio.to_thread(_write_concat_list, paths, workdir)
    try:
        await run_ffmpeg(
            [
                "-loglevel",
                "error",
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",  # absolute paths; every one was checked by local_file()
                *input_args(listing, formats="concat," + CLIP_FORMATS),
                "-map",
                "0:v:0",
                "-map",
                "0:a:0?",
                "-c",
                "copy",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                file_url(out),
            ],
            what="joining the clips",
        )
    finally:
        await asyncio.to_thread(shutil.rmtree, listing.parent, True)


def _rate(fps: float) -> str:
    if fps <= 0:
        return "24"
    fps = min(fps, 60.0)
    return _NTSC.get(round(fps, 2), f"{fps:g}")


async def _reencode(paths: Sequence[Path], infos: Sequence[VideoInfo], out: Path) -> None:
    width = max(2, infos[0].width - infos[0].width % 2)
    height = max(2, infos[0].height - infos[0].height % 2)
    rate = _rate(infos[0].fps)
    with_audio = any(info.has_audio for info in infos)
    inputs: list[str] = []
    graph: list[str] = []
    joined: list[str] = []
    for i, (path, info) in enumerate(zip(paths, infos, strict=True)):
        inputs += input_args(path)
        graph.append(
            f"[{i}:v:0]scale={width}:{height}:force_original_aspect_ratio=decrease"
            f":force_divisible_by=2,pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,"
            f"setsar=1,fps={rate},format=yuv420p[v{i}]"
        )
        joined.append(f"[v{i}]")
        if with_audio:
            if info.has_audio:
                graph.append(
                    f"[{i}:a:0]aresample=48000,"
                    f"aformat=sample_fmts=fltp:channel_layouts=stereo[a{i}]"
                )
            else:
                graph.append(f"anullsrc=r=48000:cl=stereo,atrim=duration={info.duration:.3f}[a{i}]")
            joined.append(f"[a{i}]")
    audio = 1 if with_audio else 0
    graph.append(f"{''.join(joined)}concat=n={len(paths)}:v=1:a={audio}[v]" + ("[a]" * audio))
    audio_out = ["-map", "[a]", "-c:a", "aac", "-b:a", "128k"] if with_audio else ["-an"]
    await run_ffmpeg(
        [
            "-loglevel",
            "error",
            "-y",
            *inputs,
            "-filter_complex",
            ";".join(graph),
            "-map",
            "[v]",
            *audio_out,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            file_url(out),
        ],
        what="re-encoding the clips",
        encode=True,
    )
