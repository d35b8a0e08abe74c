"""Narration through the running bot: a voice-over written, spoken, mixed in; restarts pay no
line twice; a TTS failure still delivers the film (issue 12)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.pipeline.analysis.shotlist import narration_budget
from storage.models import GenerationStatus, NarrationStatus
from tests.e2e.harness import World, world
from tests.e2e.test_admission import field
from tests.fakes.audio import mean_volume, streams, video_codec_line, video_packets
from tests.fakes.discord_fake import Interaction

IDEA = "a lighthouse keeper adopts a seal"
SCENE = 2  # seconds, the fake's scene duration


def film_of(w: World, folder: Path) -> Path:
    (dm,) = w.discord.dm_messages("alice")
    (attachment,) = dm.attachments
    path = folder / attachment.filename
    path.write_bytes(w.discord.attachment(attachment.id).data)
    return path


async def history_text(w: World, interaction: Interaction) -> str:
    """The description of the private /history page answering `interaction`."""

    def page() -> str | None:
        for message in [
            *interaction.followups,
            *(
                [w.discord.message(interaction.original_message_id)]
                if interaction.original_message_id
                else []
            ),
        ]:
            for embed in message.embeds:
                if embed.get("description"):
                    return str(embed["description"])
        return None

    return await w.discord.wait_for(page, timeout=5)


def speech_requests(w: World, line: int) -> int:
    return sum(1 for text in w.openai.speech.requests if text.startswith(f"Line {line}:"))


async def test_a_narrated_film_arrives_with_the_voice_in_every_scene(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.replicate.max_clip_seconds = SCENE  # clips as long as their scenes
        w.openai.narration_words_per_second = 1.0  # 3-word lines: 1.2 s spoken of each 2 s
        reply = await w.generate(IDEA, clips=3, narration=True, voice="marin")
        status = await w.wait_final(reply)
        assert status.startswith("✅"), status

        film = film_of(w, tmp_path)
        assert streams(film) == ["Video", "Audio"]
        for scene in range(3):  # each line is heard from its own scene's start, then silence
            start = scene * SCENE
            assert mean_volume(film, start + 0.1, start + 1.1) > -40, scene
            assert mean_volume(film, start + 1.4, start + 1.9) < -60, scene
        # the video stream was not re-encoded: the mix copied the stitched film's packets
        # exactly, and those are the clips' packets (the stitch's concat demuxer repeats the
        # parameter sets in each clip's first keyframe, so those are a little larger)
        folder = w.settings.media_dir / "1"
        assert video_packets(film) == video_packets(folder / "film.mp4")
        clips = [video_packets(folder / f"clip-{i}.mp4") for i in (1, 2, 3)]
        joined = video_packets(film)
        assert len(joined) == sum(len(c) for c in clips)
        at = 0
        for packets in clips:
            assert joined[at + 1 : at + len(packets)] == packets[1:]
            assert int(joined[at][0]) >= int(packets[0][0])
            at += len(packets)
        assert video_codec_line(film) == video_codec_line(folder / "clip-1.mp4")

        # one Realtime session per line, each within its scene's budget, in the chosen voice
        sessions = w.openai.realtime.sessions
        assert len(sessions) == 3 and {s["voice"] for s in sessions} == {"marin"}
        assert all(
            len(text.split()) <= narration_budget(SCENE) for text in w.openai.speech.requests
        )
        assert {s["model"] for s in sessions} == {"gpt-realtime-2.1-mini"}
        assert "narrated" in (field(w.discord.message(reply.id), "Narration") or "")
        thread = w.discord.thread_for(reply.id)
        assert thread is not None
        shot_list = w.discord.messages_in(int(thread["id"]))[0].content
        assert shot_list.count("🎙️") == 3 and "Line 2:" in shot_list

        history = await w.command("history")
        assert "🎙️ narrated" in await history_text(w, history)


async def test_without_narration_nothing_is_spoken(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        reply = await w.generate(IDEA, clips=2)
        assert (await w.wait_final(reply)).startswith("✅")
        assert w.openai.calls.get("realtime", 0) == 0
        assert field(w.discord.message(reply.id), "Narration") is None
        assert "narration" not in str(w.openai.last_schema)


async def test_a_tts_failure_delivers_the_silent_film_with_the_reason(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.openai.fail_next(503, times=100, path="/realtime")
        reply = await w.generate(IDEA, clips=3, narration=True)
        status = await w.wait_final(reply)
        assert status.startswith("✅"), status

        film = film_of(w, tmp_path)
        assert streams(film) == ["Video"]  # the clips as they were: paid for, delivered
        text = field(w.discord.message(reply.id), "Narration") or ""
        assert text.startswith("🔇 without narration") and "HTTP 503" in text, text
        narration = await w.services.repo.narration(1)
        assert narration is not None and narration.status is NarrationStatus.DROPPED
        history = await w.command("history")
        assert "🔇 not narrated" in await history_text(w, history)


async def test_required_narration_fails_the_generation_when_tts_fails(tmp_path: Path) -> None:
    async with world(tmp_path, narration_required=True, narration_default=True) as w:
        w.openai.fail_next(400, times=100, path="/realtime")
        reply = await w.generate(IDEA, clips=2)  # narrated by the operator's default
        status = await w.wait_final(reply)
        assert status.startswith("❌"), status
        reason = field(w.discord.message(reply.id), "Reason") or ""
        assert "narration is required" in reason and "HTTP 400" in reason, reason
        assert w.discord.dm_messages("alice") == []


async def test_a_restart_between_the_clips_and_the_speech_speaks_no_line_twice(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        w.openai.speech.hold, w.openai.speech.hold_text = asyncio.Event(), "Line 3:"
        reply = await w.generate(IDEA, clips=3, narration=True)

        async def clips_done_two_lines_spoken() -> bool:
            clips = await w.services.repo.clips(1)
            lines = await w.services.repo.narration_lines(1)
            return (
                len(clips) == 3
                and all(c.status == "succeeded" for c in clips)
                and (len(lines) == 2)
            )

        await w.until(clips_done_two_lines_spoken, what="the clips and two lines")
        await w.restart()
        w.openai.speech.hold.set()  # line 3 (never answered before the restart) goes through

        await w.status_reached(1, GenerationStatus.DONE)
        assert (await w.wait_final(reply)).startswith("✅")
        assert (speech_requests(w, 1), speech_requests(w, 2)) == (1, 1)  # spoken once each
        assert w.replicate.counts["create"] == 3
        assert len(w.discord.dm_messages("alice")) == 1
        assert streams(film_of(w, tmp_path)) == ["Video", "Audio"]


async def test_a_restart_between_the_speech_and_the_stitch_speaks_nothing_again(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        w.replicate.auto_complete = False
        reply = await w.generate(IDEA, clips=3, narration=True)
        await w.clips_running(1, 3)

        async def spoken() -> bool:
            return len(await w.services.repo.narration_lines(1)) == 3

        await w.until(spoken, what="three spoken lines")
        predictions = set(w.replicate.predictions)
        await w.restart()
        for prediction_id in predictions:
            w.replicate.complete(prediction_id)

        await w.status_reached(1, GenerationStatus.DONE)
        assert (await w.wait_final(reply)).startswith("✅")
        assert w.openai.calls.get("realtime", 0) == 3  # no line asked for again
        assert len(w.discord.dm_messages("alice")) == 1
        assert streams(film_of(w, tmp_path)) == ["Video", "Audio"]
