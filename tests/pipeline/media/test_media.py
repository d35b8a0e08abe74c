"""The media layer on real files: tiny mp4s made by ffmpeg, a loopback HTTP server."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.pipeline.errors import MediaError
from bot.pipeline.media import (
    _child,
    _ffmpeg,
    download,
    fit_to_size,
    host_allowed,
    probe,
    stitch,
)
from bot.pipeline.media._child import Child
from bot.pipeline.media._ffmpeg import run_ffmpeg
from bot.pipeline.media.stitch import concat_line
from tests.fakes.mp4 import frame_rgb, make_clip

RED, GREEN, BLUE = 0, 1, 2


def dominant(rgb: tuple[int, int, int]) -> int:
    """Index of the strongest channel of a decoded pixel."""
    return max(range(3), key=lambda i: rgb[i])


def clips(tmp_path: Path, *specs: dict[str, object]) -> list[Path]:
    made = []
    for i, spec in enumerate(specs):
        kwargs: dict[str, object] = {"seconds": 1.0, "width": 64, "height": 36, **spec}
        made.append(make_clip(tmp_path / f"clip{i}.mp4", **kwargs))  # type: ignore[arg-type]
    return made


# --- stitch -------------------------------------------------------------------------------


async def test_uniform_clips_are_joined_by_stream_copy_in_order(tmp_path: Path) -> None:
    parts = clips(tmp_path, {"color": "red"}, {"color": "green"}, {"color": "blue"})

    result = await stitch(parts, tmp_path / "out" / "film.mp4")

    assert result.reencoded is False
    assert result.path == tmp_path / "out" / "film.mp4"
    assert result.duration == pytest.approx(3.0, abs=0.25)
    info = await probe(result.path)
    assert (info.codec, info.width, info.height) == ("h264", 64, 36)
    colors = [dominant(frame_rgb(result.path, t)) for t in (0.5, 1.5, 2.5)]
    assert colors == [RED, GREEN, BLUE]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["film.mp4"]


async def test_one_clip_still_produces_dest(tmp_path: Path) -> None:
    (clip,) = clips(tmp_path, {"color": "green"})

    result = await stitch([clip], tmp_path / "film.mp4")

    assert result.path.is_file() and result.path != clip
    assert result.reencoded is False
    assert result.duration == pytest.approx(1.0, abs=0.2)


async def test_clips_of_different_sizes_are_reencoded_to_the_first_size(tmp_path: Path) -> None:
    parts = clips(
        tmp_path,
        {"color": "red"},
        {"color": "blue", "width": 48, "height": 64},  # portrait: letterboxed into 64x36
    )

    result = await stitch(parts, tmp_path / "film.mp4")

    assert result.reencoded is True
    assert result.duration == pytest.approx(2.0, abs=0.25)
    info = await probe(result.path)
    assert (info.codec, info.pix_fmt, info.width, info.height) == ("h264", "yuv420p", 64, 36)
    assert dominant(frame_rgb(result.path, 0.5)) == RED
    assert dominant(frame_rgb(result.path, 1.5)) == BLUE


async def test_clips_of_different_codecs_are_reencoded(tmp_path: Path) -> None:
    parts = clips(tmp_path, {"color": "green"}, {"color": "red", "codec": "mpeg4"})

    result = await stitch(parts, tmp_path / "film.mp4")

    assert result.reencoded is True
    assert result.duration == pytest.approx(2.0, abs=0.25)
    assert (await probe(result.path)).codec == "h264"
    assert [dominant(frame_rgb(result.path, t)) for t in (0.5, 1.5)] == [GREEN, RED]


async def test_a_clip_without_audio_gets_silence_when_another_has_sound(tmp_path: Path) -> None:
    parts = clips(tmp_path, {"color": "red", "audio": True}, {"color": "blue"})

    result = await stitch(parts, tmp_path / "film.mp4")

    assert result.reencoded is True
    info = await probe(result.path)
    assert info.has_audio is True
    assert info.duration == pytest.approx(2.0, abs=0.25)


async def test_stitch_rejects_what_is_not_a_video_file(tmp_path: Path) -> None:
    (good,) = clips(tmp_path, {})
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video")
    with pytest.raises(MediaError, match="not a readable video"):
        await stitch([good, text], tmp_path / "film.mp4")
    with pytest.raises(MediaError, match="missing"):
        await stitch([good, tmp_path / "nope.mp4"], tmp_path / "film.mp4")
    with pytest.raises(MediaError, match="not a regular file"):
        await stitch([tmp_path], tmp_path / "film.mp4")
    with pytest.raises(MediaError, match="no clips"):
        await stitch([], tmp_path / "film.mp4")
    assert not (tmp_path / "film.mp4").exists()
    assert [name for name in leftovers(tmp_path) if name.startswith(".")] == []


async def test_stitch_handles_quotes_and_spaces_in_names(tmp_path: Path) -> None:
    odd = tmp_path / "it's a clip"
    odd.mkdir()
    a = make_clip(odd / "o'ne.mp4", seconds=1, width=64, height=36, color="red")
    b = make_clip(odd / "two words.mp4", seconds=1, width=64, height=36, color="blue")

    result = await stitch([a, b], tmp_path / "film.mp4")

    assert result.reencoded is False
    assert [dominant(frame_rgb(result.path, t)) for t in (0.5, 1.5)] == [RED, BLUE]


def test_concat_line_escapes_single_quotes() -> None:
    assert concat_line(Path("/m/it's.mp4")) == "file 'file:/m/it'\\''s.mp4'\n"


# --- probe --------------------------------------------------------------------------------


async def test_probe_describes_a_clip(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", seconds=1.5, width=80, height=48, fps=12, audio=True)

    info = await probe(clip)

    assert (info.width, info.height, info.codec, info.pix_fmt) == (80, 48, "h264", "yuv420p")
    assert info.fps == pytest.approx(12)
    assert info.duration == pytest.approx(1.5, abs=0.1)
    assert info.has_audio is True and info.audio_codec == "aac"


async def test_probe_rejects_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "x.mp4"
    path.write_bytes(b"hello")
    with pytest.raises(MediaError, match=r"x\.mp4 is not a readable video"):
        await probe(path)


# --- fit_to_size -------------------------------------------------------------------------


async def test_fit_to_size_shrinks_a_big_film_under_the_limit(tmp_path: Path) -> None:
    big = make_clip(tmp_path / "big.mp4", seconds=2, width=320, height=180, pattern="noise")
    limit = 150_000
    assert big.stat().st_size > 3 * limit

    out = await fit_to_size(big, tmp_path / "small.mp4", limit)

    assert out == tmp_path / "small.mp4"
    assert 0 < out.stat().st_size <= limit
    info = await probe(out)
    assert info.codec == "h264"
    assert info.duration == pytest.approx(2.0, abs=0.25)


async def test_fit_to_size_leaves_a_small_file_alone(tmp_path: Path) -> None:
    small = make_clip(tmp_path / "small.mp4", seconds=1, width=64, height=36)

    out = await fit_to_size(small, tmp_path / "other.mp4", 10_000_000)

    assert out == small
    assert not (tmp_path / "other.mp4").exists()


async def test_fit_to_size_gives_up_when_the_limit_is_absurd(tmp_path: Path) -> None:
    big = make_clip(tmp_path / "big.mp4", seconds=2, width=160, height=90, pattern="testsrc2")
    with pytest.raises(MediaError, match="cannot be made smaller"):
        await fit_to_size(big, tmp_path / "small.mp4", 1_000)
    assert not (tmp_path / "small.mp4").exists()


# --- ffmpeg process handling ---------------------------------------------------------------


async def test_cancelling_kills_the_ffmpeg_child(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Child] = []
    running = asyncio.Event()
    real_start = _ffmpeg.start_child

    async def recording_start(cmd: Sequence[str]) -> Child:
        proc = await real_start(cmd)
        started.append(proc)
        running.set()
        return proc

    monkeypatch.setattr(_ffmpeg, "start_child", recording_start)
    endless = ["-f", "lavfi", "-i", "color=s=16x16", "-f", "null", "-"]
    task = asyncio.create_task(run_ffmpeg(endless))
    await running.wait()
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert started[0].returncode is not None

    with pytest.raises(MediaError, match="took longer than"):
        await run_ffmpeg(endless, timeout=0.3)
    assert started[1].returncode is not None


async def test_a_child_started_for_a_caller_cancelled_meanwhile_is_killed_and_reaped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[subprocess.Popen[bytes]] = []
    in_thread = threading.Event()
    go_on = threading.Event()
    real_popen = _child._popen

    def slow_popen(cmd: Sequence[str]) -> subprocess.Popen[bytes]:
        in_thread.set()
        go_on.wait(5)  # the caller is cancelled while the child starts
        started.append(real_popen(cmd))
        return started[-1]

    monkeypatch.setattr(_child, "_popen", slow_popen)
    endless = ["-f", "lavfi", "-i", "color=s=16x16", "-f", "null", "-"]
    task = asyncio.create_task(run_ffmpeg(endless))
    await asyncio.to_thread(in_thread.wait, 5)
    task.cancel()
    go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(200):
        if started and started[0].returncode is not None:
            break
        await asyncio.sleep(0.05)
    assert started and started[0].returncode is not None  # killed and reaped


async def test_a_child_is_read_to_its_end_and_reaped_on_the_running_loop() -> None:
    """More output than a pipe holds (64 KiB), on both pipes: nothing is lost or stuck."""
    code, out, err = await run_ffmpeg(
        ["-loglevel", "debug", "-f", "lavfi", "-i", "color=s=64x64:d=1", "-f", "rawvideo", "-"],
        check=False,
    )
    assert code == 0
    assert len(out) == 64 * 64 * 3 // 2 * 25  # 25 frames of yuv420p
    assert b"Input #0" in err and len(err) > 1000


# --- host_allowed --------------------------------------------------------------------------

ALLOWED = [
    "replicate.delivery",
    "127.0.0.1",
    "localhost",
    "https://Files.Example.com:8443/",
    "::1",
]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://replicate.delivery/pbxt/a.mp4", True),
        ("https://x.replicate.delivery/a.mp4", True),
        ("https://a.b.replicate.delivery/a.mp4", True),
        ("http://REPLICATE.DELIVERY/a.mp4", True),
        ("https://replicate.delivery:8443/a.mp4", True),
        ("https://replicate.delivery./a.mp4", True),
        ("https://evilreplicate.delivery/a.mp4", False),
        ("https://replicate.delivery.evil.com/a.mp4", False),
        ("https://replicate.deliveryx/a.mp4", False),
        ("https://evil.com/replicate.delivery/a.mp4", False),
        ("https://replicate.delivery@evil.com/a.mp4", False),
        ("https://evil.com\\@replicate.delivery/a.mp4", False),
        ("https://evil.com?x=replicate.delivery", False),
        ("ftp://replicate.delivery/a.mp4", False),
        ("file:///etc/passwd", False),
        ("//replicate.delivery/a.mp4", False),
        ("replicate.delivery/a.mp4", False),
        ("", False),
        ("http://127.0.0.1:8080/a.mp4", True),
        ("http://127.0.0.2/a.mp4", False),
        ("http://1.127.0.0.1/a.mp4", False),
        ("http://localhost:1234/a.mp4", True),
        ("http://files.example.com/a.mp4", True),
        ("http://cdn.files.example.com/a.mp4", True),
        ("http://example.com/a.mp4", False),
        ("http://[::1]:8080/a.mp4", True),
        ("http://[0:0::1]/a.mp4", True),
        ("http://[::2]/a.mp4", False),
    ],
)
def test_host_allowed(url: str, expected: bool) -> None:
    assert host_allowed(url, ALLOWED) is expected


def test_no_allowed_hosts_allows_nothing() -> None:
    assert host_allowed("https://replicate.delivery/a.mp4", []) is False
    assert host_allowed("https://replicate.delivery/a.mp4", ["", "  "]) is False


# --- download ------------------------------------------------------------------------------

BODY = bytes(range(256)) * 40  # 10 240 bytes


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """A loopback HTTP server; returns its base URL (http://127.0.0.1:PORT)."""
    port_holder: list[int] = []

    async def ok(request: web.Request) -> web.Response:
        return web.Response(body=BODY, content_type="video/mp4")

    async def chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(10):
            await resp.write(BODY)
        await resp.write_eof()
        return resp

    async def redirect(request: web.Request) -> web.Response:
        target = request.query["to"].replace("PORT", str(port_holder[0]))
        raise web.HTTPFound(target)

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def missing(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/ok.mp4", ok)
    app.router.add_get("/chunked.mp4", chunked)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/loop", loop)
    app.router.add_get("/missing.mp4", missing)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    port_holder.append(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


async def test_download_ok(server: str, session: aiohttp.ClientSession, tmp_path: Path) -> None:
    dest = tmp_path / "media" / "clip.mp4"
    out = await download(
        session, f"{server}/ok.mp4", dest, allowed_hosts=["127.0.0.1"], max_bytes=1_000_000
    )
    assert out == dest
    assert dest.read_bytes() == BODY
    assert leftovers(dest.parent) == ["clip.mp4"]


async def test_download_follows_a_redirect_to_an_allowed_host(
    server: str, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    url = f"{server}/redirect?to=http://localhost:PORT/ok.mp4"
    dest = tmp_path / "clip.mp4"
    await download(
        session, url, dest, allowed_hosts=["127.0.0.1", "localhost"], max_bytes=1_000_000
    )
    assert dest.read_bytes() == BODY


async def test_download_follows_a_relative_redirect(
    server: str, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    dest = tmp_path / "clip.mp4"
    await download(
        session,
        f"{server}/redirect?to=/ok.mp4",
        dest,
        allowed_hosts=["127.0.0.1"],
        max_bytes=1_000_000,
    )
    assert dest.read_bytes() == BODY


@pytest.mark.parametrize(
    ("path", "hosts", "max_bytes", "message"),
    [
        ("/redirect?to=http://localhost:PORT/ok.mp4", ["127.0.0.1"], 10**6, "redirect to"),
        ("/loop", ["127.0.0.1"], 10**6, "too many redirects"),
        ("/ok.mp4", ["127.0.0.1"], 1000, "too large: 10240 bytes"),
        ("/chunked.mp4", ["127.0.0.1"], 50_000, "too large: over 50000"),
        ("/missing.mp4", ["127.0.0.1"], 10**6, "HTTP 404"),
        ("/ok.mp4", ["replicate.delivery"], 10**6, "host not allowed"),
    ],
)
async def test_download_refusals_leave_no_file(
    server: str,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    path: str,
    hosts: list[str],
    max_bytes: int,
    message: str,
) -> None:
    dest = tmp_path / "clip.mp4"
    with pytest.raises(MediaError, match=message):
        await download(session, server + path, dest, allowed_hosts=hosts, max_bytes=max_bytes)
    assert leftovers(tmp_path) == []


async def test_a_disallowed_host_is_never_contacted(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    contacted: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        contacted.append(await reader.read(100))
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with srv:
        with pytest.raises(MediaError, match="host not allowed"):
            await download(
                session,
                f"http://127.0.0.1:{port}/a.mp4",
                tmp_path / "a.mp4",
                allowed_hosts=["localhost"],
                max_bytes=1000,
            )
    assert contacted == []


async def test_a_truncated_body_is_refused_and_no_file_is_left(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 5000\r\n\r\n"
            + b"x" * 2000
        )
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    dest = tmp_path / "clip.mp4"
    async with srv:
        with pytest.raises(MediaError, match="cut short"):
            await download(
                session,
                f"http://127.0.0.1:{port}/a.mp4",
                dest,
                allowed_hosts=["127.0.0.1"],
                max_bytes=10_000,
            )
    assert leftovers(tmp_path) == []


async def test_a_stalled_download_times_out(session: aiohttp.ClientSession, tmp_path: Path) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nxx")
        await writer.drain()
        await asyncio.sleep(5)
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with srv:
        with pytest.raises(MediaError, match="took longer than"):
            await download(
                session,
                f"http://127.0.0.1:{port}/a.mp4",
                tmp_path / "clip.mp4",
                allowed_hosts=["127.0.0.1"],
                max_bytes=10_000,
                timeout=0.3,
            )
        srv.close()
    assert leftovers(tmp_path) == []
