"""`python -m bot extend GENERATION [--scenes N] [--note TEXT]`: a finished film continued by N
more scenes (issue 24), written by the analysis from the shot list so far, the first opening on
the film's last frame; the next version of the film written to a file, with the progress
`generate` shows.

A film made on Discord is extended with its Extend button (its new cut goes by DM, which only
the running bot can send); the terminal extends the terminal's own films.
"""

from __future__ import annotations

import argparse

from rich.console import Console

from bot.cli.versions import NextVersion, next_version
from bot.config import Settings


async def extend(settings: Settings, args: argparse.Namespace) -> int:
    if args.scenes < 1:
        Console(stderr=True).print(
            "--scenes is how many scenes to add, from 1.", style="red", markup=False
        )
        return 2
    way = NextVersion(
        what="Extend",
        predictions="predictions",
        on_discord="extend it with the Extend button on its reply",
        made=f"{args.scenes} scene(s) added",
        start=lambda runner: runner.extend(args.generation, args.scenes, args.note),
    )
    return await next_version(settings, args.generation, args.out, way)
