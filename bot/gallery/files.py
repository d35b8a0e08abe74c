"""The gallery's files: a film's path checked to lie inside MEDIA_DIR, its poster made once,
its length probed once. The paths come from the database, never from a request."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from bot.pipeline import media
from bot.pipeline.errors import MediaError

log = logging.getLogger(__name__)

LENGTHS_KEPT = 4096  # films whose length is remembered; then the memory starts afresh


class FilmFiles:
    """The films under one media folder (this process's MEDIA_DIR)."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root).resolve()
        self._posters: dict[Path, asyncio.Lock] = {}
        self._lengths: dict[tuple[Path, int], float | None] = {}

    def film(self, stored: str) -> Path | None:
        """The film file at `stored` (a path from the database) when it is a regular file
        inside the media folder; None otherwise (removed, on another process's disk, or a path
        that leads outside the folder, a symbolic link included)."""
        path = Path(stored)
        if not path.is_absolute():
            path = Path.cwd() / path
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not real.is_relative_to(self._root) or not real.is_file():
            return None
        return real

    async def poster(self, film: Path) -> Path | None:
        """The film's poster (a JPEG beside it), made the first time it is asked for; None
        when no frame decodes. One ffmpeg per poster even when many ask at once."""
        dest = film.with_name(f"{film.stem}.poster.jpg")
        if dest.is_file():
            return dest
        lock = self._posters.setdefault(dest, asyncio.Lock())
        async with lock:
            if dest.is_file():
                return dest
            try:
                return await media.poster_frame(film, dest)
            except MediaError as exc:
                log.warning("no poster for %s: %s", film, exc.reason)
                return None
            finally:
                self._posters.pop(dest, None)

    async def length(self, film: Path) -> float | None:
        """The film's length in seconds (probed once per file version), None if unreadable."""
        try:
            key = (film, os.stat(film).st_mtime_ns)
        except OSError:
            return None
        if key not in self._lengths:
            if len(self._lengths) >= LENGTHS_KEPT:
                self._lengths.clear()
            try:
                self._lengths[key] = (await media.probe(film)).duration
            except MediaError:
                self._lengths[key] = None
        return self._lengths[key]
