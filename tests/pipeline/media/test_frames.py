"""A clip's last frame, on real clips made by ffmpeg (tests/fakes/mp4.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline.errors import MediaError
from bot.pipeline.media import last_frame, stitch
from bot.pipeline.media._ffmpeg import run_ffmpeg
from tests.fakes.mp4 import frame_rgb, make_clip

FPS = 12


def dominant(rgb: tuple[int, int, int]) -> str:
    return "rgb"[max(range(3), key=lambda i: rgb[i])]


async def test_the_last_frame_is_the_very_last_one(tmp_path: Path) -> None:
    """Two seconds of red, then one single blue frame: only the last frame is blue."""
    red = make_clip(tmp_path / "red.mp4", seconds=2.0, width=64, height=36, fps=FPS, color="red")
    blue = make_clip(
        tmp_path / "blue.mp4", seconds=1 / FPS, width=64, height=36, fps=FPS, color="blue"
    )
    clip = (await stitch([red, blue], tmp_path / "clip.mp4")).path

    frame = await last_frame(clip, tmp_path / "frames" / "last.png")

    assert frame == tmp_path / "frames" / "last.png"
    assert frame.read_bytes().startswith(b"\x89PNG")
    assert dominant(frame_rgb(frame, 0)) == "b"
    assert dominant(frame_rgb(clip, 1.0)) == "r"  # the rest of the clip is red
    assert sorted(p.name for p in frame.parent.iterdir()) == ["last.png"]  # no temporary left


async def test_a_jpeg_frame_and_the_same_bytes_every_time(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", seconds=1.0, width=64, height=36, color="green")

    first = (await last_frame(clip, tmp_path / "a.jpg")).read_bytes()
    again = (await last_frame(clip, tmp_path / "b.jpg")).read_bytes()

    assert first.startswith(b"\xff\xd8") and first == again  # a restart rebuilds the same input
    assert dominant(frame_rgb(tmp_path / "a.jpg", 0)) == "g"


async def test_a_clip_shorter_than_the_tail_still_gives_its_last_frame(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", seconds=0.25, width=64, height=36, color="red")

    assert dominant(frame_rgb(await last_frame(clip, tmp_path / "f.png"), 0)) == "r"


async def test_audio_that_outlasts_the_video_falls_back_to_the_whole_clip(tmp_path: Path) -> None:
    clip = tmp_path / "long_audio.mp4"
    await run_ffmpeg(
        [
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=64x36:r=12:d=0.5",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=22050:duration=5",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(clip),
        ]
    )

    assert dominant(frame_rgb(await last_frame(clip, tmp_path / "f.png"), 0)) == "b"


async def test_a_file_that_is_not_a_video_is_a_media_error(tmp_path: Path) -> None:
    bogus = tmp_path / "clip.mp4"
    bogus.write_bytes(b"not a video at all")

    with pytest.raises(MediaError, match=r"last frame of clip\.mp4"):
        await last_frame(bogus, tmp_path / "f.png")
    assert not (tmp_path / "f.png").exists()


async def test_only_png_or_jpeg(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", seconds=0.5, width=64, height=36)

    with pytest.raises(ValueError, match=r"\.gif"):
        await last_frame(clip, tmp_path / "f.gif")
