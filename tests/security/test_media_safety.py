"""ffmpeg reads only the local files we wrote; downloads come only from allowed hosts.

A clip file is whatever a provider sent. If ffmpeg were free to follow what is inside it, a
"clip" that is really a concat script would make the bot read other local files into the film
(another member's clip, anything readable), and a playlist would make it fetch URLs inside the
network it runs in. Each decoy points at something ffmpeg would happily read — a real video on
disk, a real video served over HTTP — so a refusal proves the guard, not a broken decoy. (The
bundled ffmpeg already declines an HLS playlist named .mp4 by itself; that test is defence in
depth against another ffmpeg build.)

Covered in tests/pipeline/media/test_media.py and not repeated: host matching rules, redirects to a
host not allowed, too many redirects, the size cap (announced and streamed), truncated bodies.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import Settings
from bot.pipeline.errors import MediaError
from bot.pipeline.media import probe, stitch
from storage.models import GenerationStatus
from tests.conftest import Harness
from tests.fakes.mp4 import make_clip
from tests.fakes.replicate_fake import FakeReplicate


@pytest.fixture
def real_clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "elsewhere" / "real.mp4", seconds=1, width=64, height=36)


@pytest.fixture
async def video_server(real_clip: Path) -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback server that serves a real video at any path; returns (base URL, paths hit)."""
    hits: list[str] = []
    data = real_clip.read_bytes()

    async def serve(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=data, content_type="video/mp4")

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", hits
    finally:
        await runner.cleanup()


async def assert_refused_everywhere(decoy: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        await probe(decoy)
    good = make_clip(tmp_path / "good.mp4", seconds=1, width=64, height=36)
    with pytest.raises(MediaError):
        await stitch([good, decoy], tmp_path / "film.mp4")
    assert not (tmp_path / "film.mp4").exists()


async def test_a_clip_that_is_an_hls_playlist_never_reaches_the_network(
    tmp_path: Path, video_server: tuple[str, list[str]]
) -> None:
    base, hits = video_server
    decoy = tmp_path / "clip-1.mp4"
    decoy.write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n"
        f"#EXTINF:1.0,\n{base}/internal/secret.mp4\n#EXT-X-ENDLIST\n"
    )
    await assert_refused_everywhere(decoy, tmp_path)
    assert hits == []  # nothing was fetched


async def test_a_clip_that_is_a_concat_script_reads_no_other_file(
    tmp_path: Path, real_clip: Path
) -> None:
    decoy = tmp_path / "clip-1.mp4"
    # a relative, "safe" name: ffmpeg's own concat safety would let this one through
    decoy.write_text(f"ffconcat version 1.0\nfile '{real_clip.relative_to(tmp_path)}'\n")
    await assert_refused_everywhere(decoy, tmp_path)


async def test_a_clip_that_is_a_symlink_is_not_followed(tmp_path: Path, real_clip: Path) -> None:
    decoy = tmp_path / "clip-1.mp4"
    os.symlink(real_clip, decoy)
    await assert_refused_everywhere(decoy, tmp_path)


async def test_a_download_redirected_to_a_host_not_allowed_never_reaches_it(
    make_settings,  # type: ignore[no-untyped-def]
    open_harness,  # type: ignore[no-untyped-def]
    replicate_fake: FakeReplicate,
    video_server: tuple[str, list[str]],
) -> None:
    base, hits = video_server
    # the file host answers with a redirect to "localhost" (the same machine, another name):
    # only 127.0.0.1 is allowed, so the redirect must not be followed
    replicate_fake.redirect_downloads_to = base.replace("127.0.0.1", "localhost") + "/x.mp4"
    settings: Settings = make_settings(media_allowed_hosts=["127.0.0.1"])
    harness: Harness
    async with open_harness(settings) as harness:
        final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert "refusing to follow a redirect to http://localhost:" in (final.error or "")
    assert hits == []
    assert replicate_fake.counts["download"] == 1  # refused, not retried
    assert [p for p in settings.media_dir.rglob("*") if p.is_file()] == []
