"""The web gallery (issue 23, "Done when") through the real bot process (`python -m bot`,
tests/fakes/botprocess.py): after a film is made, /history's link button opens the member's
gallery over HTTP, which lists the film; its file answers a range request with 206 and the
right bytes; a tampered link, an expired one and another member's are refused; the DM carries
a share link. Without PUBLIC_BASE_URL and GALLERY_SECRET nothing listens on GALLERY_PORT."""

from __future__ import annotations

import asyncio
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.gallery.links import GalleryLinks
from tests.e2e.harness import status_of
from tests.e2e.test_admission import IDEA, _base, live
from tests.fakes.botprocess import bot_env
from tests.fakes.discord_fake import FakeDiscord, Interaction
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate
from tests.web.site import free_port

SECRET = "process-test-gallery-secret-0123"


def gallery_settings(port: int) -> dict[str, Any]:
    return {
        "public_base_url": f"http://127.0.0.1:{port}",
        "gallery_secret": SECRET,
        "gallery_host": "127.0.0.1",
        "gallery_port": port,
    }


def link_buttons(interaction: Interaction) -> list[dict[str, Any]]:
    data = (interaction.callback or {}).get("data") or {}
    rows = data.get("components") or []
    return [c for row in rows for c in row["components"] if c.get("style") == 5]


async def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


async def test_history_links_to_a_gallery_that_lists_and_serves_the_film(tmp_path: Path) -> None:
    port = free_port()
    async with live(tmp_path, **gallery_settings(port)) as run:
        command = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        )
        reply_id = await run.discord.wait_for(lambda: command.reply_id)
        assert (status_of(await run.reply_final(reply_id)) or "").startswith("✅")
        (dm,) = await run.discord.wait_for(lambda: run.discord.dm_messages("alice"), timeout=15)
        share = re.search(r"Share: <(http://127\.0\.0\.1:\d+/f/[^>]+)>", dm.content)
        assert share is not None, dm.content
        assert "Full quality" not in dm.content  # the film fitted: nothing was shrunk

        history = await run.answered(await run.discord.send_slash("history", {}))
        (button,) = link_buttons(history)
        assert button["label"] == "Open your gallery"
        gallery_url = button["url"]
        assert gallery_url.startswith(f"http://127.0.0.1:{port}/g/")

        status, headers, body = await fetch(gallery_url)
        page = body.decode()
        assert status == 200, page
        (title,) = run.rows("SELECT title FROM generations")
        assert title[0] in page and IDEA in page
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        video = re.search(r'src="(/f/[^"]+/video\.mp4)"', page)
        assert video is not None, page

        # the film's file: a range request gets 206 and exactly those bytes of the film on disk
        ((stored,),) = run.rows("SELECT video_path FROM generations")
        film = Path(stored)
        if not film.is_absolute():
            film = tmp_path / film
        data = film.read_bytes()
        status, headers, body = await fetch(
            f"http://127.0.0.1:{port}{video[1]}", Range="bytes=1000-1999"
        )
        assert status == 206 and body == data[1000:2000]
        assert headers["Content-Type"] == "video/mp4"
        assert headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
        status, _, body = await fetch(share[1])
        assert status == 200 and title[0] in body.decode()

        # refused: a tampered link, an expired one, another member's
        token = gallery_url.rsplit("/", 1)[1]
        tampered = token[:4] + ("A" if token[4] != "A" else "B") + token[5:]
        links = GalleryLinks(SECRET, base_url=f"http://127.0.0.1:{port}", days=7)
        alice = run.discord.world.user("alice").id
        expired = links.gallery_token(alice, now=time.time() - 8 * 86400)
        bobs = links.gallery_token(run.discord.world.user("bob").id)
        for bad in (tampered, expired):
            status, _, body = await fetch(f"http://127.0.0.1:{port}/g/{bad}")
            assert status == 403 and title[0].encode() not in body
        status, _, body = await fetch(f"http://127.0.0.1:{port}/g/{bobs}")
        assert status == 200 and title[0].encode() not in body  # bob's gallery: none of alice's
        bobs_as_film = video[1].replace(video[1].split("/")[2], bobs)
        assert (await fetch(f"http://127.0.0.1:{port}{bobs_as_film}"))[0] == 403


async def test_without_the_settings_nothing_listens(tmp_path: Path) -> None:
    port = free_port()
    async with live(tmp_path, gallery_port=port, gallery_host="127.0.0.1") as run:
        history = await run.answered(await run.discord.send_slash("history", {}))
        assert link_buttons(history) == []
        with pytest.raises(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
    # one of the two alone does not turn it on either
    (tmp_path / "half").mkdir()
    async with live(tmp_path / "half", gallery_port=port, gallery_secret=SECRET) as run:
        assert link_buttons(await run.answered(await run.discord.send_slash("history", {}))) == []
        with pytest.raises(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()


async def test_a_taken_gallery_port_stops_the_bot_with_exit_code_2(tmp_path: Path) -> None:
    port = free_port()
    taken = socket.socket()
    taken.bind(("127.0.0.1", port))
    taken.listen()
    try:
        async with FakeDiscord() as discord, FakeOpenAI() as openai, FakeReplicate() as replicate:
            data = tmp_path / "data"
            env = bot_env(discord, openai, replicate, data, **_base(), **gallery_settings(port))
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                env=env,
                cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await asyncio.wait_for(bot.communicate(), timeout=60)
    finally:
        taken.close()
    assert bot.returncode == 2, out.decode()
    assert f"cannot listen on 127.0.0.1:{port}" in out.decode()
    assert "choose another GALLERY_PORT" in out.decode()
    assert "Traceback" not in out.decode() and SECRET not in out.decode()
