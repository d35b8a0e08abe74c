"""`python -m bot generate`: the whole pipeline from the terminal, with live progress."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot.cli import interrupted
from bot.cli.checks import configuration_refused, keys_missing
from bot.cli.files import FileDeliverer, unused_name
from bot.cli.progress import TerminalProgress
from bot.config import Settings
from bot.pipeline.clips.video_models import get_model
from bot.pipeline.director import start_image
from bot.pipeline.director.start_image import StartImage, StartImageRefused
from bot.pipeline.errors import GenerationError
from bot.pipeline.run.validation import validate_request
from bot.pipeline.sound.speakers import closest_voice
from bot.pipeline.spend.admission import Refused
from bot.pipeline.spend.allowance import cost_text
from bot.pipeline.text import one_line
from bot.services import open_services
from storage.models import (
    Generation,
    GenerationStatus,
    Narration,
    NarrationStatus,
    NewGeneration,
)

CLI_OWNER = 0  # generations from the terminal belong to no Discord member
DEFAULT_OUT = "film.mp4"  # without --out; never replaced (see _where_to_write)

LEFT_UNFINISHED = (
    "Interrupted: generation #{id} is left unfinished (its predictions may still be running "
    "at Replicate). The next `python -m bot generate` or `python -m bot history` asks whether "
    "to resume or cancel it (without a terminal to ask in, it cancels it and its predictions)."
)


async def read_start_image(path: Path, settings: Settings) -> StartImage:
    """`--image FILE` checked like a /generate attachment (by content, size and shape, for the
    configured model) before anything is stored or spent."""
    model = get_model(settings.video_model)
    start_image.require_model(model)
    try:
        size = path.stat().st_size
        if size > start_image.MAX_IMAGE_BYTES:
            raise start_image.too_large(size, start_image.MAX_IMAGE_BYTES)
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise StartImageRefused(f"cannot read it ({exc.strerror or type(exc).__name__})") from exc
    return await start_image.check(data, model)


def narration_line(narration: Narration, model: str) -> str:
    if narration.status is NarrationStatus.NARRATED:
        spoken = closest_voice(model, narration.voice)
        if spoken != narration.voice:
            return (
                f"Narrated (voice {spoken}, the closest to {narration.voice}, which {model} "
                "does not have)."
            )
        return f"Narrated (voice {spoken})."
    return f"Without narration: {one_line(narration.reason or 'it was not mixed in')}"


def _where_to_write(out: str | None, console: Console) -> Path:
    """`--out` as given (replaced if it exists: the operator named it); without it film.mp4,
    or the first free film-2.mp4, film-3.mp4, ... when an earlier film is there (said)."""
    if out is not None:
        return Path(out)
    chosen = unused_name(Path(DEFAULT_OUT))
    if chosen != Path(DEFAULT_OUT):
        console.print(
            f"{DEFAULT_OUT} is already there: this film goes to {chosen}",
            style="yellow",
            markup=False,
            highlight=False,
        )
    return chosen


async def generate(settings: Settings, args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    if keys_missing(settings, console):
        return 2
    try:
        request = validate_request(
            args.prompt,
            clips=args.clips,
            aspect_ratio=args.aspect_ratio,
            seed=args.seed,
            settings=settings,
            narration=getattr(args, "narration", None),
            voice=getattr(args, "voice", None),
            continuity=getattr(args, "continuity", None),
            captions=getattr(args, "captions", None),
            music=getattr(args, "music", None),
            cast=getattr(args, "cast", None),
            cast_picture=getattr(args, "cast_image", None) is not None,
            cast_name=getattr(args, "cast_name", None),
        )
    except GenerationError as exc:
        console.print(exc.reason, style="red", markup=False, highlight=False)
        return 2
    first_frame: StartImage | None = None
    if getattr(args, "image", None) is not None:
        try:
            first_frame = await read_start_image(Path(args.image), settings)
        except StartImageRefused as exc:
            console.print(f"{args.image}: {exc.reason}", style="red", markup=False, highlight=False)
            return 2
    picture: StartImage | None = None
    if getattr(args, "cast_image", None) is not None:  # issue 24: checked like --image
        try:
            picture = await read_start_image(Path(args.cast_image), settings)
        except StartImageRefused as exc:
            console.print(
                f"{args.cast_image}: {exc.reason}", style="red", markup=False, highlight=False
            )
            return 2
    if await configuration_refused(settings, console, narration=request["narration"]):
        return 2
    out = _where_to_write(args.out, console)
    async with open_services(settings) as services:
        await interrupted.settle(services, console)  # what an earlier run left unfinished
        services.runner.register_deliverer("cli", FileDeliverer(out))
        progress = TerminalProgress(console)
        unsubscribe = services.bus.subscribe(progress.handle)
        generation: Generation | None = None
        try:
            with progress:
                generation = await services.runner.submit(
                    NewGeneration(owner_id=CLI_OWNER, source="cli", **request),
                    start_image=first_frame,
                    cast_image=picture,
                )
                progress.follow(generation.id)
                cost = await cost_text(settings, services.repo, generation)
                console.print(cost, markup=False, highlight=False)
                final = await services.runner.wait(generation.id)
            narration = await services.repo.narration(final.id)
        except Refused as exc:  # the terminal passes the same admission as a member
            console.print(f"[red]{escape(exc.reason)}[/]")
            return 1
        except asyncio.CancelledError:  # Ctrl-C: say what is left behind, then stop
            if generation is not None:
                console.print(
                    LEFT_UNFINISHED.format(id=generation.id), style="yellow", markup=False
                )
            raise
        finally:
            unsubscribe()
    if final.status is GenerationStatus.DONE:
        where = (
            out if settings.enable_video_generation else "no video (ENABLE_VIDEO_GENERATION=false)"
        )
        print(f"Done: generation #{final.id} “{one_line(final.title or '')}” → {where}")
        if narration is not None:
            print(narration_line(narration, settings.tts_model))
        return 0
    print(f"Generation #{final.id} {final.status}: {one_line(final.error or '')}", file=sys.stderr)
    return 1
