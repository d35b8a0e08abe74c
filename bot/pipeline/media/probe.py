"""Reading a video's properties from ``ffmpeg -i`` (there is no ffprobe in the bundle)."""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from bot.pipeline.errors import MediaError
from bot.pipeline.media._ffmpeg import input_args, local_file, run_ffmpeg, stderr_tail

PROBE_TIMEOUT = 30.0
# A file's description is kept for as long as the file is the same one (its inode, size and
# modification time: every file the bot writes is renamed into place, so a rewrite is a new
# entry). Each `ffmpeg -i` is a process start of the static binary, about 40 ms of CPU; a film of
# four clips was probed 11 times on its way to the member (each clip after its download, again
# by the stitch, the film after it), which at Replicate's create cap was most of the ffmpeg CPU
# (issue 21's sustained scenario: 553 ms of ffmpeg per generation, the machine's busiest part).
KNOWN_FILES = 1024

_STREAM = re.compile(r"^\s*Stream #\d+:\d+\S*: (?P<kind>Video|Audio): (?P<desc>.*)$", re.M)
_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_SIZE = re.compile(r"\b(\d{1,5})x(\d{1,5})\b")
_FPS = re.compile(r"(\d+(?:\.\d+)?)(k?) (fps|tbr)\b")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees")
_CHANNELS = re.compile(r"mono|stereo|quad|\d+\.\d+|\d+ channels")
_PIX_FMT = re.compile(r"[a-z][a-z0-9_]*")
_PARENS = re.compile(r"\([^()]*\)")
_OUT_TIME = re.compile(rb"^out_time_us=(\d+)$", re.M)


@dataclass(frozen=True)
class VideoInfo:
    """What a clip is made of. ``width``/``height`` are the displayed size (rotation applied).

    The trailing fields with defaults matter for joining clips without re-encoding.
    """

    width: int
    height: int
    fps: float
    codec: str
    pix_fmt: str
    duration: float
    has_audio: bool
    profile: str = ""
    audio_codec: str = ""
    audio_rate: int = 0
    audio_channels: str = ""
    rotation: int = 0


async def probe(path: Path) -> VideoInfo:
    """Describe the first video stream of the local file ``path``.

    Raises MediaError when the file is missing, not a regular file, or not a readable video.
    """
    path = local_file(path)
    key = _identity(path)
    if key is not None and (known := _KNOWN.get(key)) is not None:
        _KNOWN.move_to_end(key)
        return known
    info = await _probe(path)
    if key is not None and key == _identity(path):  # not replaced while it was read
        _KNOWN[key] = info
        while len(_KNOWN) > KNOWN_FILES:
            _KNOWN.popitem(last=False)
    return info


_KNOWN: OrderedDict[tuple[str, int, int, int], VideoInfo] = OrderedDict()


def _identity(path: Path) -> tuple[str, int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None  # the probe says what is wrong with it
    return str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns


async def _probe(path: Path) -> VideoInfo:
    # Without an output ffmpeg exits 1 after printing the input description.
    _, _, stderr = await run_ffmpeg(
        ["-loglevel", "info", *input_args(path)],
        timeout=PROBE_TIMEOUT,
        what="probe",
        check=False,
    )
    text = stderr.decode("utf-8", errors="replace")
    info = parse_ffmpeg_info(text)
    if info is None:
        raise MediaError(f"{path.name} is not a readable video: {stderr_tail(stderr, 2)}")
    if info.duration <= 0:
        info = replace(info, duration=await _measure_duration(path))
    if info.duration <= 0:
        raise MediaError(f"{path.name} is not a readable video: it has no duration")
    return info


def parse_ffmpeg_info(text: str) -> VideoInfo | None:
    """Parse ``ffmpeg -i`` output for input #0; None when it has no video stream."""
    if "Input #0" not in text:
        return None
    video: str | None = None
    audio: str | None = None
    for match in _STREAM.finditer(text):
        desc = match["desc"]
        if match["kind"] == "Video" and video is None and "(attached pic)" not in desc:
            video = desc
        elif match["kind"] == "Audio" and audio is None:
            audio = desc
    if video is None:
        return None

    codec, profile, pix_fmt, width, height, fps = _parse_video(video)
    if width <= 0 or height <= 0:
        return None
    rotation = 0
    if rot := _ROTATION.search(text):
        rotation = round(float(rot[1])) % 360
        if rotation in (90, 270):
            width, height = height, width
    duration = 0.0
    if dur := _DURATION.search(text):
        duration = int(dur[1]) * 3600 + int(dur[2]) * 60 + float(dur[3])

    audio_codec, audio_rate, audio_channels = "", 0, ""
    if audio is not None:
        parts = [p.strip() for p in _PARENS.sub("", audio).split(",")]
        audio_codec = parts[0].split()[0] if parts[0] else ""
        for part in parts[1:]:
            if part.endswith(" Hz"):
                audio_rate = int(part.split()[0])
            elif not audio_channels and _CHANNELS.fullmatch(part):
                audio_channels = part
    return VideoInfo(
        width=width,
        height=height,
        fps=fps,
        codec=codec,
        pix_fmt=pix_fmt,
        duration=duration,
        has_audio=audio is not None,
        profile=profile,
        audio_codec=audio_codec,
        audio_rate=audio_rate,
        audio_channels=audio_channels,
        rotation=rotation,
    )


def _parse_video(desc: str) -> tuple[str, str, str, int, int, float]:
    codec = desc.split()[0] if desc.split() else ""
    profile_match = re.match(r"\S+ \(([^()]*)\)", desc)
    profile = profile_match[1] if profile_match and " / " not in profile_match[1] else ""
    # Drop "(High)", "(avc1 / 0x...)", "(progressive)", "(tv, bt709)" so commas split cleanly.
    flat = desc
    while (stripped := _PARENS.sub("", flat)) != flat:
        flat = stripped
    parts = [p.strip() for p in flat.split(",")]
    pix_fmt = parts[1] if len(parts) > 1 and _PIX_FMT.fullmatch(parts[1]) else ""
    width = height = 0
    for part in parts[1:]:
        if size := _SIZE.search(part):
            width, height = int(size[1]), int(size[2])
            break
    rates = {m[3]: float(m[1]) * (1000 if m[2] else 1) for m in _FPS.finditer(flat)}
    fps = rates.get("fps") or rates.get("tbr") or 0.0
    return codec, profile, pix_fmt, width, height, fps


async def _measure_duration(path: Path) -> float:
    """Duration by reading the whole video stream (for containers that do not state it)."""
    _, stdout, _ = await run_ffmpeg(
        [
            "-loglevel",
            "error",
            *input_args(path),
            "-map",
            "0:v:0",
            "-c",
            "copy",
            "-f",
            "null",
            "-progress",
            "pipe:1",
            "-nostats",
            "-",
        ],
        timeout=PROBE_TIMEOUT,
        what="probe",
        check=False,
    )
    values = _OUT_TIME.findall(stdout)
    return int(values[-1]) / 1_000_000 if values else 0.0
