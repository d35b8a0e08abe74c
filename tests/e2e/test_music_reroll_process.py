"""Issue 22: a reroll keeps the score. Through the real process, a scored 3-scene film, then a
reroll of scene 2: the new cut has the same score under it (no second music prediction), at the
same loudness."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.sound.mix import TARGET_LUFS
from bot.pipeline.sound.music import MUSIC_MODEL
from tests.e2e.harness import status_of
from tests.e2e.test_admission import IDEA, live, private
from tests.e2e.test_music_process import integrated_loudness
from tests.e2e.test_reroll_process import clip_posts, film_of
from tests.fakes.audio import streams


async def test_a_reroll_keeps_the_score(tmp_path: Path) -> None:
    async with live(tmp_path) as run:
        command = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 3, "music": True})
        )
        reply_id = await run.discord.wait_for(lambda: command.reply_id)
        assert (status_of(await run.reply_final(reply_id)) or "").startswith("✅")
        posts = await run.discord.wait_for(
            lambda: len(clip_posts(run, reply_id)) == 3 and clip_posts(run, reply_id), timeout=15
        )
        pressed = await run.answered(await run.discord.click("reelbot:reroll:1:1", posts[1].id))
        submitted = await run.answered(await run.discord.submit_modal(pressed, {"note": "closer"}))
        assert "becomes v2" in (private(submitted) or ""), submitted.callback
        await run.discord.wait_for(lambda: len(run.discord.dm_messages("alice")) == 2, timeout=30)

        second = film_of(run.discord.dm_messages("alice")[1], tmp_path / "v2.mp4")
        assert streams(second) == ["Video", "Audio"]
        assert abs(integrated_loudness(second) - TARGET_LUFS) <= 1.0
        music = [p for p in run.replicate.predictions.values() if p.model == MUSIC_MODEL]
        assert len(music) == 1  # the same score, not rendered again
