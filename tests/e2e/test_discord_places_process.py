"""Issue 8 §4-§5 through the real process (`python -m bot`, tests/fakes/botprocess.py): a Nitro
member in a tier-0 guild whose clips exceed 10 MiB, a channel where the bot lacks a permission,
and a command used inside a thread. (The same stories run in process, with more detail, in
tests/e2e/test_discord_places.py.)"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.e2e.harness import status_of
from tests.e2e.test_admission import live, private
from tests.e2e.test_discord_places import IDEA, MIB, THREADS, _big_clip
from tests.fakes import _common
from tests.fakes.discord_fake.access import NITRO_UPLOAD_LIMIT
from tests.fakes.discord_fake.gateway import INTENT_GUILDS
from tests.fakes.discord_fake.state import ATTACH_FILES


async def test_a_nitro_member_in_a_tier_0_guild_gets_clips_sized_to_the_guild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every clip the Replicate fake (in this process) serves is 12 MiB: over tier 0's 10 MiB
    monkeypatch.setattr(_common, "_CLIP_BYTES", {})
    monkeypatch.setattr(_common, "_render_clip", lambda key: _big_clip(key, tmp_path, 12 * MIB))
    async with live(tmp_path) as run:
        run.discord.give_nitro("alice")  # her own uploads may be 500 MiB; the bot's may not
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        )
        assert asked.payload["attachment_size_limit"] == NITRO_UPLOAD_LIMIT
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)
        reply = await run.reply_final(reply_id)

        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        thread = run.discord.thread_for(reply_id)
        assert thread is not None
        clips = run.discord.messages_in(int(thread["id"]))[1:]
        assert [c.content for c in clips] == ["Clip 1/2", "Clip 2/2"]
        sizes = [a.size for c in clips for a in c.attachments]
        assert len(sizes) == 2 and all(size <= 10 * MIB for size in sizes), sizes
        assert [c for c in run.discord.calls if c.status == 413] == []
        (dm,) = run.discord.dm_messages("alice")
        assert dm.attachments[0].size <= 10 * MIB


async def test_a_missing_permission_is_named_and_nothing_is_created_or_spent(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        run.discord.deny_bot(ATTACH_FILES)
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        )

        text = private(asked) or ""
        assert "Attach Files" in text and "Nothing was started" in text, text
        assert run.rows("SELECT COUNT(*) FROM generations") == [(0,)]
        assert run.openai.calls == {"chat": 0, "moderations": 0}
        assert run.replicate.counts["create"] == 0
        assert [m for m in run.discord.messages_in() if not m.ephemeral] == []


async def test_a_command_used_inside_a_thread_posts_in_that_thread(tmp_path: Path) -> None:
    async with live(tmp_path) as run:
        thread_id = run.discord.add_thread(name="film club")
        thread = copy.deepcopy(run.discord.world.channels[thread_id])
        await run.discord.dispatch(
            "THREAD_CREATE", {**thread, "newly_created": True}, INTENT_GUILDS
        )
        asked = await run.answered(
            await run.discord.send_slash(
                "generate", {"prompt": IDEA, "clips": 2}, channel_id=thread_id
            )
        )
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)
        assert (status_of(await run.reply_final(reply_id)) or "").startswith("✅")

        posts = run.discord.messages_in(thread_id)
        assert posts[0].id == reply_id
        assert "Scene 1" in posts[1].content
        assert [p.content for p in posts[2:]] == ["Clip 1/2", "Clip 2/2"]
        assert run.discord.rest_calls(method="POST", route=THREADS) == []  # never asked for one
        assert run.rows("SELECT thread_id FROM generations") == [(thread_id,)]
        assert len(run.discord.dm_messages("alice")) == 1
