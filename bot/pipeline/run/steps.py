"""The run steps a generation's story (`bot.pipeline.run.story`) and a reroll's
(`bot.pipeline.director.reroll`) share: wait for the clips, stitch them into a cut, mix the
voice-over in, deliver the film once, and how a run that ended elsewhere stops. Each story
moves its own status (through `bot.pipeline.run.transitions`) around these steps; the steps do
the work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from bot.pipeline import media
from bot.pipeline.errors import UNEXPECTED, DeliveryError, LeaseLost
from bot.pipeline.events import Delivered, Stitched
from bot.pipeline.run.crew import Crew
from bot.pipeline.sound.film import finish
from storage.models import Generation

T = TypeVar("T")

__all__ = ["UNEXPECTED", "Ended", "all_or_lost", "cut", "deliver", "narrated"]


class Ended(Exception):
    """The run reached a final state elsewhere (a cancel, another process) while this step
    ran, so its guarded move was refused: the run stops quietly."""


async def cut(
    crew: Crew,
    generation: Generation,
    clips: list[Path],
    name: str,
    *,
    mix: bool,
    record: Callable[[Path], Awaitable[object]],
) -> Path:
    """The clips stitched into `name` in the generation's folder (the voice-over mixed in
    when `mix`), the film's path `record`ed, then `Stitched` published; returns the film."""
    folder = crew.policy.folder(generation.id)
    result = await media.stitch(clips, folder / name, workdir=folder)
    film = await narrated(crew, generation, result.path, clips) if mix else result.path
    await record(film)
    crew.bus.publish(Stitched(generation.id, result.path, result.reencoded, result.duration))
    return film


async def narrated(crew: Crew, generation: Generation, film: Path, clips: list[Path]) -> Path:
    """The film with its sound and words: the voice-over mixed in when narration is on, the
    score under it, the captions (`bot.pipeline.sound.film`)."""
    return await finish(crew, generation, film, clips)


async def deliver(
    crew: Crew,
    generation: Generation,
    film: Path,
    *,
    version: int,
    record: Callable[[str], Awaitable[object]],
) -> None:
    """Send the film (version `version`) through the deliverer of the generation's source,
    `record` its reference, and publish `Delivered`. The caller skips this when the delivery
    was recorded before (a restart); the deliverer itself never sends twice."""
    deliverer = crew.deliverers.get(generation.source)
    if deliverer is None:
        raise DeliveryError(f"nothing can deliver films made from {generation.source}")
    ref = await deliverer.deliver(generation, film, version=version)
    await record(ref)
    crew.bus.publish(Delivered(generation.id, ref))


async def all_or_lost(jobs: Sequence[Awaitable[T]]) -> list[T | BaseException]:
    """Each job's result or exception, in order, once every job has ended (a running clip is
    paid for: it is followed to its end even when another failed). A lost lease is the
    exception: another process took the generation over and goes on with its clips, so the
    others are cancelled at once (their predictions are the new holder's to follow) and
    `LeaseLost` raised."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        pending: set[asyncio.Future[T]] = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                lost = None if task.cancelled() else task.exception()
                if isinstance(lost, LeaseLost):
                    raise LeaseLost(*lost.args)
    finally:
        stopped = [t for t in tasks if not t.done()]
        for task in stopped:
            task.cancel()
        if stopped:
            await asyncio.wait(stopped)
    return [
        asyncio.CancelledError() if t.cancelled() else (t.exception() or t.result()) for t in tasks
    ]
