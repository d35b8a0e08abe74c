"""The Extend button and form in the running bot (issue 24): who may press it, a refusal said
privately before the form (past MAX_CLIPS: nothing stored or spent), a bad number refused, and
a form shown before a restart answered after it (as the Reroll form is)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import world
from tests.e2e.test_reroll import button_ids, clip_posts

NOTE = "the seal swims home at dusk"


async def test_extend_past_max_clips_is_refused_before_the_form(tmp_path: Path) -> None:
    async with world(tmp_path) as w:  # MAX_CLIPS 4
        reply = await w.generate("a lighthouse keeper adopts a seal", clips=4)
        assert (await w.wait_final(reply)).startswith("✅")
        assert button_ids(w.discord.message(reply.id)) == ["reelbot:extend:1"]
        pressed = await w.click("reelbot:extend:1", reply)
        assert pressed.callback_type == 4 and pressed.modal is None  # no form: refused
        assert "it cannot take more" in pressed.callback["data"]["content"]
        assert pressed.callback["data"]["flags"] & 64
        assert w.replicate.counts["create"] == 4
        assert await w.services.repo.versions(1) == []


async def test_only_the_owner_or_a_moderator_extends(tmp_path: Path) -> None:
    async with world(tmp_path, max_clips=6) as w:
        reply = await w.generate("a lighthouse keeper adopts a seal", clips=2)
        assert (await w.wait_final(reply)).startswith("✅")
        stranger = await w.click("reelbot:extend:1", reply, user="bob")
        assert stranger.modal is None and stranger.callback["data"]["flags"] & 64
        assert w.replicate.counts["create"] == 2


async def test_an_extend_form_shown_before_a_restart_is_answered_after_it(tmp_path: Path) -> None:
    async with world(tmp_path, max_clips=6) as w:
        reply = await w.generate("a lighthouse keeper adopts a seal", clips=2)
        assert (await w.wait_final(reply)).startswith("✅")
        pressed = await w.click("reelbot:extend:1", reply)
        assert pressed.callback_type == 9

        await w.restart()  # the process that showed the form is gone
        bad = await w.discord.submit_modal(pressed, {"scenes": "lots", "note": NOTE})
        await bad.wait_callback(timeout=5)
        assert "a whole number from 1" in (await w.wait_private_text(bad))
        submitted = await w.discord.submit_modal(pressed, {"scenes": "1", "note": NOTE})
        await submitted.wait_callback(timeout=5)
        assert "becomes v2" in (await w.wait_private_text(submitted))
        await w.discord.wait_for(lambda: len(w.discord.dm_messages("alice")) == 2, timeout=20)
        assert w.replicate.counts["create"] == 3  # one new scene
        (version,) = [v for v in await w.services.repo.versions(1) if v.number == 2]
        assert (version.added, version.note) == (1, NOTE)


async def test_the_recast_button_and_form_answer_after_restarts(tmp_path: Path) -> None:
    async with world(tmp_path, video_model="kwaivgi/kling-v3-omni-video") as w:
        reply = await w.generate("a lighthouse keeper adopts a seal", clips=3)
        assert (await w.wait_final(reply)).startswith("✅")
        posts = await w.discord.wait_for(
            lambda: [m for m in clip_posts(w, reply) if m.content.startswith("🎭 **Ada**")]
        )
        await w.restart()  # the button is persistent: a new process answers it
        pressed = await w.click("reelbot:recast:1:0", posts[0])
        assert pressed.callback_type == 9, pressed.callback
        await w.restart()  # and the form it showed
        submitted = await w.discord.submit_modal(pressed, {"note": "older"})
        await submitted.wait_callback(timeout=5)
        assert "becomes v2" in (await w.wait_private_text(submitted))
        await w.discord.wait_for(lambda: len(w.discord.dm_messages("alice")) == 2, timeout=30)
        members = await w.services.repo.cast_members(1)
        assert [(m.name, m.take, m.note) for m in members] == [("Ada", 2, "older"), ("Bo", 1, None)]
