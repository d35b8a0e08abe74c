"""`python -m bot extend GENERATION [--scenes N] [--note TEXT]`: a finished film continued by N
more scenes (issue 24), written by the analysis from the shot list so far, the first opening on
the film's last frame; the next version of the film written to a file, with the progress
`generate` shows.

A film made on Discord is extended with its Extend button (its new cut goes by DM, which only
the running bot can send); the terminal extends the terminal's own films.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot.cli import interrupted
from bot.cli.checks import configuration_refused, keys_missing
from bot.cli.files import FileDeliverer
from bot.cli.progress import TerminalProgress
from bot.config import Settings
from bot.pipeline.progress import Progress
from bot.pipeline.spend.admission import Refused
from bot.pipeline.text import one_line
from bot.services import open_services
from storage.models import VersionStatus

LEFT_UNFINISHED = (
    "Interrupted: the Extend of generation #{id} is left unfinished (its predictions may still "
    "be running at Replicate). The next `python -m bot` terminal command asks whether to "
    "resume or cancel it."
)


async def extend(settings: Settings, args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    if keys_missing(settings, console):
        return 2
    if args.scenes < 1:
        console.print("--scenes is how many scenes to add, from 1.", style="red", markup=False)
        return 2
    if await configuration_refused(settings, console, narration=False):  # no line is spoken
        return 2
    async with open_services(settings) as services:
        await interrupted.settle(services, console)  # what an earlier run left unfinished
        generation = await services.repo.generation(args.generation)
        if generation is None:
            console.print(f"There is no generation #{args.generation}.", style="red", markup=False)
            return 1
        if generation.source != "cli":
            console.print(
                f"Generation #{generation.id} was made on Discord: extend it with the Extend "
                "button on its reply, so the new cut goes where the first went.",
                style="red",
                markup=False,
            )
            return 2
        out = Path(args.out) if args.out else None
        services.runner.register_deliverer("cli", FileDeliverer(out))
        progress = TerminalProgress(console)
        unsubscribe = services.bus.subscribe(progress.handle)
        try:
            clips = await services.repo.clips(generation.id)
            versions = await services.repo.versions(generation.id)
            progress.start_from(Progress.from_rows(generation, clips, versions))
            progress.follow(args.generation)
            with progress:
                version = await services.runner.extend(args.generation, args.scenes, args.note)
                final = await services.runner.wait(args.generation)
            made = await services.repo.version(version.id)
        except Refused as exc:  # the terminal passes the same admission as a member
            console.print(f"[red]{escape(exc.reason)}[/]")
            return 1
        except asyncio.CancelledError:
            console.print(LEFT_UNFINISHED.format(id=args.generation), style="yellow", markup=False)
            raise
        finally:
            unsubscribe()
    assert made is not None
    if made.status is VersionStatus.DONE:
        where = (made.delivery_ref or "").removeprefix("file:")
        print(
            f"Done: generation #{final.id} v{made.number} “{one_line(final.title or '')}”, "
            f"{args.scenes} scene(s) added → {where}"
        )
        return 0
    print(
        f"Extend v{made.number} of generation #{final.id} {made.status}: "
        f"{one_line(made.error or '')} (the film stays as it was)",
        file=sys.stderr,
    )
    return 1
