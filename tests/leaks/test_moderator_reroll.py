"""Leak 6 of issue 18: a moderator's Reroll was charged to the film's owner, whose film came
back shaped by someone else's note with no word of who asked. Now the run is the moderator's
(their daily runs and seconds count it; the owner's do not move) and the DM says who asked."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import world
from tests.e2e.test_reroll import IDEA, NOTE, clip_posts


async def test_a_moderator_s_reroll_is_charged_to_the_moderator_and_named_in_the_dm(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        reply = await w.generate(IDEA, clips=2)
        assert (await w.wait_final(reply)).startswith("✅")
        posts = await w.discord.wait_for(
            lambda: len(clip_posts(w, reply)) == 2 and clip_posts(w, reply)
        )
        alice, mod = w.discord.users["alice"].id, w.discord.users["mod"].id
        owner_before = await w.services.repo.usage_since(alice, 0)

        pressed = await w.click("reelbot:reroll:1:1", posts[1], user="mod")  # manage messages
        assert pressed.callback_type == 9, pressed.callback
        submitted = await w.discord.submit_modal(pressed, {"note": NOTE})
        await submitted.wait_callback(timeout=5)
        dms = await w.discord.wait_for(
            lambda: len(w.discord.dm_messages("alice")) == 2 and w.discord.dm_messages("alice"),
            timeout=20,
        )

        assert await w.services.repo.usage_since(alice, 0) == owner_before
        moderator = await w.services.repo.usage_since(mod, 0)
        assert moderator.runs == 1 and moderator.seconds > 0  # the take's create
        assert f"<@{mod}>" in dms[-1].content
        assert f"<@{mod}>" not in dms[0].content
