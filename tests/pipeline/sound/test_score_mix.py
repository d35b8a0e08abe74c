"""The score's mix (issue 22): a track trimmed with a fade or looped with cross-fades to the
film, ducked under the film's own sound, the whole at -16 LUFS (ebur128), as long as the film,
the video copied."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.pipeline.media import ffmpeg_exe, stitch
from bot.pipeline.sound.mix import TARGET_LUFS, fitted, mix_score
from tests.e2e.test_music_process import integrated_loudness, video_seconds
from tests.fakes.audio import video_packets
from tests.fakes.mp4 import make_clip
from tests.pipeline.media.test_narrate import audio_seconds


def test_a_long_track_is_trimmed_and_a_short_one_looped() -> None:
    assert fitted(32.8, 12.0)[1] == 1
    assert fitted(4.0, 12.0)[1] == 4  # 4 s plays, each join overlapping by 1 s: 13 s >= 12 s
    assert "acrossfade" in fitted(4.0, 12.0)[0] and "afade=t=out" in fitted(32.8, 6.0)[0]


def _track(path: Path, seconds: float) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"sine=f=220:d={seconds}:sample_rate=48000", "-ac", "2", "-c:a", "pcm_s16le", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.mark.parametrize("clip_sound", [False, True], ids=["silent-clips", "clips-with-sound"])
@pytest.mark.parametrize("track_seconds", [4.0, 32.8], ids=["looped", "trimmed"])
async def test_the_mix_is_at_the_target_loudness_and_as_long_as_the_film(
    tmp_path: Path, clip_sound: bool, track_seconds: float
) -> None:
    clips = [
        make_clip(tmp_path / f"c{i}.mp4", seconds=2, width=64, height=36, audio=clip_sound)
        for i in range(3)
    ]
    film = (await stitch(clips, tmp_path / "film.mp4", workdir=tmp_path)).path
    result = await mix_score(film, _track(tmp_path / "t.wav", track_seconds), tmp_path / "s.mp4")
    assert abs(integrated_loudness(result.path) - TARGET_LUFS) <= 1.0
    assert abs(audio_seconds(result.path) - video_seconds(film)) < 0.1
    assert video_packets(result.path) == video_packets(film)  # the picture copied
