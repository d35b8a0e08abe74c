"""A gallery served in the test's process for the web tests: the real aiohttp application
(bot/gallery/app.py) over a real SQLite repository and a media folder with a real mp4."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.gallery.app import Gallery, GalleryConfig
from bot.gallery.files import FilmFiles
from bot.gallery.links import GalleryLinks
from storage.models import GenerationStatus, NewGeneration
from storage.repository import Repository
from storage.sqlite import connect
from tests.fakes.mp4 import make_clip

SECRET = "a-test-secret-of-enough-length"
ALICE, BOB = 111, 222


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    url: str
    links: GalleryLinks
    repo: Repository
    media: Path
    film_id: int
    film: Path
    bobs_id: int


async def done_film(
    repo: Repository, media: Path, *, owner: int, title: str, seconds: float = 3.0
) -> tuple[int, Path]:
    """A delivered one-scene film of `owner`, its file under `media/<id>/film.mp4`."""
    generation = await repo.create_generation(NewGeneration(owner_id=owner, prompt=f"{title}!"))
    gid = generation.id
    await repo.set_shot_list(gid, title=title, shot_list="{}", scenes=[("Scene", 5)])
    (clip,) = await repo.clips(gid)
    await repo.clip_creating(clip.id)
    await repo.clip_started(clip.id, f"p-{gid}")
    film = make_clip(
        media / str(gid) / "film.mp4", seconds=seconds, width=320, height=180, pattern="testsrc2"
    )
    await repo.clip_succeeded(
        clip.id, output_path=str(film), thumbnail_path=None, predict_seconds=1
    )
    await repo.set_video(gid, str(film), 1.0)
    await repo.record_delivery(gid, "dm:1/2")
    assert await repo.set_status(gid, GenerationStatus.DONE)
    return gid, film


@asynccontextmanager
async def gallery_site(
    tmp_path: Path, *, secret: str = SECRET, days: float = 7, base_path: str = ""
) -> AsyncIterator[Site]:
    media = tmp_path / "media"
    db = await connect(tmp_path / "reelbot.sqlite3")
    try:
        repo = Repository(db)
        film_id, film = await done_film(repo, media, owner=ALICE, title="Lighthouse seal")
        bobs_id, _ = await done_film(repo, media, owner=BOB, title="Bob's secret film")
        port = free_port()
        links = GalleryLinks(secret, base_url=f"http://127.0.0.1:{port}{base_path}", days=days)
        gallery = Gallery(repo=repo, links=links, files=FilmFiles(media), config=GalleryConfig(30))
        runner = web.AppRunner(gallery.app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield Site(f"http://127.0.0.1:{port}", links, repo, media, film_id, film, bobs_id)
        finally:
            await runner.cleanup()
    finally:
        await db.close()
