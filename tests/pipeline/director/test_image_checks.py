"""Start images cost bounded memory to check (issue 19 item 4, second point): the size a
picture's header states is refused past 16 megapixels before anything decodes it, a 16-bit PNG
is made 8-bit, decodes are bounded process-wide and a member has one check at a time. On
de57d17 the 320 KB 6300x6300 16-bit PNG below was accepted (and cost 331 MB to decode)."""

from __future__ import annotations

import asyncio
import struct
import zlib
from pathlib import Path

import pytest

from bot.pipeline.clips.video_models import get_model
from bot.pipeline.director import start_image
from bot.pipeline.director.image_checks import CheckBusy, ImageChecks, read_header
from bot.pipeline.director.start_image import StartImageRefused
from tests.fakes.mp4 import make_image

MODEL = get_model("bytedance/seedance-1-lite")


def png(width: int, height: int, *, bits: int = 16, colour: int = 2) -> bytes:
    """A valid PNG of one colour, written row by row (a huge one stays a small file)."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = b"\0" + b"\x80" * (width * channels * bits // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, bits, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


async def test_a_small_file_of_a_huge_16_bit_picture_is_refused_before_any_decode() -> None:
    data = png(6300, 6300)
    assert len(data) < 400_000  # a few hundred KB

    with pytest.raises(StartImageRefused) as refused:
        await start_image.check(data, MODEL)

    assert "6300×6300 pixels: at most 16 megapixels" in refused.value.reason


async def test_a_16_bit_png_is_stored_as_8_bits() -> None:
    checked = await start_image.check(png(640, 360), MODEL)

    header = read_header(checked.data, "png")
    assert header is not None and header.bits == 8 and header.channels == 3
    assert (checked.width, checked.height, checked.kind) == (640, 360, "png")


async def test_a_16_bit_png_with_alpha_keeps_it() -> None:
    checked = await start_image.check(png(320, 320, colour=6), MODEL)

    header = read_header(checked.data, "png")
    assert header is not None and (header.bits, header.channels) == (8, 4)


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_the_header_states_the_size(tmp_path: Path, fmt: str) -> None:
    data = make_image(tmp_path / f"i.{fmt}", width=321, height=123, fmt=fmt).read_bytes()

    header = read_header(data, fmt)

    assert header is not None and (header.width, header.height, header.bits) == (321, 123, 8)


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0\x00"])
def test_no_header_reads_as_none(data: bytes) -> None:
    assert read_header(data, "png") is None and read_header(data, "jpeg") is None


async def test_a_member_has_one_check_at_a_time_and_decodes_are_bounded() -> None:
    checks = ImageChecks(concurrent=1)
    order: list[str] = []

    async def decode(name: str, hold: float) -> None:
        async with checks.decoding():
            order.append(f"{name}+")
            await asyncio.sleep(hold)
            order.append(f"{name}-")

    async with checks.member(1):
        with pytest.raises(CheckBusy):
            async with checks.member(1):
                pass
        async with checks.member(2):  # another member is not refused
            await asyncio.gather(decode("a", 0.05), decode("b", 0.0))
    async with checks.member(1):  # released: the member may check another
        pass

    assert order == ["a+", "a-", "b+", "b-"]  # one decode at a time with concurrent=1


async def test_an_8_bit_picture_just_over_16_megapixels_is_refused() -> None:
    with pytest.raises(StartImageRefused, match="4100×4100 pixels: at most 16 megapixels"):
        await start_image.check(png(4100, 4100, bits=8), MODEL)
