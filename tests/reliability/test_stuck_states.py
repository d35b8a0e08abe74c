"""No generation is left unfinished with nothing driving it (issue 9 item 5).

What a member sees, per path:
- the reply could not be sent, or its id could not be stored: the generation ends failed
  before anything is spent (and is not counted against the daily limit); when the reply
  exists it shows that, with the reason; it never runs later without a reply;
- the final state cannot be written (a lock held past the busy timeout, a full disk): the
  generation's task stays alive and writes it again, backing off, until it lands; only then
  is it published, so the reply never shows a state the database does not hold.

The lock is a second SQLite connection holding the write lock past the bot's busy timeout
(storage/db.py: 5 s), the way another process or a stalled disk would.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.pipeline.events import ClipFailed, Event, Failed
from bot.pipeline.run.runner import NEVER_SHOWN, NOT_SHOWN
from storage.db import open_database
from storage.models import GenerationStatus, NewGeneration
from storage.repository import Repository
from tests.e2e.harness import world

IDEA = "a lighthouse keeper adopts a seal"
HOLD = 6.0  # seconds: past the busy timeout, so the write in flight fails


def hold_write_lock(path: Path, seconds: float) -> None:
    """Take the database's write lock now and give it back after `seconds`."""
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")

    def release() -> None:
        lock.execute("ROLLBACK")
        lock.close()

    asyncio.get_running_loop().call_later(seconds, release)


def reason_of(message) -> str:  # type: ignore[no-untyped-def]
    for embed in message.embeds:
        for f in embed.get("fields", []):
            if f["name"] == "Reason":
                return str(f["value"])
    return ""


async def test_a_reply_whose_id_cannot_be_stored_ends_the_generation_on_it(
    tmp_path: Path,
) -> None:
    """Main left it queued with no task: it ran at the next start and its film came by DM."""
    async with world(tmp_path) as w:
        touch, armed = w.discord.touch, [True]

        def touched() -> None:  # right after Discord took the reply: lock the database
            calls = [  # the reply: the public followup after the private "thinking" answer
                c
                for c in w.discord.calls
                if c.route.endswith("/{webhook_token}") and c.method == "POST" and c.status
            ]
            if armed[0] and calls and 200 <= calls[-1].status < 300:
                armed[0] = False
                hold_write_lock(w.settings.database_path, HOLD)
            touch()

        w.discord.touch = touched  # type: ignore[method-assign]
        reply = await w.generate(IDEA, clips=1)

        status = await w.wait_final(reply, timeout=30)

        assert status.startswith("❌"), status
        assert reason_of(w.discord.message(reply.id)) == NOT_SHOWN
        generation = await w.services.repo.generation(1)
        assert generation is not None and generation.status is GenerationStatus.FAILED
        assert generation.error == NOT_SHOWN
        assert w.openai.calls["chat"] == 0 and w.replicate.counts["create"] == 0
        usage = await w.services.repo.usage_since(w.discord.users["alice"].id, 0)
        assert usage.runs == 0  # not counted against the member
        # the member's command got the one apology; the error was logged with its context
        assert [r.getMessage().split(" (")[0] for r in w.errors] == ["/generate failed"]
        w.errors.clear()
        await w.restart()  # and the next start does not run it
        await asyncio.sleep(0.5)
        assert w.openai.calls["chat"] == 0 and w.discord.dm_messages("alice") == []


async def test_a_failure_that_cannot_be_written_is_written_when_it_can(
    harness, replicate_fake, settings
) -> None:
    """Main's task ended on the failed write, leaving the generation `rendering` with no task
    and no Failed event: the reply said rendering for ever."""
    replicate_fake.script(["failed"] * 3)

    def lock_on_the_last_failure(event: Event) -> None:
        if isinstance(event, ClipFailed) and not event.will_retry:
            hold_write_lock(settings.database_path, HOLD)

    harness.services.bus.subscribe(lock_on_the_last_failure)
    generation = await harness.submit(clips=1)

    async with asyncio.timeout(40):
        final = await harness.runner.wait(generation.id)

    assert final.status is GenerationStatus.FAILED, final.status
    assert "Replicate failed the prediction" in (final.error or "")
    (failed,) = harness.of(generation.id, Failed)
    assert failed.reason == final.error


async def test_a_generation_stored_just_before_a_crash_without_a_reply_is_not_run(
    tmp_path: Path,
) -> None:
    """A crash between storing the generation and sending its reply: main ran it at the next
    start, and the film arrived by DM out of nowhere. Now it ends, uncounted, unseen."""
    async with world(tmp_path) as w:
        alice = w.discord.users["alice"]
        await w.stop()
        async with open_database(w.settings.database_path) as db:
            await Repository(db).create_generation(
                NewGeneration(
                    owner_id=alice.id,
                    prompt=IDEA,
                    clips_requested=1,
                    guild_id=w.discord.guild_id,
                    channel_id=w.discord.channel_id,
                )
            )
        await w.start()

        await w.status_reached(1, GenerationStatus.CANCELLED)
        generation = await w.services.repo.generation(1)
        assert generation is not None and generation.error == NEVER_SHOWN
        await asyncio.sleep(0.5)
        assert w.openai.calls["chat"] == 0 and w.replicate.counts["create"] == 0
        assert w.discord.dm_messages("alice") == []
        assert w.discord.messages_in() == []  # nothing was posted about it
        usage = await w.services.repo.usage_since(alice.id, 0)
        assert usage.runs == 0
