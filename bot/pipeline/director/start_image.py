"""A member's start image: fetched from Discord's CDN only, checked by its content, kept.

The image a member attaches to `/generate` (or gives the terminal with `--image`) becomes the
first frame of scene 1. Before anything is stored or spent it must be fetched from one of the
allowed CDN hosts (`START_IMAGE_HOSTS`, Discord's own by default) through the same guarded
download as clips (host checked on every redirect, size capped while streaming, a timeout),
and pass `check`: a PNG or JPEG by its bytes (not its name or the type Discord reports),
decodable by ffmpeg, within the size limit, and of a size and shape the video model takes.
Every refusal is a `StartImageRefused` whose reason the member reads.
"""

from __future__ import annotations

import asyncio
import base64
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.pipeline import media
from bot.pipeline.clips.video_models import VideoModel, with_start_image
from bot.pipeline.director.image_checks import IMAGE_CHECKS, read_header
from bot.pipeline.errors import GenerationError, MediaError
from bot.pipeline.media._ffmpeg import file_url, local_file, run_ffmpeg, stderr_tail
from bot.pipeline.media.probe import parse_ffmpeg_info

# Kling, the strictest of the models, takes images "up to 10MB" (its image-to-video reference,
# see bot/pipeline/clips/video_models.py); Replicate's files API takes up to 100 MB.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
DISCORD_CDN_HOSTS = ("cdn.discordapp.com", "media.discordapp.net")
FETCH_TIMEOUT = 30.0  # seconds (the command is answered, privately, before the fetch)
DECODE_TIMEOUT = 15.0
# A small file can decode to a huge picture (a PNG of one colour compresses ~1000:1; a 320 KB
# 16-bit PNG of 6300x6300 took 331 MB to check): the size its header states is refused past
# MAX_PIXELS before anything decodes it (`image_checks.read_header`), and ffmpeg's `max_pixels`
# ("Maximum number of pixels per image", an AVCodecContext option) refuses to decode past it in
# case the header lied. 16 megapixels is 4096x4096, more than any video model's frame; a 16-bit
# picture is turned into an 8-bit one by the check's decode (what is stored, uploaded and shown).
MAX_PIXELS = 16_000_000
_TOO_MANY_PIXELS = re.compile(r"Picture size (\d+)x(\d+) exceeds specified max pixel count")
# Magic numbers: PNG's 8-byte signature (RFC 2083 §12.12); JPEG's SOI marker followed by the
# first segment's marker (ITU T.81 B.1.1.2). Kling, the strictest model, takes .jpg/.jpeg/.png.
_SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff"}
_DEMUXERS = {"png": "png_pipe", "jpeg": "jpeg_pipe"}
_CODECS = {"png": "png", "jpeg": "mjpeg"}


class StartImageRefused(GenerationError):
    """The start image cannot be used; `reason` tells the member why (nothing was spent)."""


@dataclass(frozen=True)
class StartImage:
    """A checked start image: its bytes, what they are, and its size in pixels."""

    data: bytes
    kind: str  # "png" | "jpeg"
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return f"image/{self.kind}"

    @property
    def suffix(self) -> str:
        return ".png" if self.kind == "png" else ".jpg"

    def data_url(self) -> str:
        """The image as a data URL (the analysis model's vision input)."""
        return f"data:{self.content_type};base64,{base64.b64encode(self.data).decode()}"

    async def save(self, folder: Path, name: str = "start-image") -> Path:
        """Write the image into `folder` (the generation's media folder) as `name` (a member's
        picture of a character: "cast-image"); returns its path."""
        path = folder / f"{name}{self.suffix}"
        await asyncio.to_thread(_write, path, self.data)
        return path


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(path.suffix + ".part")
    part.write_bytes(data)
    part.replace(path)


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def require_model(model: VideoModel) -> None:
    """Refuse a start image for a model that cannot take one, naming those that can."""
    if model.start_image is None:
        others = ", ".join(f"`{name}`" for name in with_start_image()) or "none"
        raise StartImageRefused(
            f"The video model this bot uses ({model.name}) cannot start from an image. "
            f"Models that can: {others} (the operator chooses one with VIDEO_MODEL)."
        )


def sniff(data: bytes) -> str | None:
    """ "png" or "jpeg" by the file's first bytes; None for anything else."""
    for kind, signature in _SIGNATURES.items():
        if data.startswith(signature):
            return kind
    return None


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    allowed_hosts: Sequence[str],
    announced_size: int | None = None,
    max_bytes: int = MAX_IMAGE_BYTES,
    timeout: float = FETCH_TIMEOUT,
) -> bytes:
    """The attachment's bytes, fetched through the clips' guarded download (allowed hosts on
    every hop, at most `max_bytes`, within `timeout`). A size Discord announced over the
    limit is refused before anything is fetched."""
    if announced_size is not None and announced_size > max_bytes:
        raise too_large(announced_size, max_bytes)
    if not media.host_allowed(url, allowed_hosts):
        raise StartImageRefused("The image has to be attached to the command (Discord's CDN).")
    with tempfile.TemporaryDirectory(prefix="reelbot-start-") as folder:
        dest = Path(folder) / "image"
        try:
            await media.download(
                session,
                url,
                dest,
                allowed_hosts=allowed_hosts,
                max_bytes=max_bytes,
                timeout=timeout,
                what="image",
            )
        except MediaError as exc:
            if "too large" in exc.reason:
                raise too_large(None, max_bytes) from None
            raise StartImageRefused(f"Your image could not be fetched ({exc.reason}).") from None
        return await asyncio.to_thread(dest.read_bytes)


