"""Real, tiny mp4 files for tests, made with the bundled static ffmpeg.

``make_clip`` writes a short solid-colour (or test-pattern) video, optionally opening on a
short run of another colour (the fake Replicate's clip started from an image); ``frame_rgb``
decodes one frame down to a single pixel so a test can check which clip plays at a given time.
``make_image`` writes a still image (PNG or JPEG) and ``image_rgb`` reads an image's average
colour the same way.
Synchronous on purpose: call them while arranging a test, not from inside the code under test.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

import imageio_ffmpeg

Pattern = Literal["color", "testsrc2", "noise"]


@functools.cache
def _ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def _source(
    pattern: Pattern,
    *,
    color: str,
    width: int,
    height: int,
    fps: int,
    first_color: str | None = None,
    first_seconds: float = 0.25,
) -> str:
    size = f"{width}x{height}"
    if first_color is not None:  # a lavfi graph: the opening colour, then the clip's own
        if pattern != "color":
            raise ValueError("first_color needs pattern='color'")
        return (
            f"color=c={first_color}:s={size}:r={fps}:d={first_seconds:.3f}[a];"
            f"color=c={color}:s={size}:r={fps}[b];[a][b]concat=n=2:v=1:a=0[out0]"
        )
    if pattern == "color":
        return f"color=c={color}:s={size}:r={fps}"
    if pattern == "testsrc2":
        return f"testsrc2=s={size}:r={fps}"
    if pattern == "noise":
        # Temporal noise over a colour: nearly incompressible, so files get big quickly.
        return f"color=c={color}:s={size}:r={fps},noise=alls=100:allf=t+u"
    raise ValueError(f"unknown pattern {pattern!r}")


def make_clip(
    path: Path,
    *,
    seconds: float,
    width: int,
    height: int,
    fps: int = 12,
    color: str = "blue",
    codec: str = "libx264",
    pattern: Pattern = "color",
    audio: bool = False,
    first_color: str | None = None,
    first_seconds: float = 0.25,
) -> Path:
    """Write a real mp4 at ``path`` (atomically) and return ``path``.

    ``codec="mpeg4"`` gives a clip that differs in codec from the default libx264 ones, for
    tests of the re-encoding path. ``pattern="testsrc2"`` or ``"noise"`` gives a clip large
    enough to need shrinking. ``audio=True`` adds a quiet AAC sine track. ``first_color``
    opens the clip on ``first_seconds`` of that colour (e.g. ``"0x2040c0"``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        _ffmpeg(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        _source(
            pattern,
            color=color,
            width=width,
            height=height,
            fps=fps,
            first_color=first_color,
            first_seconds=first_seconds,
        ),
    ]
    if audio:
        cmd += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050"]
    cmd += ["-t", f"{seconds:.3f}", "-map", "0:v"]
    if audio:
        cmd += ["-map", "1:a", "-c:a", "aac", "-b:a", "32k"]
    else:
        cmd += ["-an"]
    cmd += ["-c:v", codec]
    if codec == "libx264":
        cmd += ["-preset", "ultrafast"]
    elif codec == "mpeg4":
        cmd += ["-q:v", "5"]
    cmd += ["-pix_fmt", "yuv420p", "-movflags", "+faststart"]

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp.mp4", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o644)
    try:
        subprocess.run(
            [*cmd, "-f", "mp4", str(tmp)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        os.replace(tmp, path)
    except subprocess.CalledProcessError as exc:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed: {exc.stderr.decode(errors='replace')}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def frame_rgb(path: Path, at_seconds: float) -> tuple[int, int, int]:
    """The average colour of the frame at ``at_seconds``, as one RGB pixel."""
    proc = subprocess.run(
        [
            _ffmpeg(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-ss",
            f"{at_seconds:.3f}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-vf",
            "scale=1:1:flags=area",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        check=False,
        capture_output=True,
        timeout=60,
    )
    if proc.returncode != 0 or len(proc.stdout) < 3:
        raise RuntimeError(
            f"could not decode a frame of {path} at {at_seconds}s: "
            f"{proc.stderr.decode(errors='replace')}"
        )
    r, g, b = proc.stdout[:3]
    return (r, g, b)


def make_image(
    path: Path, *, width: int, height: int, color: str = "0x2040c0", fmt: str = "png"
) -> Path:
    """Write a solid-colour still image (``fmt`` "png" or "jpeg") at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    codec = {"png": ["-c:v", "png"], "jpeg": ["-c:v", "mjpeg", "-q:v", "2"]}[fmt]
    subprocess.run(
        [
            _ffmpeg(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"color=c={color}:s={width}x{height}",
            "-frames:v",
            "1",
            *codec,
            "-f",
            "image2",
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return path


def image_rgb(data: bytes) -> tuple[int, int, int] | None:
    """The average colour of an image given as bytes; None when ffmpeg cannot decode it."""
    proc = subprocess.run(
        [
            _ffmpeg(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            "pipe:0",
            "-frames:v",
            "1",
            "-vf",
            "scale=1:1:flags=area",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        input=data,
        check=False,
        capture_output=True,
        timeout=60,
    )
    if proc.returncode != 0 or len(proc.stdout) < 3:
        return None
    r, g, b = proc.stdout[:3]
    return (r, g, b)


def image_size(data: bytes) -> tuple[int, int] | None:
    """An image's width and height as ffmpeg reads them; None when it is not an image."""
    import re

    proc = subprocess.run(
        [_ffmpeg(), "-hide_banner", "-i", "pipe:0", "-frames:v", "1", "-f", "null", "-"],
        input=data,
        check=False,
        capture_output=True,
        timeout=60,
    )
    text = proc.stderr.decode(errors="replace")
    match = re.search(
        r"Stream #0:0\S*: Video: (png|mjpeg|webp|gif|bmp)\b.*?(\d{2,5})x(\d{2,5})", text
    )
    if proc.returncode != 0 or match is None:
        return None
    return int(match[2]), int(match[3])
