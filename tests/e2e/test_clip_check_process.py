"""Clips checked before they are public (issue 19 item 5), through the real bot process: the
fake moderation flags frames by their colour; the second scene's clip (lime, in the fake
Replicate's palette) is flagged. It never appears in the thread or the channel, the film is not
delivered, and the member is told privately (a DM) which scene and why."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_admission import IDEA, live
from tests.fakes.mp4 import frame_rgb

LIME = "0x00ff00"  # scene 2's colour (tests/fakes/replicate_fake.py PALETTE)


def close(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


async def test_a_flagged_clip_is_never_public_and_its_member_is_told_privately(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        run.openai.flag_colors = {LIME}
        slash = await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        await run.answered(slash)
        reply_id = await run.discord.wait_for(lambda: slash.reply_id)
        reply = await run.reply_final(reply_id)
        dms = await run.discord.wait_for(lambda: run.discord.dm_messages("alice"), timeout=20)

        assert "❌" in str(reply.embeds)  # the film is not delivered with the withheld scene
        (told,) = dms
        assert not told.attachments
        assert "Scene 2" in told.content and "violence/graphic" in told.content
        assert "Retry" in told.content
        thread = run.discord.thread_for(reply.id)
        public = run.discord.messages_in() + (
            run.discord.messages_in(int(thread["id"])) if thread else []
        )
        shown = [a for m in public for a in m.attachments]
        for n, attachment in enumerate(shown):
            path = tmp_path / f"shown-{n}.mp4"
            path.write_bytes(attachment.data)
            assert not close(frame_rgb(path, 0.0), (0, 255, 0))  # no frame of scene 2, anywhere
        assert all("violence" not in m.content for m in public)  # the why stays private
        assert run.openai.moderated_images >= 4  # frames of both clips went through moderation
        run.discord.assert_clean()
