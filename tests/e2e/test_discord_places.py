"""Where the bot posts, what it may upload there, and where it cannot work — on the real protocol.

Upload limits are the bot's (the guild's boost tier; 10 MiB in a DM), not the member's Nitro
limit that `attachment_size_limit` reports; a bot missing a permission answers privately and
spends nothing; inside a thread or a voice channel's chat the posts go where the command was
used; a post Discord refuses is shown on the reply, one it fails for a moment is retried.
"""

from __future__ import annotations

import copy
import struct
from pathlib import Path

import pytest

from tests.e2e.harness import World, world
from tests.fakes import _common
from tests.fakes.discord_fake.access import NITRO_UPLOAD_LIMIT
from tests.fakes.discord_fake.gateway import INTENT_GUILDS
from tests.fakes.discord_fake.state import ATTACH_FILES, VIEW_CHANNEL
from tests.fakes.mp4 import make_clip

IDEA = "a lighthouse keeper adopts a seal"
MIB = 1024 * 1024
THREADS = "/channels/{channel_id}/messages/{message_id}/threads"


def field_of(w: World, message_id: int, name: str) -> str:
    message = w.discord.message(message_id)
    return next(
        (f["value"] for e in message.embeds for f in e.get("fields", []) if f["name"] == name), ""
    )


def _big_clip(key: tuple[float, int, int, str], folder: Path, size: int) -> bytes:
    """A playable mp4 of `size` bytes: a small clip and an mp4 `free` box as padding (ISO
    14496-12 free space, skipped by players), so it is big without costing an encode."""
    seconds, width, height, color = key
    path = folder / f"{width}x{height}_{seconds:g}s_{color}.mp4"
    if not path.exists():
        make_clip(path, seconds=seconds, width=width, height=height, color=color)
    data = path.read_bytes()
    pad = size - len(data)
    return data + struct.pack(">I", pad) + b"free" + bytes(pad - 8)


async def test_a_nitro_member_in_a_tier_0_guild_gets_clips_sized_to_the_guild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every clip the Replicate fake serves is 12 MiB: over a tier-0 guild's 10 MiB
    monkeypatch.setattr(_common, "_CLIP_BYTES", {})
    monkeypatch.setattr(_common, "_render_clip", lambda key: _big_clip(key, tmp_path, 12 * MIB))
    async with world(tmp_path / "data") as w:
        w.discord.give_nitro("alice")  # her own uploads may be 500 MiB; the bot's may not
        assert w.discord.premium_tier == 0
        interaction, reply = await w.start_generate(IDEA, clips=2)
        assert interaction.payload["attachment_size_limit"] == NITRO_UPLOAD_LIMIT

        status = await w.wait_final(reply, timeout=40)

        assert status.startswith("✅"), status
        thread = w.discord.thread_for(reply.id)
        assert thread is not None
        clips = w.discord.messages_in(int(thread["id"]))[1:]
        assert [c.content for c in clips] == ["Clip 1/2", "Clip 2/2"]
        sizes = [a.size for c in clips for a in c.attachments]
        assert len(sizes) == 2 and all(size <= 10 * MIB for size in sizes), sizes
        assert [c for c in w.discord.calls if c.status == 413] == []
        (dm,) = w.discord.dm_messages("alice")
        assert dm.attachments[0].size <= 10 * MIB
        assert field_of(w, reply.id, "Not posted") == ""


@pytest.mark.parametrize(
    ("denied", "named"), [(ATTACH_FILES, "Attach Files"), (VIEW_CHANNEL, "View Channel")]
)
async def test_missing_channel_permissions_create_and_spend_nothing(
    tmp_path: Path, denied: int, named: str
) -> None:
    async with world(tmp_path) as w:
        w.discord.deny_bot(denied)
        interaction = await w.command("generate", {"prompt": IDEA, "clips": 2})

        text = await w.wait_private_text(interaction)

        assert named in text and "Nothing was started" in text, text
        assert int(interaction.payload["app_permissions"]) & denied == 0
        assert await w.services.repo.generation(1) is None  # no generation row
        assert w.openai.calls == {"chat": 0, "moderations": 0}
        assert w.replicate.counts["create"] == 0
        assert [m for m in w.discord.messages_in() if not m.ephemeral] == []


