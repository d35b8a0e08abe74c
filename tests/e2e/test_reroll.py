"""Reroll one scene (issue 11 §1) through Discord, in process: the Reroll button on each clip in
the thread, its note modal (callback type 9, then a MODAL_SUBMIT), who may press it, the new
cut delivered once as v2, the reply and /history showing the version."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.e2e.harness import status_of, world
from tests.fakes.discord_fake import Message

IDEA = "a lighthouse keeper adopts a seal"
NOTE = "closer on the seal's face"
NOT_YOURS = "That is not one of your generations"


def field(message: Message, name: str) -> str | None:
    for embed in message.embeds:
        for f in embed.get("fields", []):
            if f["name"] == name:
                return str(f["value"])
    return None


def button_ids(message: Message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row["components"]]


def clip_posts(w: Any, reply: Message) -> list[Message]:
    thread = w.discord.thread_for(reply.id)
    assert thread is not None
    return [m for m in w.discord.messages_in(int(thread["id"])) if m.attachments]


async def test_reroll_scene_two_with_a_note_delivers_v2_once(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        reply = await w.generate(IDEA, clips=3)
        assert (await w.wait_final(reply)).startswith("✅")
        posts = await w.discord.wait_for(
            lambda: len(clip_posts(w, reply)) == 3 and clip_posts(w, reply)
        )
        assert [button_ids(p) for p in posts] == [[f"reelbot:reroll:1:{i}"] for i in range(3)]
        assert w.replicate.counts["create"] == 3

        # a member who may not manage messages there is refused privately, no modal
        refused = await w.click("reelbot:reroll:1:1", posts[1], user="bob")
        assert refused.callback_type == 4 and NOT_YOURS in refused.callback["data"]["content"]
        assert refused.modal is None

        # the owner gets the modal (callback type 9), then submits it with a note
        pressed = await w.click("reelbot:reroll:1:1", posts[1])
        assert pressed.callback_type == 9, pressed.callback
        modal = pressed.modal
        assert modal is not None and modal["custom_id"].startswith("reelbot:reroll-note:1:1:")
        (label,) = modal["components"]
        assert label["type"] == 18 and label["component"]["type"] == 4
        assert label["component"]["max_length"] == 200 and label["component"]["required"] is False
        submitted = await w.discord.submit_modal(pressed, {"note": NOTE})
        await submitted.wait_callback(timeout=5)
        assert "becomes v2" in (await w.wait_private_text(submitted))

        dms = await w.discord.wait_for(
            lambda: len(w.discord.dm_messages("alice")) == 2 and w.discord.dm_messages("alice"),
            timeout=20,
        )
        assert [a.filename for a in dms[1].attachments] == ["reelbot-1-v2.mp4"]
        assert "(v2)" in dms[1].content
        assert w.replicate.counts["create"] == 4  # scene 2 only
        new = list(w.replicate.predictions.values())[-1]
        assert new.prompt.startswith(f"Scene 2: {IDEA}, ") and NOTE in new.prompt

        # the reply shows v2 and the scene that changed; the new take is in the thread
        status = await w.discord.wait_for(
            lambda: (
                (s := status_of(w.discord.message(reply.id)) or "").startswith("✅")
                and "v2" in s
                and s
            )
        )
        assert status == "✅ Done — v2 of the film was sent to you"
        shown = w.discord.message(reply.id)
        assert field(shown, "Version") == "v2 · rerolled: scene 2 (v2)"
        assert "✅ clip 2: done · v2" in (field(shown, "Clips") or "")
        takes = await w.discord.wait_for(
            lambda: len(clip_posts(w, reply)) == 4 and clip_posts(w, reply)
        )
        assert takes[-1].content == "Clip 2/3 · v2"
        assert [a.filename for a in takes[-1].attachments] == ["clip-2-v2.mp4"]
        assert button_ids(takes[-1]) == ["reelbot:reroll:1:1"]

        # /history shows the versions
        history = await w.command("history")
        text = history.callback["data"]["embeds"][0]["description"]
        assert "v2 (scene 2 rerolled)" in text

        await asyncio.sleep(0.3)
        assert len(w.discord.dm_messages("alice")) == 2  # delivered once


async def test_a_reroll_whose_stored_clips_are_gone_is_refused_privately(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        reply = await w.generate(IDEA, clips=2)
        assert (await w.wait_final(reply)).startswith("✅")
        posts = await w.discord.wait_for(
            lambda: len(clip_posts(w, reply)) == 2 and clip_posts(w, reply)
        )
        clips = await w.services.repo.clips(1)
        Path(clips[0].output_path or "").unlink()  # as the retention sweep does

        pressed = await w.click("reelbot:reroll:1:1", posts[1], user="mod")  # manage messages
        assert pressed.callback_type == 4 and pressed.modal is None
        assert "scene(s) 1 of generation #1 is gone" in pressed.callback["data"]["content"]
        assert pressed.callback["data"]["flags"] & 64
        assert w.replicate.counts["create"] == 2
        assert (await w.services.repo.usage_since(w.discord.users["alice"].id, 0)).runs == 1


async def test_a_note_form_shown_before_a_restart_is_answered_after_it(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        reply = await w.generate(IDEA, clips=2)
        assert (await w.wait_final(reply)).startswith("✅")
        posts = await w.discord.wait_for(
            lambda: len(clip_posts(w, reply)) == 2 and clip_posts(w, reply)
        )
        pressed = await w.click("reelbot:reroll:1:0", posts[0])
        assert pressed.callback_type == 9

        await w.restart()  # the process that showed the form is gone
        submitted = await w.discord.submit_modal(pressed, {"note": NOTE})
        await submitted.wait_callback(timeout=5)
        assert "becomes v2" in (await w.wait_private_text(submitted))
        await w.discord.wait_for(lambda: len(w.discord.dm_messages("alice")) == 2, timeout=20)
        prompt = list(w.replicate.predictions.values())[-1].prompt
        assert prompt.startswith(f"Scene 1: {IDEA}, ") and NOTE in prompt
