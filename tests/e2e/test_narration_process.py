"""Issue 12 through the real process (`python -m bot`, tests/fakes/botprocess.py): a narrated
film by DM, restarts (SIGKILL) between the clips and the speech and between the speech and the
stitch, and a TTS failure. (The same stories run in process, with more detail, in
tests/e2e/test_narration.py.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.harness import status_of
from tests.e2e.test_admission import Live, field, live
from tests.e2e.test_narration import IDEA, SCENE
from tests.fakes.audio import mean_volume, streams, video_codec_line, video_packets


def film_of(run: Live, folder: Path) -> Path:
    (dm,) = run.discord.dm_messages("alice")
    (attachment,) = dm.attachments
    path = folder / attachment.filename
    path.write_bytes(run.discord.attachment(attachment.id).data)
    return path


def speech_requests(run: Live, line: int) -> int:
    return sum(1 for text in run.openai.speech.requests if text.startswith(f"Line {line}:"))


async def narrated(run: Live, clips: int = 3, **options: object) -> int:
    """/generate with narration, answered; returns the reply's id."""
    asked = await run.answered(
        await run.discord.send_slash(
            "generate", {"prompt": IDEA, "clips": clips, "narration": True, **options}
        )
    )
    return await run.discord.wait_for(lambda: asked.reply_id)


async def test_a_narrated_film_arrives_by_dm_with_the_voice_in_every_scene(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        run.replicate.max_clip_seconds = SCENE  # clips as long as their scenes
        run.openai.narration_words_per_second = 1.0  # 3-word lines: 1.2 s spoken of each 2 s
        reply_id = await narrated(run, voice="marin")
        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)

        film = film_of(run, tmp_path)
        assert streams(film) == ["Video", "Audio"]
        for scene in range(3):  # each line is heard from its own scene's start, then silence
            start = scene * SCENE
            assert mean_volume(film, start + 0.1, start + 1.1) > -40, scene
            assert mean_volume(film, start + 1.4, start + 1.9) < -60, scene
        folder = run.data / "media" / "1"  # the video was copied, not re-encoded
        assert video_packets(film) == video_packets(folder / "film.mp4")
        assert video_codec_line(film) == video_codec_line(folder / "clip-1.mp4")
        assert sum(len(video_packets(folder / f"clip-{i}.mp4")) for i in (1, 2, 3)) == len(
            video_packets(film)
        )
        assert "narrated" in (field(reply, "Narration") or "")
        assert run.openai.calls.get("realtime", 0) == 3


async def test_a_restart_between_the_clips_and_the_speech_speaks_no_line_twice(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        run.openai.speech.hold, run.openai.speech.hold_text = asyncio.Event(), "Line 3:"
        reply_id = await narrated(run)

        def clips_done_two_lines_spoken() -> bool:
            clips = run.rows("SELECT status FROM clips")
            lines = run.rows("SELECT COUNT(*) FROM narration_lines")
            return len(clips) == 3 and all(c == ("succeeded",) for c in clips) and lines == [(2,)]

        await run.discord.wait_for(clips_done_two_lines_spoken, timeout=20)
        await run.restart()  # SIGKILL, then a fresh process on the same database
        run.openai.speech.hold.set()  # line 3 (never answered before the kill) goes through

        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        assert (speech_requests(run, 1), speech_requests(run, 2)) == (1, 1)  # spoken once each
        assert run.replicate.counts["create"] == 3
        assert len(run.discord.dm_messages("alice")) == 1
        assert streams(film_of(run, tmp_path)) == ["Video", "Audio"]


async def test_a_restart_between_the_speech_and_the_stitch_speaks_nothing_again(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        run.replicate.auto_complete = False
        reply_id = await narrated(run)

        def running_and_spoken() -> bool:
            clips = run.rows("SELECT status FROM clips")
            lines = run.rows("SELECT COUNT(*) FROM narration_lines")
            return clips == [("running",)] * 3 and lines == [(3,)]

        await run.discord.wait_for(running_and_spoken, timeout=20)
        predictions = set(run.replicate.predictions)
        await run.restart()
        for prediction_id in predictions:
            run.replicate.complete(prediction_id)

        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        assert run.openai.calls.get("realtime", 0) == 3  # no line asked for again
        assert len(run.discord.dm_messages("alice")) == 1
        assert streams(film_of(run, tmp_path)) == ["Video", "Audio"]


async def test_a_tts_failure_delivers_the_silent_film_with_the_reason(tmp_path: Path) -> None:
    async with live(tmp_path) as run:
        run.openai.fail_next(503, times=100, path="/realtime")
        reply = await run.reply_final(await narrated(run))
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)

        assert streams(film_of(run, tmp_path)) == ["Video"]  # the paid clips, delivered
        text = field(reply, "Narration") or ""
        assert text.startswith("🔇 without narration") and "HTTP 503" in text, text
