"""Replicate as it really is, end to end (the real bot against the fakes): a prediction list
shared with the whole account, `aborted`, data removed an hour after a prediction ends, and a
cancel while Replicate errors. Issue 8 §2-§3, issue 9 item 3."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from storage.models import ClipStatus, GenerationStatus
from tests.e2e.harness import World, world
from tests.fakes.discord_fake import Message
from tests.fakes.replicate_fake import DATA_RETENTION

IDEA = "a lighthouse keeper adopts a seal"


def scene(w: World, n: int) -> list[str]:
    """The ids of the bot's predictions for scene `n`, oldest first."""
    return [r.id for r in w.replicate.created_for(f"Scene {n}:")]


def logged(caplog: pytest.LogCaptureFixture, *parts: str) -> bool:
    return any(all(p in r.getMessage() for p in parts) for r in caplog.records)


def pending_cancels(w: World) -> list[str | None]:
    with sqlite3.connect(w.settings.database_path) as db:
        return [r[0] for r in db.execute("SELECT prediction_id FROM pending_cancels")]


async def one_running_one_creating(w: World) -> tuple[Message, str, str]:
    """Generation 1 with clip 1's create in flight (its prediction exists, its answer held)
    and clip 2 running; returns its reply, clip 1's prediction and clip 2's."""
    w.replicate.auto_complete = False
    w.replicate.delay_answers(60, match="Scene 1:")
    reply = await w.generate(IDEA, clips=2)

    async def ready() -> bool:
        clips = await w.services.repo.clips(1)
        statuses = [c.status for c in clips]
        return statuses == [ClipStatus.CREATING, ClipStatus.RUNNING] and len(scene(w, 1)) == 1

    await w.until(ready, what="clip 1 creating, clip 2 running")
    return reply, scene(w, 1)[0], scene(w, 2)[0]


async def test_aborted_own_and_foreign_predictions_in_a_list_of_more_than_a_hundred(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        w.replicate.add_foreign(150)  # other apps' predictions, every status, aborted too
        w.replicate.script(["aborted"], match="Scene 1:")  # the bot's own first attempt
        w.replicate.fail_next_creates(500, created=True)  # an answer lost: found in the list
        w.replicate.clip_delay = 0.5
        reply = await w.generate(IDEA, clips=2)
        await w.until(
            lambda: _true(len(scene(w, 1)) >= 1 and len(scene(w, 2)) == 1), what="creates"
        )
        w.replicate.add_foreign(120)  # the bot's predictions are on the list's second page

        status = await w.wait_final(reply)

        assert status.startswith("✅"), status
        first, retried = scene(w, 1)
        assert w.replicate.predictions[first].status == "aborted"
        assert len(scene(w, 2)) == 1
        clips = await w.services.repo.clips(1)
        assert [c.attempts for c in clips] == [2, 1]
        assert clips[0].prediction_id == retried
        assert len(w.discord.dm_messages("alice")) == 1
        w.discord.assert_clean()


async def _true(value: bool) -> bool:
    return value


async def test_a_restart_after_the_data_removal_time_makes_the_lost_clips_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with world(tmp_path) as w:
        reply, lost_create, running = await one_running_one_creating(w)
        await w.stop()

        # while the bot is down both predictions finish, and more than an hour passes
        w.replicate.complete(lost_create)
        w.replicate.complete(running)
        spent = {
            p: w.replicate.predictions[p].completed - w.replicate.predictions[p].started
            for p in (lost_create, running)
        }
        w.replicate.delay_answers(0, match="Scene 1:")
        w.replicate.advance(DATA_RETENTION + 60)
        w.replicate.auto_complete = True
        await w.start()

        await w.status_reached(1, GenerationStatus.DONE)
        assert (await w.wait_final(reply)).startswith("✅")
        assert len(w.discord.dm_messages("alice")) == 1
        assert len(scene(w, 1)) == 2 and len(scene(w, 2)) == 2  # each made once more
        clips = await w.services.repo.clips(1)
        assert [c.attempts for c in clips] == [1, 1]  # no failure attempt spent on it
        remade = w.replicate.predictions[scene(w, 2)[1]]
        assert clips[1].predict_seconds == pytest.approx(
            spent[running] + remade.completed - remade.started, abs=0.01
        )  # the lost prediction's billed time is counted
        assert logged(caplog, "generation 1 clip 2", "Replicate removed the output", running)
        assert logged(caplog, "generation 1 clip 1", "cannot be matched")
        w.discord.assert_clean()


async def test_cancel_while_replicate_errors_is_finished_at_a_later_try(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        reply, lost_create, running = await one_running_one_creating(w)
        w.replicate.list_status = 503  # the list is down: the lost create cannot be looked up

        interaction = await w.command("cancel")

        assert await w.wait_private_text(interaction) == "Cancelled generation #1."
        assert (await w.wait_final(reply)).startswith("🛑")
        assert w.replicate.predictions[running].canceled  # the next clip was still cancelled
        assert not w.replicate.predictions[lost_create].canceled
        assert pending_cancels(w) == [None]  # to be found by its input, then cancelled

        w.replicate.list_status = None

        async def cancelled() -> bool:
            return w.replicate.predictions[lost_create].canceled

        await w.until(cancelled, timeout=20, what="the lost create cancelled")
        await w.until(lambda: _true(pending_cancels(w) == []), what="nothing left to cancel")
        assert w.replicate.counts["create"] == 2
        generation = await w.services.repo.generation(1)
        assert generation is not None and generation.status == "cancelled"
        w.discord.assert_clean()


async def test_a_cancel_replicate_did_not_confirm_is_done_at_the_next_start(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        reply, lost_create, running = await one_running_one_creating(w)
        w.replicate.list_status = 503

        interaction = await w.command("cancel")
        assert await w.wait_private_text(interaction) == "Cancelled generation #1."
        assert (await w.wait_final(reply)).startswith("🛑")
        await w.stop()
        assert not w.replicate.predictions[lost_create].canceled

        w.replicate.list_status = None
        await w.start()

        async def cancelled() -> bool:
            return w.replicate.predictions[lost_create].canceled

        await w.until(cancelled, timeout=20, what="the lost create cancelled at start-up")
        assert w.replicate.predictions[running].canceled
        assert pending_cancels(w) == []
        w.discord.assert_clean()
