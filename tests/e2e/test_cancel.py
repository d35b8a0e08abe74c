"""/cancel, the Cancel button and the Retry button, end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.harness import World, status_of, statuses, world
from tests.fakes.discord_fake import Message

IDEA = "a lighthouse keeper adopts a seal"
NOT_YOURS = "not one of your generations"


async def hanging_generation(w: World, clips: int = 3) -> Message:
    """A generation whose predictions all exist and never finish by themselves."""
    w.replicate.auto_complete = False
    reply = await w.generate(IDEA, clips=clips)
    await w.clips_running(1, clips)
    assert len(w.replicate.predictions) == clips
    return reply


def button_ids(message: Message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row["components"]]


async def assert_cancelled_for_good(w: World, reply: Message, creates: int) -> None:
    status = await w.wait_final(reply)
    assert status.startswith("🛑"), status
    assert all(p.canceled for p in w.replicate.predictions.values())
    await asyncio.sleep(0.3)  # long enough for a stray poll, retry or edit to show up
    assert w.replicate.counts["create"] == creates  # no new prediction after the cancel
    assert all(p.status == "canceled" for p in w.replicate.predictions.values())
    reply = w.discord.message(reply.id)
    shown = statuses(reply)
    first_final = next(i for i, s in enumerate(shown) if s.startswith("🛑"))
    assert all(s.startswith("🛑") for s in shown[first_final:]), shown  # stays cancelled
    assert button_ids(reply) == ["reelbot:retry:1"]
    generation = await w.services.repo.generation(1)
    assert generation is not None and generation.status == "cancelled"
    assert w.discord.dm_messages("alice") == []


@pytest.mark.parametrize("named", [False, True], ids=["latest", "named"])
async def test_cancel_command(tmp_path: Path, named: bool) -> None:
    async with world(tmp_path) as w:
        reply = await hanging_generation(w)

        # bob may not cancel alice's generation, even by its number
        refused = await w.command("cancel", {"generation": 1}, user="bob")
        assert NOT_YOURS in (await w.wait_private_text(refused))
        nothing = await w.command("cancel", user="bob")
        assert "no running generation" in await w.wait_private_text(nothing)
        assert not any(p.canceled for p in w.replicate.predictions.values())
        assert not (status_of(w.discord.message(reply.id)) or "").startswith("🛑")

        interaction = await w.command("cancel", {"generation": 1} if named else {})
        assert await w.wait_private_text(interaction) == "Cancelled generation #1."
        await assert_cancelled_for_good(w, reply, creates=3)

        again = await w.command("cancel", {"generation": 1})
        assert "already ended" in await w.wait_private_text(again)
        w.discord.assert_clean()


@pytest.mark.parametrize("who", ["alice", "mod"])
async def test_cancel_button(tmp_path: Path, who: str) -> None:
    async with world(tmp_path) as w:
        reply = await hanging_generation(w)
        assert button_ids(reply) == ["reelbot:cancel:1"]

        # bob's press is refused privately and changes nothing
        refused = await w.click("reelbot:cancel:1", reply, user="bob")
        assert refused.callback_type == 4 and refused.callback is not None
        assert refused.callback["data"]["flags"] & 64
        assert NOT_YOURS in refused.callback["data"]["content"]
        await asyncio.sleep(0.2)
        assert not any(p.canceled for p in w.replicate.predictions.values())
        assert not any(s.startswith("🛑") for s in statuses(w.discord.message(reply.id)))
        generation = await w.services.repo.generation(1)
        assert generation is not None and generation.status == "rendering"

        # the owner, or a member who may manage messages, cancels
        pressed = await w.click("reelbot:cancel:1", reply, user=who)
        assert pressed.callback_type == 6  # acknowledged; the reply itself shows the result
        await assert_cancelled_for_good(w, reply, creates=3)
        w.discord.assert_clean()


async def test_retry_renders_only_the_missing_clip(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.replicate.script(["failed:GPU melted"] * 3, match="Scene 2:")  # beyond its retries
        reply = await w.generate(IDEA, clips=3)

        status = await w.wait_final(reply)
        assert status.startswith("❌"), status
        failed = w.discord.message(reply.id)
        reasons = [f["value"] for e in failed.embeds for f in e["fields"] if f["name"] == "Reason"]
        assert len(reasons) == 1 and "clip 2" in reasons[0] and "GPU melted" in reasons[0]
        assert button_ids(failed) == ["reelbot:retry:1"]
        assert w.replicate.counts["create"] == 5  # clips 1 and 3, clip 2 three times
        thread = w.discord.thread_for(reply.id)
        assert thread is not None
        posts = w.discord.messages_in(int(thread["id"]))
        made = [a.filename for p in posts for a in p.attachments]
        assert made == ["clip-1.mp4", "clip-3.mp4"]  # the clips already made stay
        assert w.discord.dm_messages("alice") == []

        refused = await w.click("reelbot:retry:1", failed, user="bob")
        assert refused.callback is not None and NOT_YOURS in refused.callback["data"]["content"]

        pressed = await w.click("reelbot:retry:1", failed)
        assert pressed.callback_type == 6
        status = await w.discord.wait_for(
            lambda: (s := status_of(w.discord.message(reply.id))) and s.startswith("✅") and s,
            timeout=20,
        )
        assert w.replicate.counts["create"] == 6  # one more: only the missing clip
        newest = list(w.replicate.predictions.values())[-1]
        assert "Scene 2:" in newest.prompt
        posts = w.discord.messages_in(int(thread["id"]))
        made = [a.filename for p in posts for a in p.attachments]
        assert made == ["clip-1.mp4", "clip-3.mp4", "clip-2.mp4"]
        assert [p.content for p in posts].count(posts[0].content) == 1  # shot list once
        assert len(w.discord.dm_messages("alice")) == 1
        assert button_ids(w.discord.message(reply.id)) == ["reelbot:extend:1"]  # done: Extend
        w.discord.assert_clean()
