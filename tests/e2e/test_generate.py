"""/generate end to end: reply, thread, clips, edits, DM — on the real protocol."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest

from bot.pipeline import media
from tests.e2e.harness import World, bot_messages, status_of, statuses, world
from tests.fakes import _common
from tests.fakes.discord_fake import Edit, Message
from tests.fakes.mp4 import make_clip

CHANNEL_EDIT = "/channels/{channel_id}/messages/{message_id}"
WEBHOOK_ROUTES = ("/webhooks/{webhook_id}/{webhook_token}",)
IDEA = "a lighthouse keeper adopts a seal"


def sent_allowed_mentions(call_json: Any) -> dict[str, Any] | None:
    """`allowed_mentions` of a message body, or of an interaction callback's `data`."""
    if not isinstance(call_json, dict):
        return None
    if "allowed_mentions" in call_json:
        return call_json["allowed_mentions"]
    data = call_json.get("data")
    return data.get("allowed_mentions") if isinstance(data, dict) else None


def edit_status(edit: Edit) -> str:
    for embed in edit.body.get("embeds") or []:
        for field in embed.get("fields", []):
            if field["name"] == "Status":
                return str(field["value"])
    return ""


def film_posts(messages: list[Message]) -> list[Message]:
    return [m for m in messages if any(a.filename.startswith("reelbot-") for a in m.attachments)]


async def probe_attachment(w: World, message: Message, folder: Path) -> media.VideoInfo:
    """Download the message's only attachment from the fake and probe it with ffmpeg."""
    (attachment,) = message.attachments
    path = folder / attachment.filename
    path.write_bytes(w.discord.attachment(attachment.id).data)
    return await media.probe(path)


def assert_only_channel_edits(w: World, reply: Message) -> None:
    """Every change after the interaction response went through the bot-token channel route:
    the interaction webhook made the reply (the private "thinking" answer deleted, the public
    followup sent) and nothing else."""
    assert reply.edits, "the reply was never edited"
    assert {e.route for e in reply.edits} == {CHANNEL_EDIT}
    webhook_calls = [
        (c.method, c.route.rsplit("/", 1)[-1])
        for c in w.discord.rest_calls()
        if c.route.startswith(WEBHOOK_ROUTES)
    ]
    assert webhook_calls == [("DELETE", "@original"), ("POST", "{webhook_token}")]


