"""Burned captions (issue 22): what drawing the narration's lines into the picture costs.

Burning re-encodes the whole film (libx264 `veryfast`, CRF 20: `bot.pipeline.sound.subtitles
.burn`), so it is the one caption mode whose cost grows with the film. This scenario burns the
bot's own captions (one cue of a dozen words per 5 s scene, laid out by
`bot.pipeline.sound.captions`) into films made like the models' clips (picture with detail,
24 fps, AAC sound) at each shape asked for, through the same `burn` the pipeline calls, and
reports per minute of film: the seconds it takes and the CPU seconds of its ffmpeg child. Then
`FFMPEG_CONCURRENCY` + 1 burns are asked at once, to show they queue for the process's encode
slots (`media._ffmpeg.ENCODES`) rather than all running together.
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from bench.figures import Figure, figure
from bot.pipeline.media import ENCODES
from bot.pipeline.sound.captions import Cue
from bot.pipeline.sound.subtitles import burn
from tests.fakes.mp4 import make_clip

SCENE_SECONDS = 5.0
LINE = "The keeper climbs the stairs at dawn while the storm gathers over the grey sea"
SHAPES = {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (960, 960)}


@dataclass(frozen=True)
class CaptionOptions:
    workdir: Path
    seconds: float = 60.0  # the film's length
    shapes: tuple[str, ...] = ("16:9", "9:16", "1:1")
    concurrency: int = 2  # FFMPEG_CONCURRENCY for the queueing check


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cues(seconds: float) -> list[Cue]:
    count = max(1, int(seconds // SCENE_SECONDS))
    return [Cue(i * SCENE_SECONDS, (i + 1) * SCENE_SECONDS - 0.2, LINE) for i in range(count)]


async def _film(folder: Path, shape: str, seconds: float) -> Path:
    width, height = SHAPES[shape]
    path = folder / f"film-{shape.replace(':', 'x')}.mp4"
    await asyncio.to_thread(
        make_clip,
        path,
        seconds=seconds,
        width=width,
        height=height,
        fps=24,
        pattern="testsrc2",
        audio=True,
    )
    return path


async def _burn_once(film: Path, cues: list[Cue], dest: Path) -> tuple[float, float]:
    """Wall seconds and the ffmpeg child's CPU seconds of one burn (nothing else runs)."""
    cpu, started = _children_cpu(), time.perf_counter()
    await burn(film, cues, dest)
    return time.perf_counter() - started, _children_cpu() - cpu


async def captions(opts: CaptionOptions) -> tuple[list[Figure], dict[str, object]]:
    folder = opts.workdir / "captions"
    folder.mkdir(parents=True, exist_ok=True)
    minutes = opts.seconds / 60.0
    cues = _cues(opts.seconds)
    figures: list[Figure] = []
    raw: dict[str, object] = {"film_seconds": opts.seconds, "cues": len(cues)}
    films = {}
    for shape in opts.shapes:
        films[shape] = film = await _film(folder, shape, opts.seconds)
        wall, cpu = await _burn_once(film, cues, folder / f"burned-{film.name}")
        width, height = SHAPES[shape]
        raw[shape] = {"wall": wall, "cpu": cpu, "width": width, "height": height}
        figures.append(
            figure(
                f"captions_burn_{shape}",
                "captions",
                f"burning captions into a {width}×{height} film ({shape}), per film minute: "
                f"wall seconds (its ffmpeg child's CPU: {cpu / minutes:.1f} s a minute, "
                f"{cpu / wall:.2f} cores while it ran)",
                "s",
                "reported (≤ 60 s: faster than the film plays)",
                {"value": wall / minutes},
                lambda m: m["value"] <= 60.0,
            )
        )
    # FFMPEG_CONCURRENCY + 1 burns asked at once: at most FFMPEG_CONCURRENCY run together
    ENCODES.configure(opts.concurrency)
    film = films[opts.shapes[0]]
    started = time.perf_counter()
    most = await _queued(film, cues, folder, opts.concurrency + 1)
    wall = time.perf_counter() - started
    raw["queued"] = {"burns": opts.concurrency + 1, "most_at_once": most, "wall": wall}
    figures.append(
        figure(
            "captions_burn_slots",
            "captions",
            f"{opts.concurrency + 1} burns asked at once with FFMPEG_CONCURRENCY="
            f"{opts.concurrency}: the most encoding at once ({wall:.1f} s for all)",
            "",
            f"≤ {opts.concurrency}",
            {"value": float(most)},
            lambda m: m["value"] <= opts.concurrency,
        )
    )
    ENCODES.configure(None)
    return figures, raw


async def _queued(film: Path, cues: list[Cue], folder: Path, burns: int) -> int:
    """Start `burns` burns at once and return the most encodes seen running together (the
    encode slots' own count, sampled every 50 ms)."""
    most = 0
    tasks = [
        asyncio.create_task(burn(film, cues, folder / f"queued-{n}.mp4")) for n in range(burns)
    ]
    while not all(t.done() for t in tasks):
        most = max(most, ENCODES.running)
        await asyncio.sleep(0.05)
    await asyncio.gather(*tasks)
    return most
