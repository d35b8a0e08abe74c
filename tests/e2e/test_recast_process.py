"""Recast (issue 24, "Done when") through the real bot process: the Recast button on Ada's
portrait in the thread, with a note, makes her portrait again (one image prediction), then
renders again the scenes that show her (1 and 2; scene 3 shows only Bo and is kept), as v2,
delivered once: her scenes now carry the new portrait (request and pixels), Bo's scene is the
same clip as before."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.pipeline.director.cast import PORTRAIT_MODEL
from tests.e2e.harness import status_of
from tests.e2e.test_admission import IDEA, live, private
from tests.e2e.test_cast_process import MODEL, near, uploaded
from tests.e2e.test_reroll_process import clip_posts, film_of
from tests.fakes.mp4 import frame_rgb, image_rgb
from tests.fakes.replicate_images import png_bytes

NOTE = "older, with a grey beard"


async def test_a_recast_changes_only_that_characters_scenes(tmp_path: Path) -> None:
    async with live(tmp_path, video_model=MODEL) as run:
        command = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 3})
        )
        reply_id = await run.discord.wait_for(lambda: command.reply_id)
        assert (status_of(await run.reply_final(reply_id)) or "").startswith("✅")
        (first_dm,) = run.discord.dm_messages("alice")
        first_cut = film_of(first_dm, tmp_path / "v1.mp4")
        before = dict(run.replicate.predictions)
        posts = clip_posts(run, reply_id)
        ada_post = next(m for m in posts if m.content.startswith("🎭 **Ada**"))

        pressed = await run.answered(await run.discord.click("reelbot:recast:1:0", ada_post.id))
        assert pressed.callback_type == 9, pressed.callback
        submitted = await run.answered(await run.discord.submit_modal(pressed, {"note": NOTE}))
        assert "becomes v2" in (private(submitted) or ""), submitted.callback
        dms = await run.discord.wait_for(
            lambda: len(run.discord.dm_messages("alice")) == 2 and run.discord.dm_messages("alice"),
            timeout=30,
        )
        assert [a.filename for a in dms[1].attachments] == ["reelbot-1-v2.mp4"]
        await asyncio.sleep(1.0)  # nothing more is sent or created
        assert len(run.discord.dm_messages("alice")) == 2

        new = [p for i, p in run.replicate.predictions.items() if i not in before]
        (portrait,) = [p for p in new if p.model == PORTRAIT_MODEL]  # Ada's, once
        assert NOTE in portrait.input["prompt"]
        ada = png_bytes(portrait.color)
        old_ada = png_bytes(
            next(
                p.color
                for p in before.values()
                if p.model == PORTRAIT_MODEL and "silver" in p.prompt
            )
        )
        assert ada != old_ada
        clips = sorted((p for p in new if p.model == MODEL), key=lambda p: p.prompt)
        assert [c.prompt.split(":")[0] for c in clips] == ["Scene 1", "Scene 2"]  # not scene 3
        for clip in clips:  # her scenes got the new portrait first
            assert uploaded(run.replicate, clip.input["reference_images"][0]) == ada

        second_cut = film_of(dms[1], tmp_path / "v2.mp4")
        assert frame_rgb(second_cut, 2.5) == frame_rgb(first_cut, 2.5)  # Bo's scene kept
        for at in (0.5, 1.5):  # her scenes: the new portrait's colour
            assert near(frame_rgb(second_cut, at), image_rgb(ada))
            assert not near(frame_rgb(first_cut, at), image_rgb(ada), 8)
        assert run.rows("SELECT idx, take, status FROM cast_members ORDER BY idx") == [
            (0, 2, "ready"),
            (1, 1, "ready"),
        ]
        thread = [m.content for m in clip_posts(run, reply_id)]
        assert sum(c.startswith("🎭 **Ada** (portrait · take 2)") for c in thread) == 1
