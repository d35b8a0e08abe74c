"""The gallery's lifetime in the bot's process: built from the settings, listening on
GALLERY_HOST:GALLERY_PORT while the bot runs, closed with it. Off (nothing listens) unless
both PUBLIC_BASE_URL and GALLERY_SECRET are set."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from bot.config import Settings
from bot.gallery.app import Gallery, GalleryConfig
from bot.gallery.files import FilmFiles
from bot.gallery.links import GalleryLinks
from storage.repository import Repository

log = logging.getLogger(__name__)


class GalleryUnavailable(Exception):
    """The gallery cannot listen where the settings say (the message says what to change)."""


@dataclass(frozen=True)
class RunningGallery:
    """The gallery while it serves: its links (for /history and the DM) and where it listens."""

    links: GalleryLinks
    host: str
    port: int


def gallery_links(settings: Settings) -> GalleryLinks | None:
    """The links under the settings' secret; None when the gallery is off."""
    if settings.public_base_url is None or settings.gallery_secret is None:
        return None
    return GalleryLinks(
        settings.gallery_secret.get_secret_value(),
        base_url=settings.public_base_url,
        days=settings.gallery_link_days,
    )


@asynccontextmanager
async def serve_gallery(
    settings: Settings, repo: Repository
) -> AsyncIterator[RunningGallery | None]:
    """Serve the gallery for the length of the block; None (and nothing listening) when off."""
    links = gallery_links(settings)
    if links is None:
        log.info("the web gallery is off (set PUBLIC_BASE_URL and GALLERY_SECRET to turn it on)")
        yield None
        return
    gallery = Gallery(
        repo=repo,
        links=links,
        files=FilmFiles(settings.media_dir),
        config=GalleryConfig(retention_days=settings.media_retention_days),
    )
    # access logs off: every address carries a token
    runner = web.AppRunner(gallery.app(), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.gallery_host, settings.gallery_port)
        try:
            await site.start()
        except OSError as exc:
            raise GalleryUnavailable(
                f"the web gallery cannot listen on {settings.gallery_host}:"
                f"{settings.gallery_port} ({exc.strerror or exc}): choose another GALLERY_PORT, "
                "or unset PUBLIC_BASE_URL or GALLERY_SECRET to turn the gallery off"
            ) from exc
        log.info(
            "the web gallery listens on %s:%d for %s",
            settings.gallery_host,
            settings.gallery_port,
            settings.public_base_url,
        )
        yield RunningGallery(links, settings.gallery_host, settings.gallery_port)
    finally:
        await runner.cleanup()