async def test_a_command_used_inside_a_thread_posts_in_that_thread(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        thread_id = w.discord.add_thread(name="film club")
        thread = copy.deepcopy(w.discord.world.channels[thread_id])
        await w.discord.dispatch("THREAD_CREATE", {**thread, "newly_created": True}, INTENT_GUILDS)
        interaction = await w.discord.send_slash(
            "generate", {"prompt": IDEA, "clips": 2}, channel_id=thread_id
        )
        await interaction.wait_callback(timeout=5)
        reply_id = await w.discord.wait_for(lambda: interaction.reply_id)

        status = await w.wait_final(w.discord.message(reply_id))

        assert status.startswith("✅"), status
        posts = w.discord.messages_in(thread_id)
        assert posts[0].id == reply_id
        assert "Scene 1" in posts[1].content
        assert [p.content for p in posts[2:]] == ["Clip 1/2", "Clip 2/2"]
        assert w.discord.rest_calls(method="POST", route=THREADS) == []  # never asked for one
        generation = await w.services.repo.generation(1)
        assert generation is not None and generation.thread_id == thread_id  # the choice, stored
        assert len(w.discord.dm_messages("alice")) == 1


async def test_in_a_voice_channel_chat_discord_refuses_the_thread_once(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        voice_id = w.discord.add_voice_channel("hangout")  # not in the bot's cache: it asks
        interaction = await w.discord.send_slash(
            "generate", {"prompt": IDEA, "clips": 3}, channel_id=voice_id
        )
        await interaction.wait_callback(timeout=5)
        reply_id = await w.discord.wait_for(lambda: interaction.reply_id)

        status = await w.wait_final(w.discord.message(reply_id))

        assert status.startswith("✅"), status
        posts = w.discord.messages_in(voice_id)
        assert [p.content for p in posts[2:]] == ["Clip 1/3", "Clip 2/3", "Clip 3/3"]
        refused = w.discord.rest_calls(method="POST", route=THREADS)
        assert [c.status for c in refused] == [400]  # 50024, once, not once per post


async def test_a_post_discord_refuses_is_shown_on_the_reply(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.replicate.clip_delay = 0.5
        reply = await w.generate(IDEA, clips=2)
        await w.discord.wait_for(lambda: w.discord.thread_for(reply.id))
        w.discord.deny_bot(ATTACH_FILES)  # a moderator takes it away mid-generation

        status = await w.wait_final(reply)

        assert status.startswith("✅"), status  # the film still reached the member by DM
        shown = field_of(w, reply.id, "Not posted")
        assert "clip 1 could not be posted: Discord refused it" in shown, shown
        assert "clip 2 could not be posted" in shown and "50013" in shown, shown
        posts = await w.services.repo.posts(1)
        assert posts["clip:0"].startswith("failed:") and posts["clip:1"].startswith("failed:")
        assert (await w.services.repo.generation(1)) is not None


async def test_a_post_discord_fails_for_a_moment_is_retried(tmp_path: Path) -> None:
    async with world(tmp_path, retry_wait_scale=0.05) as w:
        w.replicate.clip_delay = 0.3
        reply = await w.generate(IDEA, clips=1)
        await w.discord.wait_for(lambda: w.discord.thread_for(reply.id))
        # 503 is not retried by discord.py itself; 500 is, up to its own limit
        w.discord.fail_next("POST", "/channels/{channel_id}/messages", 503, times=2)

        status = await w.wait_final(reply)

        assert status.startswith("✅"), status
        thread = w.discord.thread_for(reply.id)
        assert thread is not None
        posts = w.discord.messages_in(int(thread["id"]))
        assert "Scene 1" in posts[0].content and posts[1].content == "Clip 1/1"
        assert field_of(w, reply.id, "Not posted") == ""
        failed = [c.status for c in w.discord.rest_calls(method="POST") if c.status >= 500]
        assert failed == [503, 503]  # both seen, both tried again
        assert len(w.discord.dm_messages("alice")) == 1


async def test_where_posts_go_is_stored_and_kept_across_a_restart(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.replicate.clip_delay = 1.0
        voice_id = w.discord.add_voice_channel("hangout")
        interaction = await w.discord.send_slash(
            "generate", {"prompt": IDEA, "clips": 2}, channel_id=voice_id
        )
        await interaction.wait_callback(timeout=5)
        reply_id = await w.discord.wait_for(lambda: interaction.reply_id)

        async def decided() -> bool:
            generation = await w.services.repo.generation(1)
            return generation is not None and generation.thread_id == voice_id

        await w.until(decided, what="the posts' place stored")
        await w.restart()

        status = await w.wait_final(w.discord.message(reply_id), timeout=30)

        assert status.startswith("✅"), status
        posts = w.discord.messages_in(voice_id)
        assert [p.content for p in posts[2:]] == ["Clip 1/2", "Clip 2/2"]
        assert len(w.discord.rest_calls(method="POST", route=THREADS)) == 1
        assert w.discord.world.threads() == []
