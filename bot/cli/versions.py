"""What `python -m bot reroll` and `python -m bot extend` share: a terminal film's next version
made with the progress `generate` shows, written to a file, and what is said at its end (a film
made on Discord is left to its buttons: its new cut goes by DM, which only the running bot can
send)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot.cli import interrupted
from bot.cli.checks import configuration_refused, keys_missing
from bot.cli.files import FileDeliverer
from bot.cli.progress import TerminalProgress
from bot.config import Settings
from bot.pipeline.progress import Progress
from bot.pipeline.run.runner import Runner
from bot.pipeline.spend.admission import Refused
from bot.pipeline.text import one_line
from bot.services import open_services
from storage.models import Version, VersionStatus

LEFT_UNFINISHED = (
    "Interrupted: the {what} of generation #{id} is left unfinished (its {predictions} may "
    "still be running at Replicate). The next `python -m bot` terminal command asks whether to "
    "resume or cancel it."
)


@dataclass(frozen=True)
class NextVersion:
    """One way to the next version: its name, how it starts, and the words around it."""

    what: str  # "reroll", "Extend": the interrupted line and the failure line
    predictions: str  # "prediction", "predictions"
    on_discord: str  # what a Discord film is pointed to instead
    made: str  # the done line's end: "scene 2 rerolled", "2 scene(s) added"
    start: Callable[[Runner], Awaitable[Version]]


async def next_version(
    settings: Settings, generation_id: int, out: str | None, way: NextVersion
) -> int:
    """Run `way` on terminal film `generation_id`: exit 0 done, 1 refused or failed, 2 a
    configuration problem or a film made on Discord."""
    console = Console(stderr=True)
    if keys_missing(settings, console):
        return 2
    if await configuration_refused(settings, console, narration=False):  # no line is spoken
        return 2
    async with open_services(settings) as services:
        await interrupted.settle(services, console)  # what an earlier run left unfinished
        generation = await services.repo.generation(generation_id)
        if generation is None:  # said before any progress panel is shown
            console.print(f"There is no generation #{generation_id}.", style="red", markup=False)
            return 1
        if generation.source != "cli":
            console.print(
                f"Generation #{generation.id} was made on Discord: {way.on_discord}, so the new "
                "cut goes where the first went.",
                style="red",
                markup=False,
            )
            return 2
        services.runner.register_deliverer("cli", FileDeliverer(Path(out) if out else None))
        progress = TerminalProgress(console)
        unsubscribe = services.bus.subscribe(progress.handle)
        try:
            # the film as it stands: its scenes, then the new version
            clips = await services.repo.clips(generation.id)
            versions = await services.repo.versions(generation.id)
            progress.start_from(Progress.from_rows(generation, clips, versions))
            progress.follow(generation_id)
            with progress:
                version = await way.start(services.runner)
                final = await services.runner.wait(generation_id)
            made = await services.repo.version(version.id)
        except Refused as exc:  # the terminal passes the same admission as a member
            console.print(f"[red]{escape(exc.reason)}[/]")
            return 1
        except asyncio.CancelledError:  # Ctrl-C: say what is left behind, then stop
            left = LEFT_UNFINISHED.format(
                what=way.what, id=generation_id, predictions=way.predictions
            )
            console.print(left, style="yellow", markup=False)
            raise
        finally:
            unsubscribe()
    assert made is not None
    if made.status is VersionStatus.DONE:
        where = (made.delivery_ref or "").removeprefix("file:")
        print(
            f"Done: generation #{final.id} v{made.number} “{one_line(final.title or '')}”, "
            f"{way.made} → {where}"
        )
        return 0
    print(
        f"{way.what[:1].upper()}{way.what[1:]} v{made.number} of generation #{final.id} "
        f"{made.status}: {one_line(made.error or '')} (the film stays as it was)",
        file=sys.stderr,
    )
    return 1
