"""The gallery's pages, rendered on the server from Jinja2 templates (no JavaScript): what a
page shows is worked out here from the repository's rows, then handed to a template."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2

from bot.gallery.files import FilmFiles
from bot.gallery.links import GalleryLinks
from storage.models import GalleryFilm, GalleryTake

TEMPLATES = Path(__file__).parent / "templates"
PAGE_SIZE = 12


def environment() -> jinja2.Environment:
    """Templates with HTML escaping on, from this package's folder."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = day
    env.filters["iso"] = iso_day
    env.filters["clock"] = clock
    return env


def day(moment: float) -> str:
    """`7 Dec 2026` (UTC)."""
    return time.strftime("%-d %b %Y", time.gmtime(moment))


def iso_day(moment: float) -> str:
    """`2026-12-07` (UTC), for <time datetime>."""
    return time.strftime("%Y-%m-%d", time.gmtime(moment))


def clock(seconds: float | None) -> str:
    """`0:05`, `1:02:03`; an em dash when unknown."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True, slots=True)
class TakeView:
    """One version as a page shows it: where its page, file, poster and download are."""

    version: int
    made_at: float
    length: float | None
    available: bool
    page: str
    video: str
    poster: str
    download: str
    scene: int | None
    note: str | None
    kind: str = "reroll"  # issue 24: "extend" or "recast" made this version


@dataclass(frozen=True, slots=True)
class FilmView:
    generation_id: int
    title: str
    prompt: str
    created_at: float
    removed: bool
    takes: list[TakeView]  # newest first: the latest cut leads, older ones beside it
    cast: tuple[str, ...] = ()  # issue 24: the film's cast sheet


def title_of(film: GalleryFilm) -> str:
    return film.title or "Untitled film"


async def take_view(
    film: GalleryFilm,
    take: GalleryTake,
    *,
    links: GalleryLinks,
    files: FilmFiles,
    expires_at: int | None,
    base: str = "",
) -> TakeView:
    """`take` with its links (a film token for it alone, expiring with `expires_at`). A film
    on another process's disk is listed all the same (the proxy finds the process that holds
    it: docs/gallery.md); its length is known where its file is."""
    path = None if film.removed_at is not None else files.film(take.film_path)
    token = links.film_token(film.generation_id, take.version, expires_at=expires_at)
    page = f"{base}/f/{token}"
    return TakeView(
        version=take.version,
        made_at=take.made_at,
        length=await files.length(path) if path else None,
        available=film.removed_at is None,
        page=page,
        video=f"{page}/video.mp4",
        poster=f"{page}/poster.jpg",
        download=f"{page}/download",
        scene=take.scene,
        note=take.note,
        kind=take.kind,
    )


async def film_view(
    film: GalleryFilm,
    *,
    links: GalleryLinks,
    files: FilmFiles,
    expires_at: int | None,
    base: str = "",
) -> FilmView:
    """`film` with its versions newest first (the latest cut leads)."""
    takes = await asyncio.gather(
        *(
            take_view(film, t, links=links, files=files, expires_at=expires_at, base=base)
            for t in reversed(film.takes)
        )
    )
    return FilmView(
        generation_id=film.generation_id,
        title=title_of(film),
        prompt=film.prompt,
        created_at=film.created_at,
        removed=film.removed_at is not None,
        takes=list(takes),
        cast=film.cast,
    )


def pages_for(total: int) -> int:
    return max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
