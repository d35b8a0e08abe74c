"""The rest of the repository on every backend: posts and settling, media removals, cancels
to send again, remade clips, narration; Discord-sized ids; every row converts to its model."""

from __future__ import annotations

import asyncio
import time

from storage.models import (
    ClipStatus,
    GenerationStatus,
    Narration,
    NarrationLine,
    NarrationStatus,
    NewGeneration,
    PendingCancel,
)
from storage.repository import Repository

SNOWFLAKE = 1_180_000_000_000_000_000  # Discord ids are 64-bit (> 2^31)


async def _generation(repo: Repository, scenes: int = 2, **fields) -> int:
    generation = await repo.create_generation(NewGeneration(owner_id=1, prompt="a seal", **fields))
    await repo.set_shot_list(
        generation.id, title="Seal", shot_list="{}", scenes=[(f"S{i}", 5) for i in range(scenes)]
    )
    return generation.id


async def test_discord_ids_keep_all_their_digits(repo: Repository) -> None:
    created = await repo.create_generation(
        NewGeneration(
            owner_id=SNOWFLAKE + 1,
            prompt="a seal",
            guild_id=SNOWFLAKE + 2,
            channel_id=SNOWFLAKE + 3,
            seed=2**40,
        )
    )
    await repo.set_message(
        created.id, guild_id=SNOWFLAKE + 2, channel_id=SNOWFLAKE + 3, message_id=SNOWFLAKE + 4
    )
    await repo.set_thread(created.id, SNOWFLAKE + 5)

    stored = await repo.generation(created.id)
    assert stored is not None
    assert (stored.owner_id, stored.guild_id, stored.channel_id, stored.message_id) == (
        SNOWFLAKE + 1,
        SNOWFLAKE + 2,
        SNOWFLAKE + 3,
        SNOWFLAKE + 4,
    )
    assert (stored.thread_id, stored.seed) == (SNOWFLAKE + 5, 2**40)
    assert [e.id for e in await repo.history(SNOWFLAKE + 1)] == [created.id]
    assert (await repo.latest_unfinished(SNOWFLAKE + 1)) == stored
    assert isinstance(stored.created_at, float) and isinstance(stored.predict_seconds, float)


async def test_a_settled_generation_is_not_unsettled_until_it_ends_again(
    repo: Repository,
) -> None:
    since = time.time() - 1
    generation_id = await _generation(repo)
    await repo.set_message(generation_id, guild_id=1, channel_id=2, message_id=3)
    await repo.mark_settled(generation_id)  # not final yet: nothing to settle
    assert "settled" not in await repo.posts(generation_id)
    await repo.set_status(generation_id, GenerationStatus.FAILED, "boom")

    assert [g.id for g in await repo.unsettled("discord", since=since)] == [generation_id]
    await repo.mark_settled(generation_id)
    assert await repo.unsettled("discord", since=since) == []
    assert "settled" in await repo.posts(generation_id)

    assert await repo.reopen(generation_id)  # a Retry that ends again is settled anew
    # ends compare with a millisecond's tolerance (storage/tables/post_rows.py)
    await asyncio.sleep(0.01)
    await repo.set_status(generation_id, GenerationStatus.DONE)
    assert [g.id for g in await repo.unsettled("discord", since=since)] == [generation_id]
    await repo.mark_settled(generation_id)
    assert await repo.unsettled("discord", since=since) == []
    assert await repo.unsettled("cli", since=since) == []


async def test_media_removal_is_recorded_and_swept_again_after_a_retry(repo: Repository) -> None:
    first, second, running = [await _generation(repo) for _ in range(3)]
    for generation_id in (first, second):
        await repo.set_status(generation_id, GenerationStatus.DONE)
    later = time.time() + 1

    assert await repo.media_to_remove(ended_before=later) == [first, second]
    assert await repo.media_to_remove(ended_before=later, after_id=first, limit=5) == [second]
    assert await repo.media_removed_at(first) is None
    await repo.record_media_removed(first)
    removed = await repo.media_removed_at(first)
    assert removed is not None and removed <= time.time()
    assert await repo.media_to_remove(ended_before=later) == [second]
    await repo.record_media_removed(first)  # twice is fine (the time moves on)
    assert running not in await repo.media_to_remove(ended_before=later)


async def test_cancels_to_send_again(repo: Repository) -> None:
    a, b = await repo.clips(await _generation(repo))
    await repo.add_pending_cancel(
        a.id, prediction_id="p-a", inputs=None, create_started_at=None, reason="cancelled"
    )
    await repo.add_pending_cancel(
        b.id, prediction_id=None, inputs='{"prompt": "S1"}', create_started_at=12.5, reason="lost"
    )

    pending = await repo.pending_cancels()
    assert all(isinstance(p, PendingCancel) for p in pending)
    assert [
        (p.clip_id, p.prediction_id, p.inputs, p.create_started_at, p.reason) for p in pending
    ] == [
        (a.id, "p-a", None, None, "cancelled"),
        (b.id, None, '{"prompt": "S1"}', 12.5, "lost"),
    ]
    assert len(await repo.pending_cancels(limit=1)) == 1
    await repo.drop_pending_cancel(pending[0].id)
    assert [p.id for p in await repo.pending_cancels()] == [pending[1].id]


async def test_a_remade_clip_gives_its_attempt_back_and_keeps_what_was_spent(
    repo: Repository,
) -> None:
    (clip,) = await repo.clips(await _generation(repo, scenes=1))
    await repo.clip_remade(clip.id, "output gone", 2.0)  # attempts never go below 0
    assert (await repo.clip(clip.id)).attempts == 0
    await repo.clip_creating(clip.id)
    await repo.clip_started(clip.id, "p-1")

    await repo.clip_remade(clip.id, "output gone", 4.5)

    remade = await repo.clip(clip.id)
    assert (remade.status, remade.error, remade.prediction_id) == (
        ClipStatus.PENDING,
        "output gone",
        None,
    )
    assert (remade.attempts, remade.predict_seconds) == (0, 6.5)


async def test_narration_and_its_lines(repo: Repository) -> None:
    narrated = await _generation(repo, narration=True, voice="coral")
    silent = await _generation(repo)

    assert await repo.narration(narrated) == Narration(
        narrated, "coral", NarrationStatus.WANTED, None
    )
    assert await repo.narration(silent) is None
    await repo.line_spoken(narrated, 1, "second", "/a/1.mp3", 2.5)
    await repo.line_spoken(narrated, 0, "first", "/a/0.mp3", 1.0)
    await repo.line_spoken(narrated, 1, "second again", "/a/1b.mp3", 3.0)  # spoken again
    assert await repo.narration_lines(narrated) == [
        NarrationLine(narrated, 0, "first", "/a/0.mp3", 1.0),
        NarrationLine(narrated, 1, "second again", "/a/1b.mp3", 3.0),
    ]
    await repo.set_narration_status(narrated, NarrationStatus.DROPPED, "speech refused")
    assert await repo.narration_statuses([narrated, silent]) == {
        narrated: Narration(narrated, "coral", NarrationStatus.DROPPED, "speech refused")
    }
    assert await repo.narration_statuses([]) == {}