async def test_full_generation_three_clips(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        bob = w.discord.users["bob"]
        prompt = f"{IDEA} @everyone <@123> {bob.mention} @here"
        interaction, reply = await w.start_generate(prompt, clips=3)

        # answered at once, privately ("thinking", type 5), inside Discord's 3 s; the public
        # reply follows, and the private answer is gone
        assert interaction.callback_type == 5, interaction.callback
        assert interaction.callback is not None and interaction.callback["data"]["flags"] & 64
        assert interaction.latency is not None and interaction.latency < 3.0
        assert not reply.ephemeral
        assert interaction.original_message is not None and interaction.original_message.deleted

        status = await w.wait_final(reply)
        assert status == "✅ Done — the film was sent to you", status
        reply = w.discord.message(reply.id)

        # the reply showed progress before it ended; "done" only after the DM was sent
        shown = statuses(reply)
        assert any(s.startswith("🎬 Rendering") for s in shown), shown
        assert any("Progress" in f["name"] for e in reply.embeds for f in e["fields"])
        progress = [
            f["value"] for e in reply.embeds for f in e["fields"] if f["name"] == "Progress"
        ]
        assert progress == ["▰▰▰▰▰▰▰▰▰▰ clip 3/3 done"]
        dms = w.discord.dm_messages("alice")
        assert len(dms) == 1
        dm_sent_at = dms[0].history[0].at
        done_edits = [e for e in reply.edits if edit_status(e).startswith("✅")]
        assert done_edits and min(e.at for e in done_edits) >= dm_sent_at
        # no Cancel button once done; Extend (issue 24) continues the delivered film
        buttons = [c["custom_id"] for row in reply.components for c in row["components"]]
        assert buttons == ["reelbot:extend:1"]

        # every edit after the interaction response went through the channel endpoint
        assert_only_channel_edits(w, reply)

        # the thread: the shot list, then the three clips in scene order
        thread = w.discord.thread_for(reply.id)
        assert thread is not None
        posts = w.discord.messages_in(int(thread["id"]))
        assert "Scene 1" in posts[0].content and not posts[0].attachments
        assert [[a.filename for a in p.attachments] for p in posts[1:]] == [
            ["clip-1.mp4"],
            ["clip-2.mp4"],
            ["clip-3.mp4"],
        ]
        assert [p.content for p in posts[1:]] == ["Clip 1/3", "Clip 2/3", "Clip 3/3"]

        # the DM carries one playable mp4
        info = await probe_attachment(w, dms[0], tmp_path)
        assert info.duration > 2.5 and (info.width, info.height) == (160, 90)
        assert dms[0].attachments[0].content_type == "video/mp4"

        # nobody was pinged by anything the bot sent, whatever the prompt said
        for message in bot_messages(w):
            assert not message.mention_everyone, message.payload
            assert message.mentions == [] and message.payload["mention_roles"] == []
        sending = [
            c
            for c in w.discord.rest_calls()
            if c.route.endswith(("/callback", "/messages", "/messages/{message_id}", "_token}"))
            and c.method in ("POST", "PATCH")
            and (c.json or {}).get("type") != 5  # the private "thinking" answer: no message
        ]
        assert len(sending) >= 7  # the reply, its edits, four thread posts, the DM
        for call in sending:  # each one says: parse no mention at all
            assert (sent_allowed_mentions(call.json) or {}).get("parse") == [], call.json
        w.discord.assert_clean()


async def test_edits_keep_working_after_the_interaction_token_expires(tmp_path: Path) -> None:
    async with world(tmp_path, reply_edit_seconds=0.2) as w:
        w.replicate.clip_delay = 0.6
        _, reply = await w.start_generate(IDEA, clips=2)
        w.discord.expire_interaction_tokens()  # "Invalid Webhook Token" from now on

        status = await w.wait_final(reply)
        assert status.startswith("✅"), status
        reply = w.discord.message(reply.id)
        assert len(reply.edits) >= 2
        assert_only_channel_edits(w, reply)
        # coalesced: never more than one edit of the reply per REPLY_EDIT_SECONDS
        times = [e.at for e in reply.history]
        assert min(b - a for a, b in itertools.pairwise(times)) >= 0.2
        assert [c for c in w.discord.rest_calls() if c.status == 401] == []
        assert len(w.discord.dm_messages("alice")) == 1
        w.discord.assert_clean()


async def test_refused_dm_posts_the_film_in_the_thread_mentioning_only_the_owner(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        w.discord.refuse_dms("alice")
        # posts in one channel are slow (rate limited): the film must still come after the clips
        w.discord.set_rate_limit("POST", "/channels/{channel_id}/messages", 1, 0.6)
        alice, bob = w.discord.users["alice"], w.discord.users["bob"]
        reply = await w.generate(f"{IDEA} @everyone {bob.mention}", clips=2)

        status = await w.wait_final(reply)
        assert status == "✅ Done — your DMs are closed, so the film was posted with a mention"
        assert w.discord.dm_messages("alice") == []
        thread = w.discord.thread_for(reply.id)
        assert thread is not None
        posts = w.discord.messages_in(int(thread["id"]))
        (film,) = film_posts(posts)
        assert [len(p.attachments) for p in posts] == [0, 1, 1, 1]  # shot list, clips, film
        assert film is posts[-1]
        assert w.discord.count_429 == 0  # discord.py waited on the rate-limit headers
        assert alice.mention in film.content
        assert film.mentions == [alice.id]
        assert not film.mention_everyone
        created = film.history[0].body["allowed_mentions"]
        assert created["parse"] == [] and [str(u) for u in created["users"]] == [str(alice.id)]
        assert film_posts(w.discord.messages_in()) == []  # not in the channel as well
        info = await probe_attachment(w, film, tmp_path)
        assert info.duration > 1.5
        w.discord.assert_clean()


async def test_without_thread_permission_the_posts_go_in_the_channel(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.discord.forbid_threads = True
        reply = await w.generate(IDEA, clips=2)

        status = await w.wait_final(reply)
        assert status.startswith("✅"), status
        assert w.discord.thread_for(reply.id) is None
        assert w.discord.world.threads() == []
        assert len(w.discord.dm_messages("alice")) == 1
        reply = w.discord.message(reply.id)
        assert_only_channel_edits(w, reply)
        # the shot list and the clips, in the channel rather than silently dropped
        posts = w.discord.messages_in()
        assert posts[0] == reply and "Scene 1" in posts[1].content
        assert [p.content for p in posts[2:]] == ["Clip 1/2", "Clip 2/2"]
        generation = await w.services.repo.generation(1)
        assert generation is not None and generation.thread_id == w.discord.channel_id
        refused = w.discord.rest_calls(method="POST", route=CHANNEL_EDIT + "/threads")
        assert [c.status for c in refused] == [403]  # asked once, not once per clip
        w.discord.assert_clean()


def _noisy_clip(key: tuple[float, int, int, str], folder: Path) -> bytes:
    """A nearly incompressible clip (~130 KB/s at 160x90), for a film over the limit."""
    seconds, width, height, color = key
    path = folder / f"{width}x{height}_{seconds:g}s_{color}.mp4"
    if not path.exists():
        make_clip(path, seconds=seconds, width=width, height=height, color=color, pattern="noise")
    return path.read_bytes()


async def test_a_film_over_the_upload_limit_is_sent_transcoded_smaller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the Replicate fake renders noise instead of solid colour (its own files stay untouched)
    monkeypatch.setattr(_common, "_CLIP_BYTES", {})
    monkeypatch.setattr(_common, "_render_clip", lambda key: _noisy_clip(key, tmp_path))
    limit = 100_000
    async with world(tmp_path / "data", max_upload_bytes=limit) as w:
        w.discord.upload_limit = limit  # enforced by the fake too
        reply = await w.generate(IDEA, clips=3)

        status = await w.wait_final(reply, timeout=30)
        assert status.startswith("✅"), status
        generation = await w.services.repo.generation(1)
        assert generation is not None and generation.video_path is not None
        assert Path(generation.video_path).stat().st_size > limit  # the stitched film was over

        (dm,) = w.discord.dm_messages("alice")
        assert dm.attachments[0].size <= limit
        info = await probe_attachment(w, dm, tmp_path)
        assert info.duration > 2.5
        # each clip was over the limit too, and was made to fit rather than dropped
        thread = w.discord.thread_for(reply.id)
        assert thread is not None
        clips = w.discord.messages_in(int(thread["id"]))[1:]
        assert [a.filename for c in clips for a in c.attachments] == [
            "clip-1.mp4",
            "clip-2.mp4",
            "clip-3.mp4",
        ]
        assert all(a.size <= limit for c in clips for a in c.attachments)
        assert [c for c in w.discord.calls if c.status == 413] == []
        w.discord.assert_clean()


async def test_rest_calls_and_callback_latency_of_one_three_clip_generation(
    tmp_path: Path,
) -> None:
    """Not a benchmark: a bound on the number of calls (so edits stay coalesced), printed."""
    async with world(tmp_path, reply_edit_seconds=1.0, replicate_poll_seconds=0.1) as w:
        w.replicate.clip_delay = 0.3
        interaction, reply = await w.start_generate(IDEA, clips=3)
        status = await w.wait_final(reply)
        assert status.startswith("✅"), status
        await asyncio.sleep(0.2)  # anything still in flight would show up now

        calls = w.discord.rest_calls()  # login, gateway and command sync excluded
        n = 3
        assert interaction.latency is not None
        print(
            f"\nDiscord REST calls for one {n}-clip generation: {len(calls)} (bound {2 * n + 8});"
            f" INTERACTION_CREATE → callback: {interaction.latency * 1000:.1f} ms"
        )
        for call in calls:
            print(f"  {call.status} {call.method} {call.route}")
        assert len(calls) <= 2 * n + 8
        assert [c.status for c in calls if c.status >= 400] == []
        assert status_of(w.discord.message(reply.id)) == status
        w.discord.assert_clean()
