"""What the web gallery reads (bot/gallery): a member's finished films, newest first, each with
its versions, and one film by its id. Read-only; the same SQL on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from storage.backend import Row
from storage.models import GalleryFilm, GalleryTake, GenerationStatus, VersionStatus
from storage.rows import Rows

# a film exists once a generation is done; a rerolling one keeps its earlier film meanwhile
_HAS_FILM = "g.video_path IS NOT NULL AND g.status IN (?, ?)"
_HAS_FILM_PARAMS = (GenerationStatus.DONE.value, GenerationStatus.REROLLING.value)
_FILM_COLUMNS = (
    "g.id, g.owner_id, g.title, g.prompt, g.created_at, g.video_path,"
    " COALESCE(g.finished_at, g.updated_at) AS made_at,"
    " (SELECT m.removed_at FROM media_removals m WHERE m.generation_id = g.id"
    "   AND m.removed_at >= COALESCE(g.finished_at, g.updated_at)) AS removed_at"
)


class GalleryRows(Rows):
    """The web gallery's reads."""

    async def count_gallery(self, owner_id: int) -> int:
        """How many films `owner_id` has in the gallery."""
        row = await self._one(
            f"SELECT COUNT(*) FROM generations g WHERE g.owner_id = ? AND {_HAS_FILM}",
            (owner_id, *_HAS_FILM_PARAMS),
        )
        return int(row[0]) if row else 0

    async def gallery_films(
        self, owner_id: int, *, limit: int = 12, offset: int = 0
    ) -> list[GalleryFilm]:
        """`owner_id`'s films, newest first, each with its versions oldest first."""
        rows = await self._all(
            f"SELECT {_FILM_COLUMNS} FROM generations g WHERE g.owner_id = ? AND {_HAS_FILM}"
            " ORDER BY g.id DESC LIMIT ? OFFSET ?",
            (owner_id, *_HAS_FILM_PARAMS, limit, offset),
        )
        ids = [int(r["id"]) for r in rows]
        takes, casts = await self._takes(ids), await self._casts(ids)
        return [_film(r, takes.get(int(r["id"]), []), casts.get(int(r["id"]), ())) for r in rows]

    async def gallery_film(self, generation_id: int) -> GalleryFilm | None:
        """One film with its versions; None when the generation has no film."""
        row = await self._one(
            f"SELECT {_FILM_COLUMNS} FROM generations g WHERE g.id = ? AND {_HAS_FILM}",
            (generation_id, *_HAS_FILM_PARAMS),
        )
        if row is None:
            return None
        takes, casts = await self._takes([generation_id]), await self._casts([generation_id])
        return _film(row, takes.get(generation_id, []), casts.get(generation_id, ()))

    async def _casts(self, generation_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The names of each film's cast sheet that has portraits (issue 24), in order."""
        if not generation_ids:
            return {}
        marks = ", ".join("?" * len(generation_ids))
        rows = await self._all(
            f"SELECT generation_id, name FROM cast_members WHERE generation_id IN ({marks})"
            " AND status = 'ready' ORDER BY generation_id, idx",
            tuple(generation_ids),
        )
        found: dict[int, tuple[str, ...]] = {}
        for r in rows:
            found[int(r[0])] = (*found.get(int(r[0]), ()), str(r[1]))
        return found

    async def _takes(self, generation_ids: Sequence[int]) -> dict[int, list[GalleryTake]]:
        """The finished versions (with a film) of each generation, oldest first."""
        if not generation_ids:
            return {}
        marks = ", ".join("?" * len(generation_ids))
        rows = await self._all(
            "SELECT generation_id, number, film_path, COALESCE(finished_at, created_at) AS made,"
            " scene, note, CASE WHEN added > 0 THEN 'extend' WHEN recast IS NOT NULL"
            " THEN 'recast' ELSE 'reroll' END AS kind"
            f" FROM versions WHERE generation_id IN ({marks})"
            " AND status = ? AND film_path IS NOT NULL ORDER BY generation_id, number",
            (*generation_ids, VersionStatus.DONE.value),
        )
        found: dict[int, list[GalleryTake]] = {}
        for r in rows:
            take = GalleryTake(
                version=int(r["number"]),
                film_path=str(r["film_path"]),
                made_at=float(r["made"]),
                scene=r["scene"],
                note=r["note"],
                kind=str(r["kind"]),
            )
            found.setdefault(int(r["generation_id"]), []).append(take)
        return found


def _film(row: Row, takes: list[GalleryTake], cast: tuple[str, ...] = ()) -> GalleryFilm:
    """The film of `row`; never rerolled, its one version is the generation's film."""
    if not takes:
        takes = [GalleryTake(1, str(row["video_path"]), float(row["made_at"]))]
    removed = row["removed_at"]
    return GalleryFilm(
        generation_id=int(row["id"]),
        owner_id=int(row["owner_id"]),
        title=row["title"],
        prompt=str(row["prompt"]),
        created_at=float(row["created_at"]),
        removed_at=float(removed) if removed is not None else None,
        takes=tuple(takes),
        cast=cast,
    )
