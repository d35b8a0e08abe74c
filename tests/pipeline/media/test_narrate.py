"""The narration mixer: lines at their scenes' starts, the video copied, the voice ending with
the film."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.pipeline.media import ffmpeg_exe, stitch
from bot.pipeline.media.narrate import MAX_TEMPO, Line, mix_narration, place
from bot.pipeline.media.probe import probe
from tests.fakes.audio import mean_volume, streams, video_packets
from tests.fakes.mp4 import make_clip


def tone(path: Path, seconds: float, freq: int = 440) -> Path:
    """Raw 24 kHz s16le mono, as OpenAI's speech endpoint answers response_format pcm."""
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency={freq}:sample_rate=24000:duration={seconds}",
         "-ac", "1", "-f", "s16le", str(path)],
        check=True,
    )  # fmt: skip
    return path


def audio_seconds(path: Path) -> float:
    """The audio stream's own duration (ffmpeg decodes it to the end)."""
    done = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "null", "-",
         "-progress", "pipe:1", "-nostats"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    times = [
        line.split("=", 1)[1]
        for line in done.stdout.splitlines()
        if line.startswith("out_time_us=")
    ]
    return int(times[-1]) / 1_000_000


def test_a_line_longer_than_its_scene_is_sped_up_a_little_then_pushes_the_next() -> None:
    fits = Line(Path("a"), 1.5, 0.0, 2.0)
    long = Line(Path("b"), 3.0, 2.0, 2.0)  # 50 % over: sped up to MAX_TEMPO, still over
    after = Line(Path("c"), 1.0, 4.0, 2.0)
    placed = place([fits, long, after])
    assert [p.start for p in placed[:2]] == [0.0, 2.0]
    assert placed[1].tempo == MAX_TEMPO
    assert placed[2].start == pytest.approx(2.0 + 3.0 / MAX_TEMPO)  # never on top of it
    assert placed[2].tempo == 1.0


@pytest.mark.parametrize("clip_audio", [False, True], ids=["silent-clips", "clips-with-sound"])
async def test_the_voice_is_laid_at_each_scene_and_the_video_is_copied(
    tmp_path: Path, clip_audio: bool
) -> None:
    clips = [
        make_clip(tmp_path / f"c{i}.mp4", seconds=2, width=64, height=36, color=c, audio=clip_audio)
        for i, c in enumerate(("red", "green", "blue"))
    ]
    film = (await stitch(clips, tmp_path / "film.mp4")).path
    lines = [Line(tone(tmp_path / f"l{i}.pcm", 1.2), 1.2, 2.0 * i, 2.0) for i in range(3)]

    result = await mix_narration(film, lines, tmp_path / "narrated.mp4")

    assert streams(result.path) == ["Video", "Audio"]
    assert video_packets(result.path) == video_packets(film)  # not re-encoded
    for i in range(3):
        assert mean_volume(result.path, 2.0 * i + 0.2, 2.0 * i + 1.0) > -40  # the voice
        gap = mean_volume(result.path, 2.0 * i + 1.4, 2.0 * i + 1.9)  # after the line
        assert gap > -60 if clip_audio else gap < -60  # the clips' own sound stays in the mix
    assert result.overrun == 0.0


@pytest.mark.parametrize("clip_audio", [False, True], ids=["silent-clip", "clip-with-sound"])
async def test_a_last_line_past_the_end_is_cut_at_the_last_frame(
    tmp_path: Path, clip_audio: bool
) -> None:
    """Issue 19 §4: the voice never runs past the film (it did on de57d17: 1.2 s over)."""
    film = make_clip(tmp_path / "film.mp4", seconds=2, width=64, height=36, audio=clip_audio)
    line = Line(tone(tmp_path / "l.pcm", 4.0), 4.0, 0.0, 2.0)

    result = await mix_narration(film, [line], tmp_path / "narrated.mp4")

    assert result.overrun == pytest.approx(4.0 / MAX_TEMPO - 2.0, abs=0.01)  # what was cut
    assert result.duration == pytest.approx((await probe(film)).duration, abs=0.01)
    assert audio_seconds(result.path) == pytest.approx(2.0, abs=0.15)  # not 3.2 s
    assert mean_volume(result.path, 1.0, 1.5) > -40  # spoken up to the cut


async def test_a_line_that_cannot_be_mixed_leaves_the_film_silent_with_the_reason(
    tmp_path: Path, openai_fake
) -> None:
    """The Narrator's mix on a real SQLite file: a spoken line whose audio cannot be mixed
    (here a symbolic link, never handed to ffmpeg) drops the narration, stores why, and hands
    back the stitched film."""
    from openai import AsyncOpenAI

    from bot.pipeline.clips.maker import MediaPolicy
    from bot.pipeline.events import EventBus, Narrated
    from bot.pipeline.sound.speech import Narrator
    from storage.db import open_database
    from storage.models import NarrationStatus, NewGeneration
    from storage.repository import Repository

    clip = make_clip(tmp_path / "c1.mp4", seconds=2, width=64, height=36)
    film = (await stitch([clip], tmp_path / "media" / "1" / "film.mp4")).path
    (tmp_path / "media" / "1" / "line-1.pcm").symlink_to(clip)  # ffmpeg is never given a link
    events: list[object] = []
    bus = EventBus()
    bus.subscribe(events.append)
    async with (
        open_database(tmp_path / "db.sqlite3") as db,
        AsyncOpenAI(api_key="t", base_url=openai_fake.base_url) as client,
    ):
        repo = Repository(db)
        generation = await repo.create_generation(
            NewGeneration(owner_id=1, prompt="a seal", narration=True, voice="coral")
        )
        await repo.line_spoken(generation.id, 0, "Hello", str(tmp_path / "media/1/line-1.pcm"), 0)
        narrator = Narrator(client, repo=repo, policy=MediaPolicy(tmp_path / "media", ()), bus=bus)

        result = await narrator.mix(generation, film, [clip])

        narration = await repo.narration(generation.id)
    assert result == film
    assert narration is not None and narration.status is NarrationStatus.DROPPED
    assert (narration.reason or "").startswith("the voice-over could not be mixed in")
    (event,) = [e for e in events if isinstance(e, Narrated)]
    assert event.reason == narration.reason
    assert openai_fake.calls.get("realtime", 0) == 0
