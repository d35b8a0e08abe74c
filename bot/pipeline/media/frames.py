"""A clip's last frame as a still image: where a chained scene starts (the next scene's start
image, `bot.pipeline.director.continuity`).

ffmpeg seeks to just before the end (`-sseof`, a position relative to the end of the input:
https://ffmpeg.org/ffmpeg.html#Main-options) and decodes from there, writing every frame over
the same image (the image2 muxer's `-update 1`: https://ffmpeg.org/ffmpeg-formats.html#image2-1),
so what is left is the last frame decoded. When the end holds no video frame (a container
whose audio outlasts its video), the whole clip is decoded instead (a clip is a few seconds).
The image is written to a temporary sibling and moved into place: a file at `dest` is always
complete, and the same clip gives the same bytes (a restart rebuilds the same inputs).
"""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.errors import MediaError
from bot.pipeline.media._ffmpeg import input_args, run_ffmpeg
from bot.pipeline.media._files import commit, discard, temp_sibling

TAIL_SECONDS = 2.0  # decoded from this far before the end (a keyframe before it, then forward)
TIMEOUT = 60.0
_CODECS = {".png": ["-c:v", "png"], ".jpg": ["-c:v", "mjpeg", "-q:v", "2"]}
_CODECS[".jpeg"] = _CODECS[".jpg"]


async def last_frame(clip: Path, dest: Path) -> Path:
    """Write the last frame of `clip` to `dest` (PNG or JPEG, by its suffix); return `dest`.
    Runs ffmpeg as a subprocess within the process's limit of concurrent encodes (it decodes
    and encodes an image). Raises MediaError when the clip has no decodable video frame."""
    codec = _CODECS.get(dest.suffix.lower())
    if codec is None:
        raise ValueError(f"a frame is written as .png or .jpg, not {dest.suffix!r}")
    return await _still(
        clip,
        dest,
        seeks=(["-sseof", f"-{TAIL_SECONDS:g}"], []),
        output=["-update", "1", *codec],
        what=f"taking the last frame of {clip.name}",
        missing=f"{clip.name} has no video frame to continue from",
    )


POSTER_AT = 0.5  # seconds in: past a fade from black, still the opening shot
POSTER_WIDTH = 640


async def poster_frame(film: Path, dest: Path) -> Path:
    """Write a JPEG still of `film` (half a second in, or its first frame when it is shorter),
    at most POSTER_WIDTH wide, to `dest`; return `dest`. Written to a temporary sibling and
    moved into place, so a file at `dest` is always complete. MediaError when no frame decodes."""
    return await _still(
        film,
        dest,
        seeks=(["-ss", f"{POSTER_AT:g}"], []),
        output=["-frames:v", "1", "-vf", f"scale='min({POSTER_WIDTH},iw)':-2", *_CODECS[".jpg"]],
        what=f"taking a poster frame of {film.name}",
        missing=f"{film.name} has no video frame for a poster",
    )


async def _still(
    src: Path,
    dest: Path,
    *,
    seeks: tuple[list[str], ...],
    output: list[str],
    what: str,
    missing: str,
) -> Path:
    """One still of `src`'s first video stream at `dest`, trying each seek in turn (the last
    usually none: the whole input) until one gives a frame; written to a temporary sibling and
    moved into place. MediaError(`missing`) when none does."""
    tmp = temp_sibling(dest)
    try:
        for seek in seeks:
            await run_ffmpeg(
                [
                    "-loglevel",
                    "error",
                    "-y",
                    *seek,
                    *input_args(src),
                    "-map",
                    "0:v:0",
                    "-an",
                    *output,
                    "-f",
                    "image2",
                    str(tmp),
                ],
                timeout=TIMEOUT,
                what=what,
                encode=True,
            )
            if tmp.exists() and tmp.stat().st_size > 0:
                return await commit(tmp, dest)
        raise MediaError(missing)
    finally:
        discard(tmp)
