"""The captions step of a run: the generation's spoken lines timed to their scenes, then put
into the film as it asked (`Captions.TRACK` or `Captions.BURNED`). A film whose captions cannot
be made goes out without them (the reason logged): words on screen are not worth a lost film."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.pipeline.errors import MediaError
from bot.pipeline.media.narrate import Line
from bot.pipeline.media.probe import probe
from bot.pipeline.sound.captions import Cue, cues
from bot.pipeline.sound.subtitles import add_track, burn
from storage.models import Captions, Generation
from storage.repository import Repository

log = logging.getLogger(__name__)


async def timed_cues(repo: Repository, generation_id: int, clips: list[Path]) -> list[Cue]:
    """One cue per spoken line, at its scene in the film made of `clips`."""
    starts: list[tuple[float, float]] = []
    start = 0.0
    for clip in clips:
        seconds = (await probe(clip)).duration
        starts.append((start, seconds))
        start += seconds
    spoken = [
        (line.text, Line(Path(line.audio_path), line.seconds, *starts[line.index]))
        for line in await repo.narration_lines(generation_id)
        if line.index < len(starts) and Path(line.audio_path).exists()
    ]
    return cues(spoken, start)


async def caption(repo: Repository, generation: Generation, film: Path, clips: list[Path]) -> Path:
    """`film` with the generation's captions (`film` itself when it asked for none, or when
    there is no spoken line to show)."""
    if generation.captions is Captions.OFF:
        return film
    dest = film.with_name(f"{film.stem}-captioned.mp4")
    if dest.exists():  # made before a restart (written by rename: whole)
        return dest
    try:
        items = await timed_cues(repo, generation.id, clips)
        if not items:
            log.warning("generation %s: no spoken line to caption", generation.id)
            return film
        if generation.captions is Captions.TRACK:
            code = await add_track(film, items, dest, workdir=film.parent)
            log.info("generation %s: %d caption(s) as a %s track", generation.id, len(items), code)
        else:
            await burn(film, items, dest)
    except MediaError as exc:
        log.warning("generation %s: captions left out: %s", generation.id, exc.reason)
        return film
    return dest
