"""The gallery's aiohttp application: a member's gallery (`/g/<token>`), one film's page
(`/f/<token>`), its file (`video.mp4`, with HTTP range requests), its download and poster, and
the stylesheet. Every other path is a plain 404: no directory is ever listed, and no file is
named by a request (films are found through the database, posters beside them)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from bot.gallery import pages
from bot.gallery.files import FilmFiles
from bot.gallery.links import FilmScope, GalleryLinks, GalleryScope, LinkRefused, Scope
from storage.models import GalleryFilm, GalleryTake
from storage.repository import Repository

log = logging.getLogger(__name__)

S = TypeVar("S", GalleryScope, FilmScope)

STATIC = Path(__file__).parent / "static"
TOKEN = r"[A-Za-z0-9_.\-]{10,400}"
# no script at all; styles, images and media only from here; never framed
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a page's address holds its token: never sent on
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Cross-Origin-Resource-Policy": "same-origin",
}
FILM_CACHE = "private, max-age=86400"  # a token's film never changes; shared caches keep none
PAGE_CACHE = "no-store"  # pages carry tokens
STATIC_CACHE = "public, max-age=86400"


@dataclass(frozen=True)
class GalleryConfig:
    retention_days: float


class Gallery:
    """The handlers, over the repository, the links and this process's media folder."""

    def __init__(
        self, *, repo: Repository, links: GalleryLinks, files: FilmFiles, config: GalleryConfig
    ) -> None:
        self._repo = repo
        self._links = links
        self._files = files
        self._config = config
        self._env = pages.environment()
        self._prefix = urlsplit(links.base_url).path.rstrip("/")
        self._static = {p.name: p.read_bytes() for p in STATIC.iterdir() if p.is_file()}

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers])
        app.router.add_get(f"/g/{{token:{TOKEN}}}", self.gallery)
        app.router.add_get(f"/f/{{token:{TOKEN}}}", self.film_page)
        app.router.add_get(f"/f/{{token:{TOKEN}}}/video.mp4", self.video)
        app.router.add_get(f"/f/{{token:{TOKEN}}}/download", self.download)
        app.router.add_get(f"/f/{{token:{TOKEN}}}/poster.jpg", self.poster)
        app.router.add_get("/static/{name:[a-z0-9-]+\\.(?:css|svg)}", self.static)
        return app

    # pages ---------------------------------------------------------------------------------

    async def gallery(self, request: web.Request) -> web.StreamResponse:
        scope = self._scope(request, GalleryScope)
        total = await self._repo.count_gallery(scope.owner_id)
        count = pages.pages_for(total)
        try:
            page = min(max(1, int(request.query.get("page", "1"))), count)
        except ValueError:
            page = 1
        films = await self._repo.gallery_films(
            scope.owner_id, limit=pages.PAGE_SIZE, offset=(page - 1) * pages.PAGE_SIZE
        )
        views = await asyncio.gather(
            *(
                pages.film_view(
                    f,
                    links=self._links,
                    files=self._files,
                    expires_at=scope.expires_at,
                    base=self._prefix,
                )
                for f in films
            )
        )
        here = f"{self._prefix}/g/{request.match_info['token']}"
        return self._render(
            "gallery.html",
            films=views,
            page=page,
            pages=count,
            total=total,
            newer=f"{here}?page={page - 1}" if page > 1 else None,
            older=f"{here}?page={page + 1}" if page < count else None,
            expires_at=scope.expires_at,
            retention_days=self._config.retention_days,
        )

    async def film_page(self, request: web.Request) -> web.StreamResponse:
        scope, film, take = await self._film(request)
        if film.removed_at is not None:
            raise self._gone()
        view = await pages.take_view(
            film,
            take,
            links=self._links,
            files=self._files,
            expires_at=scope.expires_at,
            base=self._prefix,
        )
        return self._render("film.html", title=pages.title_of(film), take=view)

    # files ---------------------------------------------------------------------------------

    async def video(self, request: web.Request) -> web.StreamResponse:
        path = await self._film_file(request)
        # aiohttp answers Range requests (206 with Content-Range, 416), HEAD, If-Range and
        # If-Modified-Since itself, and sends the file with sendfile off the event loop
        return web.FileResponse(
            path, headers={"Content-Type": "video/mp4", "Cache-Control": FILM_CACHE}
        )

    async def download(self, request: web.Request) -> web.StreamResponse:
        scope = self._scope(request, FilmScope)
        path = await self._film_file(request)
        tag = "" if scope.version == 1 else f"-v{scope.version}"
        return web.FileResponse(
            path,
            headers={
                "Content-Type": "video/mp4",
                "Cache-Control": FILM_CACHE,
                "Content-Disposition": (
                    f'attachment; filename="reelbot-{scope.generation_id}{tag}.mp4"'
                ),
            },
        )

    async def poster(self, request: web.Request) -> web.StreamResponse:
        path = await self._film_file(request)
        poster = await self._files.poster(path)
        if poster is None:
            raise web.HTTPNotFound()
        return web.FileResponse(
            poster, headers={"Content-Type": "image/jpeg", "Cache-Control": FILM_CACHE}
        )

    async def static(self, request: web.Request) -> web.StreamResponse:
        body = self._static.get(request.match_info["name"])
        if body is None:
            raise web.HTTPNotFound()
        kind = "image/svg+xml" if request.match_info["name"].endswith(".svg") else "text/css"
        return web.Response(body=body, content_type=kind, headers={"Cache-Control": STATIC_CACHE})

    # checks --------------------------------------------------------------------------------

    def _scope(self, request: web.Request, kind: type[S]) -> S:
        """The scope of the request's token, which must be of `kind`; 403 otherwise."""
        try:
            scope: Scope = self._links.check(request.match_info["token"])
        except LinkRefused as exc:
            log.info("gallery link refused: %s", exc)
            raise web.HTTPForbidden() from None
        if not isinstance(scope, kind):
            log.info("gallery link refused: a %s link used as another kind", scope.kind)
            raise web.HTTPForbidden()
        return scope

    async def _film(self, request: web.Request) -> tuple[FilmScope, GalleryFilm, GalleryTake]:
        scope = self._scope(request, FilmScope)
        film = await self._repo.gallery_film(scope.generation_id)
        take = film.take(scope.version) if film is not None else None
        if film is None or take is None:
            raise web.HTTPNotFound()
        return scope, film, take

    async def _film_file(self, request: web.Request) -> Path:
        _, film, take = await self._film(request)
        if film.removed_at is not None:
            raise self._gone()
        path = self._files.film(take.film_path)
        if path is None:  # not on this process's disk (see docs/gallery.md), or removed by hand
            raise web.HTTPNotFound()
        return path

    def _gone(self) -> web.HTTPGone:
        return web.HTTPGone()

    # rendering -----------------------------------------------------------------------------

    def _render(self, template: str, *, status: int = 200, **context: Any) -> web.Response:
        html = self._env.get_template(template).render(static=f"{self._prefix}/static", **context)
        return web.Response(
            text=html,
            status=status,
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": PAGE_CACHE},
        )

    def _error_page(self, status: int) -> web.Response:
        return self._render(
            "error.html", status=status, code=status, retention_days=self._config.retention_days
        )

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Security headers on every answer; errors as plain pages of our own."""
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = self._error_page(exc.status)
        except jinja2.TemplateError:
            log.exception("a gallery page failed to render")
            response = self._error_page(500)
        response.headers.update(SECURITY_HEADERS)
        return response
