"""A file's description is read once while the file stays the same (issue 21: most of the
ffmpeg CPU at Replicate's cap was the same clips probed again), and read again once it is
replaced, as every file the bot writes is (renamed into place)."""

from __future__ import annotations

import os
from pathlib import Path

from bot.pipeline.media import probe
from tests.fakes.mp4 import make_clip


async def test_the_same_file_is_described_once_and_a_replaced_one_again(tmp_path: Path) -> None:
    film = make_clip(tmp_path / "film.mp4", seconds=1, width=64, height=48)
    first = await probe(film)
    assert await probe(film) is first  # no second ffmpeg: the description kept

    wider = make_clip(tmp_path / "film.mp4.part", seconds=2, width=96, height=48)
    os.replace(wider, film)  # how the bot writes every file

    again = await probe(film)
    assert again is not first
    assert (again.width, round(again.duration)) == (96, 2)
