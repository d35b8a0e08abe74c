"""Looking into films with the bundled ffmpeg (there is no ffprobe): streams, loudness of a
span, and the video packets (to tell a stream copy from a re-encode)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import imageio_ffmpeg

_FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def streams(path: Path) -> list[str]:
    """The kinds of the file's streams, in order ("Video", "Audio")."""
    out = subprocess.run([_FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    return re.findall(r"Stream #\d+:\d+\S*: (Video|Audio)", out.stderr)


def mean_volume(path: Path, start: float, end: float) -> float:
    """ffmpeg volumedetect's mean volume (dB) of the audio between `start` and `end`."""
    out = subprocess.run(
        [_FFMPEG, "-hide_banner", "-ss", f"{start}", "-to", f"{end}", "-i", str(path),
         "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    found = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", out)
    assert found, out
    return float(found.group(1)) if found.group(1) != "-inf" else -200.0


def video_packets(path: Path) -> list[tuple[str, str]]:
    """(size, md5) of every video packet, read without decoding (``-c copy -f framemd5``)."""
    out = subprocess.run(
        [_FFMPEG, "-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy",
         "-f", "framemd5", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rows = [line.split(",") for line in out.splitlines() if line and not line.startswith("#")]
    return [(row[4].strip(), row[5].strip()) for row in rows]


def video_codec_line(path: Path) -> str:
    """The video stream's description as ffmpeg prints it (codec, profile, size, rate)."""
    out = subprocess.run([_FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    found = re.search(r"Stream #\d+:\d+\S*: Video: (.*)", out.stderr)
    assert found, out.stderr
    # the bit rate and the container's default/handler notes differ between files
    return re.sub(r",? \d+ kb/s|\(\w+\) \(\w+ / 0x\w+\)|\s*\(default\)", "", found.group(1)).strip()


def describe(path: Path) -> str:
    """What ``ffmpeg -i`` prints about the file (its input description)."""
    return subprocess.run(
        [_FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True
    ).stderr
