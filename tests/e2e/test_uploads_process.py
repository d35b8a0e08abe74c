"""Replicate's uploads expire, through the real bot process (issue 19 items 2 and 3): a start
image is uploaded just before its prediction is created, not before its scene waits for a slot;
each upload is deleted once its prediction has ended; each create carries a `Cancel-After`
deadline."""

from __future__ import annotations

import math
from pathlib import Path

from tests.e2e.test_admission import IDEA, live
from tests.e2e.test_start_image_process import BLUE, close
from tests.fakes.discord_fake import OptionFile
from tests.fakes.mp4 import frame_rgb, make_image

CLIP_TIMEOUT = 60


async def test_an_image_whose_scene_waited_past_the_uploads_lifetime_still_opens_the_film(
    tmp_path: Path,
) -> None:
    data = make_image(tmp_path / "seal.png", width=640, height=360, color="0x2040c0").read_bytes()
    async with live(tmp_path, clip_concurrency=1, clip_timeout_seconds=CLIP_TIMEOUT) as run:
        run.replicate.file_lifetime = 1.0  # an upload lives a second (an hour at Replicate)
        await run.discord.send_slash("generate", {"prompt": "a storm", "clips": 1}, user="bob")
        (bobs,) = await run.discord.wait_for(
            lambda: list(run.replicate.predictions.values()), timeout=20
        )
        bobs.delay = 4.0  # bob's scene holds the only slot that long
        slash = await run.discord.send_slash(
            "generate", {"prompt": IDEA, "clips": 1, "image": OptionFile("seal.png", data)}
        )
        await run.answered(slash)
        followups = await run.discord.wait_for(lambda: slash.followups, timeout=10)
        reply = await run.reply_final(followups[0].id)
        dms = await run.discord.wait_for(lambda: run.discord.dm_messages("alice"), timeout=20)

        assert "✅" in str(reply.embeds), reply.embeds
        path = tmp_path / "delivered.mp4"
        path.write_bytes(dms[0].attachments[0].data)
        assert close(frame_rgb(path, 0.0), BLUE)  # the film opens on the member's image
        ours = [p for p in run.replicate.predictions.values() if "image" in p.input]
        assert [p.status for p in ours] == ["succeeded"]  # one prediction, its file alive
        (uploaded,) = run.replicate.uploaded.values()
        await run.discord.wait_for(lambda: run.replicate.deleted_files, timeout=10)
        assert run.replicate.deleted_files == [uploaded.id] and not run.replicate.files
        creates = [
            r
            for r in run.replicate.requests
            if r.method == "POST" and r.path.endswith("/predictions")
        ]
        assert len(creates) == 2
        assert {r.headers.get("Cancel-After") for r in creates} == {
            f"{math.ceil(CLIP_TIMEOUT + 30)}s"
        }
        run.discord.assert_clean()
