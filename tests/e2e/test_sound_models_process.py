"""Issue 22 through the real process: a film made with a model that renders its own sound
(VIDEO_MODEL=bytedance/seedance-2.0; the fake's clips then carry a tone) keeps that sound
through the stitch (a stream copy: the clips agree), and narration is laid over it without
silencing it where the voice pauses."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.harness import status_of
from tests.e2e.test_admission import live
from tests.e2e.test_narration import IDEA, SCENE
from tests.e2e.test_narration_process import film_of, narrated
from tests.fakes.audio import mean_volume, streams, video_packets

SOUND_MODEL = "bytedance/seedance-2.0"


async def test_the_clips_own_sound_survives_the_stitch(tmp_path: Path) -> None:
    async with live(tmp_path, VIDEO_MODEL=SOUND_MODEL) as run:
        run.replicate.max_clip_seconds = SCENE
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 3})
        )
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)
        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)

        film = film_of(run, tmp_path)
        assert streams(film) == ["Video", "Audio"]
        for scene in range(3):  # every scene's own sound is there
            start = scene * SCENE
            assert mean_volume(film, start + 0.2, start + 1.8) > -40, scene
        # the clips (issue 24: the cast's portraits are predictions of the image model too)
        inputs = [p.input for p in run.replicate.predictions.values() if p.model == SOUND_MODEL]
        assert len(inputs) == 3 and all(i.get("generate_audio") is True for i in inputs)
        folder = run.data / "media" / "1"  # joined by stream copy: the packets are the clips'
        assert sum(len(video_packets(folder / f"clip-{i}.mp4")) for i in (1, 2, 3)) == len(
            video_packets(film)
        )


async def test_narration_is_laid_over_the_clips_own_sound(tmp_path: Path) -> None:
    async with live(tmp_path, VIDEO_MODEL=SOUND_MODEL) as run:
        run.replicate.max_clip_seconds = SCENE
        run.openai.narration_words_per_second = 1.0  # 1.2 s spoken of each 2 s scene
        reply = await run.reply_final(await narrated(run))
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)

        shown = json.dumps(reply.embeds)  # the member is told the voice covers the clips' sound
        assert "renders its own sound" in shown and "narration is laid over it" in shown
        film = film_of(run, tmp_path)
        assert streams(film) == ["Video", "Audio"]
        for scene in range(3):
            start = scene * SCENE
            assert mean_volume(film, start + 0.1, start + 1.1) > -40, scene  # the voice
            # where the voice pauses the clip's own sound is heard (silent clips: < -60 there)
            assert mean_volume(film, start + 1.5, start + 1.9) > -40, scene
