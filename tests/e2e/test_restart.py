"""A restart finishes unfinished work exactly once: no second prediction, no second DM."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage.models import GenerationStatus
from tests.e2e.harness import World, status_of, world

IDEA = "a lighthouse keeper adopts a seal"
CHANNEL_EDIT = "/channels/{channel_id}/messages/{message_id}"


def thread_files(w: World, reply_id: int) -> list[str]:
    thread = w.discord.thread_for(reply_id)
    assert thread is not None
    posts = w.discord.messages_in(int(thread["id"]))
    return [p.content if not p.attachments else p.attachments[0].filename for p in posts]


async def test_restart_mid_generation_reattaches_and_delivers_once(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.replicate.auto_complete = False
        reply = await w.generate(IDEA, clips=3)
        await w.clips_running(1, 3)
        before = set(w.replicate.predictions)
        assert len(before) == 3

        await w.restart()
        for prediction_id in before:  # the predictions finish while the new process follows them
            w.replicate.complete(prediction_id)

        await w.status_reached(1, GenerationStatus.DONE)
        status = await w.wait_final(reply)
        assert status.startswith("✅"), status
        assert set(w.replicate.predictions) == before  # no second prediction for any scene
        assert w.replicate.counts["create"] == 3
        assert len(w.discord.dm_messages("alice")) == 1
        files = thread_files(w, reply.id)
        assert files[1:] == ["clip-1.mp4", "clip-2.mp4", "clip-3.mp4"]  # shot list once
        assert {e.route for e in w.discord.message(reply.id).edits} == {CHANNEL_EDIT}
        w.discord.assert_clean()


@pytest.mark.parametrize(
    "recorded",
    [True, False],
    ids=["delivery-recorded", "dm-sent-but-not-recorded"],
)
async def test_restart_after_the_dm_sends_no_second_one(tmp_path: Path, recorded: bool) -> None:
    async with world(tmp_path) as w:
        reply = await w.generate(IDEA, clips=2)
        assert (await w.wait_final(reply)).startswith("✅")
        (dm,) = w.discord.dm_messages("alice")
        edits = len(w.discord.message(reply.id).edits)

        # the process dies after Discord took the DM, before "done" was stored (and, in the
        # second case, before the delivery itself was recorded)
        await w.stop()
        with sqlite3.connect(w.settings.database_path) as db:
            db.execute("UPDATE generations SET status = 'delivering', finished_at = NULL")
            if not recorded:
                db.execute("UPDATE generations SET delivered_at = NULL, delivery_ref = NULL")
                db.execute("DELETE FROM posts WHERE key = 'film'")
        await w.start()

        await w.status_reached(1, GenerationStatus.DONE)
        await w.discord.wait_for(
            lambda: (
                len(w.discord.message(reply.id).edits) > edits
                and (status_of(w.discord.message(reply.id)) or "").startswith("✅")
            )
        )
        assert w.discord.dm_messages("alice") == [dm]  # the same one message
        assert w.replicate.counts["create"] == 2
        generation = await w.services.repo.generation(1)
        assert generation is not None and generation.delivery_ref == (f"dm:{dm.channel_id}/{dm.id}")
        w.discord.assert_clean()


async def test_work_that_ends_while_the_bot_shuts_down_is_resumed_not_failed(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        w.replicate.auto_complete = False
        reply = await w.generate(IDEA, clips=2)
        await w.clips_running(1, 2)

        # the clips finish just as the process is asked to stop (SIGTERM closes the bot first)
        await w.bot.close()
        for prediction_id in list(w.replicate.predictions):
            w.replicate.complete(prediction_id)
        await asyncio.sleep(0.5)  # time for a still-running pipeline to reach Discord
        generation = await w.services.repo.generation(1)
        assert generation is not None
        assert not generation.status.final, generation.error

        await w.restart()
        await w.status_reached(1, GenerationStatus.DONE)
        assert (await w.wait_final(reply)).startswith("✅")
        assert len(w.discord.dm_messages("alice")) == 1
        assert w.replicate.counts["create"] == 2
        w.discord.assert_clean()


async def test_the_cancel_button_works_after_a_restart(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.replicate.auto_complete = False
        reply = await w.generate(IDEA, clips=2)
        await w.clips_running(1, 2)

        await w.restart()  # a new process: the button's view is not in memory any more
        refused = await w.click("reelbot:cancel:1", reply, user="bob")
        assert refused.callback is not None and refused.callback["data"]["flags"] & 64
        pressed = await w.click("reelbot:cancel:1", reply)
        assert pressed.callback_type == 6
        assert (await w.wait_final(reply)).startswith("🛑")
        assert all(p.canceled for p in w.replicate.predictions.values())
        assert w.replicate.counts["create"] == 2
        w.discord.assert_clean()
