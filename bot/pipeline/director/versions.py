"""The steps every new version of a film shares (a reroll, a Recast, an Extend): its new clips
rendered, its cut stitched from every stored clip once, its delivery made once. Each director's
tool moves its own version's status around these (through `bot.pipeline.run.transitions`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from bot.pipeline.errors import ClipError, MediaError
from bot.pipeline.run import steps
from bot.pipeline.run.crew import Crew
from storage.models import Clip, ClipStatus, Generation, Version


async def render(crew: Crew, generation: Generation, clips: Sequence[Clip], style: str) -> None:
    """`clips` rendered at once; every one ends first (a running clip is paid for), then the
    first failure counts, a clip's own before any other (a lost lease at once:
    `steps.all_or_lost`)."""
    assert crew.clips is not None
    results = await steps.all_or_lost([crew.clips.make(generation, c, style) for c in clips])
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise next((f for f in failures if isinstance(f, ClipError)), failures[0])


async def cut(crew: Crew, generation: Generation, version: Version) -> Path:
    """The version's film stitched from every stored clip, the voice-over mixed in again over
    the new timings; once (a resumed run finds it). Raises MediaError naming a scene whose
    stored clip is gone."""
    stored = await crew.repo.version(version.id)
    if stored is not None and stored.film_path and Path(stored.film_path).exists():
        return Path(stored.film_path)
    clips = await crew.repo.clips(generation.id)
    gone = await asyncio.to_thread(missing, clips)
    if gone:
        listed = ", ".join(str(i + 1) for i in gone)
        raise MediaError(f"the stored clip of scene(s) {listed} is gone")
    paths = [Path(c.output_path or "") for c in clips]

    async def record(film: Path) -> None:
        await crew.repo.set_version_film(version.id, str(film))

    name = f"film-v{version.number}.mp4"
    return await steps.cut(crew, generation, paths, name, mix=True, record=record)


async def deliver(crew: Crew, generation: Generation, version: Version, film: Path) -> None:
    """The version's film handed to the member once (not again after a restart)."""
    fresh = await crew.repo.version(version.id)
    if fresh is not None and fresh.delivered_at is not None:
        return  # delivered before a restart
    generation = await crew.repo.generation(generation.id) or generation

    async def record(ref: str) -> None:
        await crew.repo.record_version_delivery(version.id, ref)

    await steps.deliver(crew, generation, film, version=version.number, record=record)


def missing(clips: list[Clip]) -> list[int]:
    """The scenes whose stored clip file is gone (removed by the retention sweep, or by hand)."""
    return [
        c.index
        for c in clips
        if c.status is not ClipStatus.SUCCEEDED
        or not c.output_path
        or not Path(c.output_path).is_file()
    ]
