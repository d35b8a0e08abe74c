"""Bounds on checking members' start images (issue 19 item 4): a check decodes the whole picture,
so the number of checks at once is bounded for the whole process, a member has at most one in
flight, and a picture's size is read from its header before anything decodes it.

A PNG's size, bit depth and colour type are in its IHDR chunk, the first after the signature
(RFC 2083 §4.1.1: width, height, bit depth, colour type, ...); a JPEG's in its start-of-frame
segment (ITU T.81 B.2.2: SOFn marker, length, sample precision, height, width, components).
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

CONCURRENT_CHECKS = 2  # decodes at once in the process (each bounded by MAX_PIXELS)
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel
# SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class CheckBusy(Exception):
    """The member already has an image being checked."""


@dataclass(frozen=True, slots=True)
class Header:
    """What an image says of itself before it is decoded."""

    width: int
    height: int
    bits: int  # per sample: 8, or 16 (PNG) / 12 (JPEG)
    channels: int

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def decoded_bytes(self) -> int:
        """The memory of the decoded picture."""
        return self.pixels * self.channels * (2 if self.bits > 8 else 1)


def read_header(data: bytes, kind: str) -> Header | None:
    """The picture's size as its header states it; None when there is none to read."""
    return _png_header(data) if kind == "png" else _jpeg_header(data)


def _png_header(data: bytes) -> Header | None:
    if len(data) < 33 or data[12:16] != b"IHDR":
        return None
    width, height, bits, colour = struct.unpack(">IIBB", data[16:26])
    channels = _PNG_CHANNELS.get(colour)
    if channels is None or not width or not height:
        return None
    return Header(width, height, bits, channels)


def _jpeg_header(data: bytes) -> Header | None:
    at = 2  # after SOI
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _SOF:
            if at + 10 > len(data):
                return None
            bits, height, width, channels = struct.unpack(">BHHB", data[at + 4 : at + 10])
            return Header(width, height, bits, channels) if width and height else None
        if marker == 0xDA or length < 2:  # the scan starts: no frame header before it
            return None
        at += 2 + length
    return None


class ImageChecks:
    """At most `concurrent` image checks at once in the process, one per member."""

    def __init__(self, concurrent: int = CONCURRENT_CHECKS) -> None:
        self._concurrent = concurrent
        self._members: set[int] = set()
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @asynccontextmanager
    async def member(self, member_id: int) -> AsyncIterator[None]:
        """The member's one image being fetched and checked; `CheckBusy` when they already
        have one."""
        if member_id in self._members:
            raise CheckBusy
        self._members.add(member_id)
        try:
            yield
        finally:
            self._members.discard(member_id)

    @asynccontextmanager
    async def decoding(self) -> AsyncIterator[None]:
        """One of the process's `concurrent` decodes (waits for a free one)."""
        async with self._semaphore():
            yield

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:  # one per event loop (tests run many)
            self._slots, self._loop = asyncio.Semaphore(self._concurrent), loop
        return self._slots


IMAGE_CHECKS = ImageChecks()
"""The process's bound, as `media.ENCODES` is for ffmpeg encodes."""
