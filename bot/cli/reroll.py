"""`python -m bot reroll GENERATION SCENE [--note TEXT]`: one scene of a finished film made
again, and the next version of the film written to a file — with the progress `generate` shows.

A film made on Discord is rerolled with its Reroll button (its new cut goes by DM, which only
the running bot can send); the terminal rerolls the terminal's own films.
"""

from __future__ import annotations

import argparse

from rich.console import Console

from bot.cli.versions import NextVersion, next_version
from bot.config import Settings


async def reroll(settings: Settings, args: argparse.Namespace) -> int:
    if args.scene < 1:
        Console(stderr=True).print("SCENE is a scene's number, from 1.", style="red", markup=False)
        return 2
    way = NextVersion(
        what="reroll",
        predictions="prediction",
        on_discord="reroll it with the Reroll button on its clip",
        made=f"scene {args.scene} rerolled",
        start=lambda runner: runner.reroll(args.generation, args.scene - 1, args.note),
    )
    return await next_version(settings, args.generation, args.out, way)
