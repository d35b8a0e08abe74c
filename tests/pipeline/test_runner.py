"""The whole pipeline through the fakes: the real openai and replicate clients, real SQLite,
real ffmpeg, the runner built by `open_services`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline.events import (
    AnalysisDone,
    ClipCompleted,
    ClipStarted,
    Delivered,
    Finished,
    Started,
    Stitched,
)
from bot.pipeline.media import probe
from storage.models import ClipStatus, GenerationStatus
from tests.conftest import IDEA
from tests.fakes.mp4 import frame_rgb

COLOR_RGB: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "lime": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "magenta": (255, 0, 255),
    "cyan": (0, 255, 255),
    "white": (255, 255, 255),
    "orange": (255, 165, 0),
}


def looks_like(rgb: tuple[int, int, int], color: str, tolerance: int = 48) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, COLOR_RGB[color], strict=True))


async def test_full_run_of_three_clips(harness, replicate_fake, openai_fake) -> None:
    final = await harness.generate(clips=3)

    assert final.status is GenerationStatus.DONE, final.error
    kinds = [type(e).__name__ for e in harness.of(final.id)]
    assert kinds[:2] == ["Started", "AnalysisDone"]
    assert sorted(kinds[2:8]) == ["ClipCompleted"] * 3 + ["ClipStarted"] * 3
    assert kinds[8:] == ["Stitched", "Delivered", "Finished"]
    print(kinds)
