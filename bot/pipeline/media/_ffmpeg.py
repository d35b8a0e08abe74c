"""Running the bundled ffmpeg as an asyncio subprocess, safely.

Every input goes through ``input_args``: only regular local files, opened through the
``file:`` protocol with ``-protocol_whitelist file`` and a short list of container formats,
so a file that claims to be a playlist cannot make ffmpeg open the network or other files.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import stat
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import imageio_ffmpeg

from bot.pipeline.errors import MediaError
from bot.pipeline.media._child import Child, start_child

log = logging.getLogger(__name__)

# Demuxers a clip may use. "mov,mp4,m4a,3gp,3g2,mj2" is a single demuxer's name in ffmpeg.
CLIP_FORMATS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"

#: Default limit for a whole ffmpeg run (stitching or transcoding a few short clips).
DEFAULT_TIMEOUT = 600.0


def default_encode_concurrency() -> int:
    """Half the CPUs this process may run on, at least one: libx264 spreads one encode over
    every core already, and the event loop, downloads and uploads need some CPU too."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cpus or 1) // 2)


class EncodeSlots:
    """The process-wide cap on concurrent re-encodes (``FFMPEG_CONCURRENCY``): the CPU is the
    whole process's, whoever asks for an encode (stitching, shrinking for an upload). Stream
    copies, probes and thumbnails are cheap and not counted. One semaphore per event loop."""

    def __init__(self) -> None:
        self.limit = default_encode_concurrency()
        self.waiting = 0  # re-encodes waiting for a slot now
        self.running = 0  # re-encodes holding a slot now
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def configure(self, limit: int | None) -> None:
        """At most `limit` re-encodes at once (None: derived from the CPU count)."""
        self.limit = limit or default_encode_concurrency()
        self._by_loop.clear()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        semaphore = self._by_loop.get(loop)
        if semaphore is None:
            semaphore = self._by_loop[loop] = asyncio.Semaphore(self.limit)
        self.waiting += 1
        try:
            await semaphore.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            semaphore.release()


ENCODES = EncodeSlots()


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the static ffmpeg shipped with ``imageio-ffmpeg`` (looked up once)."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def local_file(path: Path) -> Path:
    """``path`` made absolute, after checking it is an existing regular file (not a link).

    Raises MediaError otherwise; nothing else is ever handed to ffmpeg as an input.
    """
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        raise MediaError(f"media file {path.name!r} is missing: {exc.strerror}") from exc
    if not stat.S_ISREG(mode):
        raise MediaError(f"media file {path.name!r} is not a regular file")
    if any(ch in str(path) for ch in "\r\n\0"):
        raise MediaError(f"media file name {path.name!r} contains a control character")
    return path.absolute()


def file_url(path: Path) -> str:
    """``file:`` URL for ffmpeg, so a name containing ``:`` is never read as a protocol."""
    return "file:" + str(Path(path).absolute())


def input_args(path: Path, *, formats: str = CLIP_FORMATS) -> list[str]:
    """``-i`` arguments for one local input file, with protocol and format whitelists."""
    return [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        formats,
        "-i",
        file_url(local_file(path)),
    ]


def stderr_tail(stderr: bytes, lines: int = 3) -> str:
    """The last few non-empty lines of ffmpeg's stderr, for an error message."""
    text = stderr.decode("utf-8", errors="replace").strip().splitlines()
    tail = [line.strip() for line in text if line.strip()][-lines:]
    return " | ".join(tail) or "no output"


async def run_ffmpeg(
    args: Sequence[str],
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    what: str = "ffmpeg",
    check: bool = True,
    encode: bool = False,
) -> tuple[int, bytes, bytes]:
    """Run ffmpeg with ``args``; return ``(returncode, stdout, stderr)``.

    The child is killed (and reaped) when the calling task is cancelled or ``timeout``
    passes. With ``check`` a non-zero exit raises MediaError naming ``what``. An ``encode``
    (a re-encode, CPU-heavy) first waits for one of the process's ``ENCODES`` slots; the
    timeout counts from its start.
    """
    if encode:
        async with ENCODES.slot():
            return await run_ffmpeg(args, timeout=timeout, what=what, check=check)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    log.debug("running %s", cmd)
    try:
        proc = await start_child(cmd)
    except OSError as exc:
        raise MediaError(f"{what}: cannot start ffmpeg ({exc})") from exc
    try:
        async with asyncio.timeout(timeout):
            stdout, stderr = await proc.communicate()
    except TimeoutError:
        await _kill(proc)
        raise MediaError(f"{what}: ffmpeg took longer than {timeout:g}s") from None
    except BaseException:  # cancelled: never leave ffmpeg running behind us
        await _kill(proc)
        raise
    returncode = proc.returncode if proc.returncode is not None else -1
    if check and returncode != 0:
        raise MediaError(f"{what} failed: {stderr_tail(stderr)}")
    return returncode, stdout, stderr


async def _kill(proc: Child) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    # Reap it even if we are being cancelled again meanwhile.
    await asyncio.shield(proc.wait())
