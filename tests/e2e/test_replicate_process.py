"""Issue 8 §2-§3 through the real process (`python -m bot`, tests/fakes/botprocess.py): the bot's
own aborted prediction among other apps' in a list of more than a hundred, and a restart after
Replicate removed the data of predictions the bot never downloaded. (The same stories run in
process, with more detail, in tests/e2e/test_replicate_account.py.)"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import status_of
from tests.e2e.test_admission import Live, live
from tests.fakes.replicate_fake import DATA_RETENTION, FakeReplicate

IDEA = "a lighthouse keeper adopts a seal"


def scene(replicate: FakeReplicate, n: int) -> list[str]:
    return [r.id for r in replicate.created_for(f"Scene {n}:")]


async def a_lost_create_beside_a_running_clip(run: Live) -> tuple[int, str, str]:
    """A 2-clip /generate whose clip 1 create reached Replicate but whose answer is held (the
    clip stays `creating`) while clip 2 runs; returns the reply's id and both prediction ids."""
    run.replicate.auto_complete = False
    run.replicate.delay_answers(60, match="Scene 1:")  # clip 1's create: made, answer held
    asked = await run.answered(
        await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
    )
    reply_id = await run.discord.wait_for(lambda: asked.reply_id)

    def creating_and_running() -> bool:
        statuses = [r[0] for r in run.rows("SELECT status FROM clips ORDER BY idx")]
        return statuses == ["creating", "running"] and len(scene(run.replicate, 1)) == 1

    await run.discord.wait_for(creating_and_running, timeout=20)
    (lost,), (running,) = scene(run.replicate, 1), scene(run.replicate, 2)
    return reply_id, lost, running


async def test_an_aborted_prediction_among_more_than_a_hundred_foreign_ones(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        replicate, discord = run.replicate, run.discord
        replicate.add_foreign(150)  # other apps' predictions, every status, aborted too
        replicate.script(["aborted"], match="Scene 1:")  # the bot's own first attempt
        replicate.fail_next_creates(500, created=True)  # an answer lost: found in the list
        replicate.clip_delay = 0.5
        asked = await run.answered(
            await discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        )
        reply_id = await discord.wait_for(lambda: asked.reply_id)
        await discord.wait_for(
            lambda: len(scene(replicate, 1)) >= 1 and len(scene(replicate, 2)) == 1, timeout=20
        )
        replicate.add_foreign(120)  # the bot's predictions are on the list's second page

        reply = await run.reply_final(reply_id)

        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        first, retried = scene(replicate, 1)
        (second,) = scene(replicate, 2)
        assert replicate.predictions[first].status == "aborted"
        clips = run.rows("SELECT attempts, prediction_id FROM clips ORDER BY idx")
        assert clips == [(2, retried), (1, second)]
        assert len(discord.dm_messages("alice")) == 1
        assert "Traceback" not in run.process_log.read_text(encoding="utf-8")


async def test_a_restart_after_the_data_removal_time_makes_the_lost_clips_again(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        replicate, discord = run.replicate, run.discord
        reply_id, lost, running = await a_lost_create_beside_a_running_clip(run)
        assert await run.process.stop() == 0

        # while the bot is down both predictions finish, and more than an hour passes
        replicate.complete(lost)
        replicate.complete(running)
        replicate.delay_answers(0, match="Scene 1:")
        replicate.advance(DATA_RETENTION + 60)
        replicate.auto_complete = True
        await run.process.start()

        reply = await run.reply_final(reply_id)

        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        assert len(discord.dm_messages("alice")) == 1
        assert [len(scene(replicate, n)) for n in (1, 2)] == [2, 2]  # each made once more
        assert run.rows("SELECT attempts FROM clips ORDER BY idx") == [(1,), (1,)]
        log = run.process_log.read_text(encoding="utf-8")
        assert "Replicate removed the output" in log and running in log
        assert "cannot be matched" in log
