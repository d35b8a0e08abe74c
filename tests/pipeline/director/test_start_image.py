"""bot/pipeline/director/start_image.py: fetched from allowed hosts only, checked by content."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.pipeline.clips.video_models import get_model
from bot.pipeline.director import start_image
from bot.pipeline.director.start_image import MAX_IMAGE_BYTES, StartImageRefused, check, fetch
from tests.fakes.mp4 import make_image

SEEDANCE = get_model("bytedance/seedance-1-lite")
KLING = get_model("kwaivgi/kling-v1.6-standard")
WAN = get_model("wan-video/wan-2.2-t2v-fast")


def image(tmp_path: Path, width: int = 640, height: int = 360, fmt: str = "png") -> bytes:
    return make_image(tmp_path / f"i.{fmt}", width=width, height=height, fmt=fmt).read_bytes()


async def refused(data: bytes, model=SEEDANCE) -> str:
    with pytest.raises(StartImageRefused) as caught:
        await check(data, model)
    return caught.value.reason


# -- check: by content ------------------------------------------------------------------------


async def test_a_png_and_a_jpeg_pass_with_their_size(tmp_path: Path) -> None:
    png = await check(image(tmp_path), SEEDANCE)
    jpeg = await check(image(tmp_path, 720, 1280, "jpeg"), KLING)

    assert (png.kind, png.width, png.height, png.content_type) == ("png", 640, 360, "image/png")
    assert (jpeg.kind, jpeg.width, jpeg.height, jpeg.suffix) == ("jpeg", 720, 1280, ".jpg")
    assert png.data_url().startswith("data:image/png;base64,iVBORw0KGgo")


async def test_text_is_not_an_image_whatever_its_name(tmp_path: Path) -> None:
    assert "not a PNG or JPEG" in await refused(b"just some notes, saved as seal.png\n" * 40)


async def test_a_file_that_only_starts_like_a_png_is_refused(tmp_path: Path) -> None:
    data = image(tmp_path)
    reason = await refused(data[:40] + b"\0" * 400)  # a signature, then no picture

    assert "could not be read as a PNG" in reason


async def test_a_jpeg_header_on_png_data_is_refused(tmp_path: Path) -> None:
    data = b"\xff\xd8\xff" + image(tmp_path)[3:]

    assert "could not be read as a JPEG" in await refused(data)


async def test_too_large_says_the_limit() -> None:
    reason = await refused(b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_IMAGE_BYTES)

    assert "too large (10.0 MB)" in reason and "the limit is 10.0 MB" in reason


async def test_too_small_for_the_model(tmp_path: Path) -> None:
    reason = await refused(image(tmp_path, 320, 180))

    assert "320×180" in reason and "at least 300 pixels on each side" in reason


async def test_an_extreme_aspect_ratio_is_refused(tmp_path: Path) -> None:
    reason = await refused(image(tmp_path, 1600, 400))  # 4:1

    assert "1600×400" in reason and "between 1:2.5 and 2.5:1" in reason
    assert (await check(image(tmp_path, 1000, 400), SEEDANCE)).width == 1000  # 2.5:1 passes


async def test_a_model_without_an_image_input_names_those_with_one(tmp_path: Path) -> None:
    reason = await refused(image(tmp_path), WAN)

    assert "cannot start from an image" in reason
    assert "`bytedance/seedance-1-lite`" in reason and "`google/veo-3-fast`" in reason
    assert "wan-video/wan-2.2-t2v-fast)" in reason


# -- fetch: Discord's CDN only, capped ----------------------------------------------------------


@pytest.fixture
async def cdn(tmp_path: Path) -> AsyncIterator[tuple[str, dict[str, int]]]:
    """A loopback "CDN": /seal.png, /big (30 MB, its length announced), /endless (streamed
    without a length), /away (a redirect to another host), /gone (404)."""
    data = image(tmp_path)
    hits = {"count": 0}

    async def seal(request: web.Request) -> web.Response:
        hits["count"] += 1
        return web.Response(body=data, content_type="image/png")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"\0" * (30 * 1024 * 1024))

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(12):
            await response.write(b"\0" * 1024 * 1024)
        return response

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://localhost:9/seal.png")

    app = web.Application()
    app.router.add_get("/seal.png", seal)
    app.router.add_get("/big", big)
    app.router.add_get("/endless", endless)
    app.router.add_get("/away", away)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", hits
    finally:
        await runner.cleanup()


async def test_fetched_from_an_allowed_host(cdn, tmp_path: Path) -> None:
    base, _ = cdn
    async with aiohttp.ClientSession() as http:
        data = await fetch(http, f"{base}/seal.png", allowed_hosts=("127.0.0.1",))

    assert (await check(data, SEEDANCE)).width == 640


async def test_never_from_another_host(cdn) -> None:
    base, hits = cdn
    async with aiohttp.ClientSession() as http:
        with pytest.raises(StartImageRefused) as caught:
            await fetch(http, f"{base}/seal.png", allowed_hosts=start_image.DISCORD_CDN_HOSTS)

    assert "attached to the command" in caught.value.reason
    assert hits["count"] == 0  # nothing was even asked of the host


async def test_a_redirect_off_the_cdn_is_not_followed(cdn) -> None:
    base, _ = cdn
    async with aiohttp.ClientSession() as http:
        with pytest.raises(StartImageRefused) as caught:
            await fetch(http, f"{base}/away", allowed_hosts=("127.0.0.1",))

    assert "could not be fetched" in caught.value.reason and "not allowed" in caught.value.reason


async def test_an_announced_size_over_the_limit_is_refused_unfetched(cdn) -> None:
    base, hits = cdn
    async with aiohttp.ClientSession() as http:
        with pytest.raises(StartImageRefused) as caught:
            await fetch(
                http, f"{base}/seal.png", allowed_hosts=("127.0.0.1",), announced_size=30 << 20
            )

    assert "too large (30.0 MB)" in caught.value.reason and hits["count"] == 0


@pytest.mark.parametrize("path", ["/big", "/endless"])
async def test_a_body_over_the_limit_is_cut_off(cdn, path: str) -> None:
    base, _ = cdn
    async with aiohttp.ClientSession() as http:
        with pytest.raises(StartImageRefused) as caught:
            await fetch(http, f"{base}{path}", allowed_hosts=("127.0.0.1",), timeout=10)

    assert "the limit is 10.0 MB" in caught.value.reason


async def test_a_missing_file_is_refused(cdn) -> None:
    base, _ = cdn
    async with aiohttp.ClientSession() as http:
        with pytest.raises(StartImageRefused) as caught:
            await fetch(http, f"{base}/gone", allowed_hosts=("127.0.0.1",))

    assert "HTTP 404" in caught.value.reason


async def test_a_stored_image_is_read_back_as_a_data_url(tmp_path: Path) -> None:
    checked = await check(image(tmp_path, fmt="jpeg"), SEEDANCE)
    path = await checked.save(tmp_path / "media" / "7")

    assert path.name == "start-image.jpg"
    assert await start_image.data_url(path) == checked.data_url()
    with pytest.raises(StartImageRefused):
        await start_image.data_url(tmp_path / "nowhere.png")


async def test_an_image_of_too_many_pixels_is_not_decoded(tmp_path: Path) -> None:
    with pytest.raises(StartImageRefused) as caught:
        await check(image(tmp_path, 640, 360), SEEDANCE, max_pixels=100_000)

    assert caught.value.reason == "The image is 640×360 pixels: at most 0.1 megapixels, please."


async def test_a_check_that_takes_too_long_is_a_refusal_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(StartImageRefused) as caught:
        await start_image.decode_size(image(tmp_path), "png", timeout=0.0001)

    assert "could not be checked" in caught.value.reason and "took longer" in caught.value.reason
