"""Issue 22's score through the real process (`python -m bot`, tests/fakes/botprocess.py): the
fake Replicate serves google/lyria-2 answering a real 32.8 s WAV; a film with `music:True` has
an audio track that is not silent, at -16 LUFS integrated (within 1 LU, measured with ffmpeg's
ebur128), exactly as long as the film; with narration too, the voice stands above the music."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from bot.pipeline.media import ffmpeg_exe
from bot.pipeline.sound.mix import TARGET_LUFS
from bot.pipeline.sound.music import MUSIC_MODEL
from tests.e2e.harness import status_of
from tests.e2e.test_admission import live
from tests.e2e.test_narration import IDEA, SCENE
from tests.e2e.test_narration_process import film_of, narrated
from tests.fakes.audio import mean_volume, streams
from tests.pipeline.media.test_narrate import audio_seconds


def integrated_loudness(path: Path) -> float:
    """EBU R128 integrated loudness of the file's audio, as ffmpeg's ebur128 measures it."""
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path), "-map", "0:a:0", "-af", "ebur128",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", done.stderr)[-1])


def video_seconds(path: Path) -> float:
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True)
    found = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", done.stderr.decode())
    assert found
    return int(found[1]) * 3600 + int(found[2]) * 60 + float(found[3])


async def test_a_scored_film_is_loud_enough_and_as_long_as_the_film(tmp_path: Path) -> None:
    async with live(tmp_path) as run:
        run.replicate.max_clip_seconds = SCENE
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 3, "music": True})
        )
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)
        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)

        film = film_of(run, tmp_path)
        assert streams(film) == ["Video", "Audio"]  # the clips were silent: the score is heard
        for scene in range(3):
            assert mean_volume(film, scene * SCENE + 0.2, scene * SCENE + 1.8) > -40, scene
        assert abs(integrated_loudness(film) - TARGET_LUFS) <= 1.0
        assert abs(audio_seconds(film) - video_seconds(film)) < 0.1
        music = [p for p in run.replicate.predictions.values() if p.model == MUSIC_MODEL]
        assert len(music) == 1  # one score, rendered alongside the three clips
        assert music[0].input["prompt"] == run.openai.music_direction
        assert run.rows("SELECT status, prediction_id FROM scores") == [("ready", music[0].id)]
        shown = json.dumps(reply.embeds)  # the estimate the member saw names the score
        assert f"Music: one 32.8 s score from {MUSIC_MODEL}" in shown


async def test_with_narration_the_voice_stands_above_the_music(tmp_path: Path) -> None:
    async with live(tmp_path) as run:
        run.replicate.max_clip_seconds = SCENE
        run.openai.narration_words_per_second = 1.0  # 1.2 s spoken of each 2 s scene
        reply = await run.reply_final(await narrated(run, music=True))
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)

        film = film_of(run, tmp_path)
        assert abs(integrated_loudness(film) - TARGET_LUFS) <= 1.0
        for scene in range(2):  # the last scene's end is the score's fade-out
            start = scene * SCENE
            voiced = mean_volume(film, start + 0.2, start + 1.1)  # voice over (ducked) music
            music_only = mean_volume(film, start + 1.5, start + 1.95)  # the voice has paused
            assert music_only > -45, scene  # the music is there
            assert voiced - music_only >= 6, (scene, voiced, music_only)


async def test_a_failed_score_delivers_the_film_without_music_and_says_why(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        run.replicate.max_clip_seconds = SCENE
        run.replicate.script(["failed:the music model is overloaded"], match="strings")
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2, "music": True})
        )
        reply = await run.reply_final(await run.discord.wait_for(lambda: asked.reply_id))
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        assert streams(film_of(run, tmp_path)) == ["Video"]  # the paid clips, delivered
        ((status, reason),) = run.rows("SELECT status, reason FROM scores")
        assert status == "dropped" and "overloaded" in reason


async def test_with_music_required_a_failed_score_fails_the_generation(tmp_path: Path) -> None:
    async with live(tmp_path, MUSIC_REQUIRED="true") as run:
        run.replicate.max_clip_seconds = SCENE
        run.replicate.script(["failed:the music model is overloaded"], match="strings")
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2, "music": True})
        )
        reply = await run.reply_final(await run.discord.wait_for(lambda: asked.reply_id))
        assert not (status_of(reply) or "").startswith("✅"), status_of(reply)
        assert run.rows("SELECT status FROM generations") == [("failed",)]


async def test_a_restart_while_the_score_renders_reattaches_and_pays_once(tmp_path: Path) -> None:
    async with live(tmp_path) as run:
        run.replicate.max_clip_seconds = SCENE
        run.replicate.auto_complete = False
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2, "music": True})
        )
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)

        def score_created() -> bool:
            rows = run.rows("SELECT prediction_id FROM scores")
            return bool(rows and rows[0][0]) and len(run.replicate.predictions) == 3

        await run.discord.wait_for(score_created, timeout=20)
        await run.restart()  # SIGKILL, then a fresh process on the same database
        for prediction_id in list(run.replicate.predictions):
            run.replicate.complete(prediction_id)
        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        music = [p for p in run.replicate.predictions.values() if p.model == MUSIC_MODEL]
        assert len(music) == 1  # re-attached, not created again
        assert streams(film_of(run, tmp_path)) == ["Video", "Audio"]
