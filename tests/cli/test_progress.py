"""The terminal's progress reads the pipeline's one progress model, as the Discord reply does."""

from __future__ import annotations

import io
import time
from pathlib import Path

from rich.console import Console

from bot.cli.progress import TerminalProgress
from bot.pipeline.events import (
    AnalysisDone,
    ClipCompleted,
    ClipFailed,
    ClipHeld,
    ClipStarted,
    Failed,
    Queued,
    Started,
    Stitched,
)
from tests.cogs.rows import shot_list


def test_a_retry_reads_retrying_in_the_terminal_too() -> None:
    out = io.StringIO()
    with TerminalProgress(Console(file=out, force_terminal=False)) as progress:
        progress.follow(7)
        for event in (
            Queued(7, 2),
            Queued(8, 1),  # another generation: not followed
            Started(7),
            AnalysisDone(7, shot_list(2, title="The Keeper")),
            ClipStarted(7, 0, "p1"),
            ClipFailed(7, 0, "busy", will_retry=True),
            ClipStarted(7, 1, "p2"),
            ClipCompleted(7, 1, Path("c2.mp4")),
            Stitched(7, Path("film.mp4"), False, 6.0),
            Failed(7, "clip 1: gone"),
            ClipCompleted(7, 0, Path("c1.mp4")),  # after the end: ignored
        ):
            progress.handle(event)
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "generation #7: queued (position 2)",
        "generation #7: analysing the idea",
        "generation #7: shot list “The Keeper”, 2 scene(s)",
    ]
    assert "generation #8: queued (position 1)" not in lines
    assert "generation #7: clip 1/2 retrying" in lines
    assert "generation #7: clip 1: busy — retrying" in lines
    assert "generation #7: clip 2/2 done" in lines
    assert "generation #7: stitched 6.0 s (stream copy); delivering" in lines
    assert "generation #7: failed: clip 1: gone" in lines
    assert "generation #7: clip 1/2 done" not in lines
    assert lines[-2:] == ["1. retrying a seal 1", "2. done a seal 2"]


def test_a_held_clip_reads_its_place_and_wait_in_the_terminal_too() -> None:
    out = io.StringIO()
    with TerminalProgress(Console(file=out, force_terminal=False)) as progress:
        progress.follow(7)
        progress.handle(Started(7))
        progress.handle(AnalysisDone(7, shot_list(2)))
        progress.handle(ClipHeld(7, 1, 5, time.time() + 20))
        progress.handle(ClipStarted(7, 1, "p2"))
    lines = out.getvalue().splitlines()
    assert (
        "generation #7: rendering clips — Replicate is busy: 5 scenes ahead of yours, about 20 s"
        in lines
    )