def too_large(size: int | None, max_bytes: int) -> StartImageRefused:
    shown = f" ({megabytes(size)})" if size is not None else ""
    return StartImageRefused(
        f"The image is too large{shown}: the limit is {megabytes(max_bytes)}. "
        "Send a smaller PNG or JPEG."
    )


async def check(
    data: bytes,
    model: VideoModel,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> StartImage:
    """`data` as a `StartImage` for `model`, or `StartImageRefused` saying what is wrong."""
    require_model(model)
    assert model.start_image is not None
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    kind = sniff(data)
    if kind is None:
        raise StartImageRefused(
            "That file is not a PNG or JPEG image (checked by its content, not its name)."
        )
    header = read_header(data, kind)
    if header is None:
        raise StartImageRefused(f"That file could not be read as a {kind.upper()} image.")
    if header.pixels > max_pixels:
        raise too_many_pixels(f"{header.width}×{header.height} pixels", max_pixels)
    if header.bits > 8 and kind == "png":
        data = await eight_bits(data, max_pixels=max_pixels)
    width, height = await decode_size(data, kind, max_pixels=max_pixels)
    spec = model.start_image
    if min(width, height) < spec.min_side:
        raise StartImageRefused(
            f"The image is {width}×{height} pixels: {model.name} needs at least "
            f"{spec.min_side} pixels on each side."
        )
    ratio = max(width, height) / min(width, height)
    if ratio > spec.max_ratio:
        raise StartImageRefused(
            f"The image is {width}×{height} pixels, too long and thin: {model.name} takes "
            f"shapes between 1:{spec.max_ratio:g} and {spec.max_ratio:g}:1."
        )
    return StartImage(data, kind, width, height)


async def decode_size(
    data: bytes, kind: str, *, max_pixels: int = MAX_PIXELS, timeout: float = DECODE_TIMEOUT
) -> tuple[int, int]:
    """The image's width and height, after ffmpeg decoded it whole as `kind` (a file that
    only starts like a PNG or JPEG is refused here, and one of more than `max_pixels`)."""
    with tempfile.TemporaryDirectory(prefix="reelbot-image-") as folder:
        path = Path(folder) / f"image.{kind}"
        await asyncio.to_thread(path.write_bytes, data)
        args = [
            "-loglevel",
            "info",
            "-xerror",
            "-protocol_whitelist",
            "file",
            "-format_whitelist",
            _DEMUXERS[kind],
            "-max_pixels",
            str(max_pixels),
            "-f",
            _DEMUXERS[kind],
            "-i",
            file_url(local_file(path)),
            "-frames:v",
            "1",
            "-f",
            "null",
            "-",
        ]
        try:
            async with IMAGE_CHECKS.decoding():  # a bounded number at once in the process
                code, _, stderr = await run_ffmpeg(
                    args, timeout=timeout, what="image check", check=False
                )
        except MediaError as exc:  # ffmpeg took too long, or could not start
            raise StartImageRefused(f"Your image could not be checked ({exc.reason}).") from exc
    text = stderr.decode("utf-8", errors="replace")
    info = parse_ffmpeg_info(text)
    if too_big := _TOO_MANY_PIXELS.search(text):
        raise too_many_pixels(f"{too_big[1]}×{too_big[2]} pixels", max_pixels)
    if code != 0 or info is None or info.codec.rstrip(",") != _CODECS[kind]:
        raise StartImageRefused(
            f"That file could not be read as a {kind.upper()} image "
            f"({stderr_tail(stderr, 1) if code else 'no picture in it'})."
        )
    return info.width, info.height


def too_many_pixels(shown: str, max_pixels: int) -> StartImageRefused:
    return StartImageRefused(
        f"The image is {shown}: at most {max_pixels / 1e6:g} megapixels, please."
    )


async def eight_bits(data: bytes, *, max_pixels: int, timeout: float = DECODE_TIMEOUT) -> bytes:
    """A 16-bit PNG as an 8-bit one (RGB, or RGBA when it has alpha): the video models take
    8 bits, and the 8-bit picture is half the memory wherever it is decoded again."""
    with tempfile.TemporaryDirectory(prefix="reelbot-image-") as folder:
        source, dest = Path(folder) / "image.png", Path(folder) / "image-8bit.png"
        await asyncio.to_thread(source.write_bytes, data)
        header = read_header(data, "png")
        alpha = header is not None and header.channels in (2, 4)
        args = [
            "-loglevel",
            "error",
            "-protocol_whitelist",
            "file",
            "-max_pixels",
            str(max_pixels),
            "-f",
            "png_pipe",
            "-i",
            file_url(local_file(source)),
            "-frames:v",
            "1",
            "-pix_fmt",
            "rgba" if alpha else "rgb24",
            "-c:v",
            "png",
            "-f",
            "image2",
            "-update",
            "1",
            file_url(dest),
        ]
        try:
            async with IMAGE_CHECKS.decoding():
                code, _, stderr = await run_ffmpeg(
                    args, timeout=timeout, what="image check", check=False
                )
        except MediaError as exc:
            raise StartImageRefused(f"Your image could not be checked ({exc.reason}).") from exc
        if code != 0 or not dest.exists():
            raise StartImageRefused(
                f"That file could not be read as a PNG image ({stderr_tail(stderr, 1)})."
            )
        return await asyncio.to_thread(dest.read_bytes)


async def data_url(path: Path) -> str:
    """A stored start image as a data URL (the analysis model's vision input); the file was
    checked when it was stored."""
    try:
        data = await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        raise StartImageRefused("the start image is no longer on the bot's server") from exc
    kind = sniff(data) or "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"
