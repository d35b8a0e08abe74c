"""The score step of a run: the generation's track (rendered meanwhile) laid under its film."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.pipeline.errors import MediaError
from bot.pipeline.sound.mix import mix_score
from bot.pipeline.sound.music import Composer, MusicError
from storage.models import Generation

log = logging.getLogger(__name__)


async def scored(composer: Composer, generation: Generation, film: Path) -> Path:
    """`film` with its score under it (`film` itself when it has none or it was left out).
    Raises `MusicError` when music is required and failed."""
    dest = film.with_name(f"{film.stem}-scored.mp4")
    if dest.exists():  # mixed before a restart (written by rename: whole)
        return dest
    track = await composer.track(generation)
    if track is None:
        return film
    try:
        await mix_score(film, track, dest)
    except MediaError as exc:
        reason = await composer.left_out(generation.id, f"the score could not be mixed: {exc}")
        log.warning("generation %s: %s", generation.id, reason)
        return film
    return dest


__all__ = ["MusicError", "scored"]
