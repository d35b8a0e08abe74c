"""Replicate's create budget through the fakes (issue 21): a clip held back by this process's
budget is announced with its place and its turn (`ClipHeld`), and a create answered 429 waits
what Replicate said before any create is sent again, without counting as a failed attempt."""

from __future__ import annotations

import asyncio
import math
import time

import httpx
import pytest

from bot.pipeline.clips.throttled import told_wait
from bot.pipeline.events import ClipFailed, ClipHeld
from storage.models import GenerationStatus

SHARE = 20  # the budget shared as if by 20 processes: 560 / 20 = 28 creates a minute, burst 1
TURN = 60 / (560 / SHARE)  # seconds between two creates


async def test_a_held_clip_is_announced_with_its_turn_and_created_then(
    harness, replicate_fake
) -> None:
    harness.runner.share_provider_budget(SHARE)
    loop = asyncio.get_running_loop()
    wall_minus_loop = time.time() - loop.time()

    final = await harness.generate(clips=4, timeout=60)

    assert final.status is GenerationStatus.DONE, final.error
    held: dict[int, ClipHeld] = {}
    for event in harness.of(final.id, ClipHeld):
        assert isinstance(event, ClipHeld)
        held[event.index] = event  # the latest of each clip
    # the first create takes the burst's one token; each other waits a turn or more (> 2 s)
    assert len(held) == 3, harness.of(final.id)
    clips = {c.index: c for c in await harness.repo.clips(final.id)}
    by_turn = sorted(held.values(), key=lambda e: e.until)
    assert [e.ahead for e in by_turn] == sorted(e.ahead for e in by_turn)
    assert len({e.ahead for e in by_turn}) == 3  # each a different place in the line
    for event in by_turn:
        prediction_id = clips[event.index].prediction_id
        assert prediction_id is not None
        created = replicate_fake.predictions[prediction_id].created  # the fake's loop clock
        turn = event.until - wall_minus_loop
        # never before the turn announced (the estimate is not too late), and within one
        # turn of it (an estimate a whole create early fails)
        assert turn - 0.05 <= created <= turn + TURN, (event, created)


async def test_a_throttled_create_waits_what_replicate_said_and_every_film_ends_done(
    harness, replicate_fake
) -> None:
    window = 8.0  # beyond the 1 + 2 + 4 s a throttled create used to wait before giving up
    replicate_fake.create_limit, replicate_fake.rate_window = 2, window
    replicate_fake.window_retry_hint = True  # "Retry-After: N", "resets in ~Ns"

    final = await harness.generate(clips=4, timeout=60)

    assert final.status is GenerationStatus.DONE, final.error
    assert not harness.of(final.id, ClipFailed)  # being throttled is not a failed attempt
    throttled = [at for at, kind in replicate_fake.throttled_at if kind == "create"]
    created = sorted(r.created for r in replicate_fake.predictions.values())
    # the two beyond the cap at most, each once: the first 429 paused every create waiting
    assert len(created) == 4 and 1 <= len(throttled) <= 2
    first_two, later = created[:2], created[2:]
    for at in throttled:
        hint = math.ceil(first_two[0] + window - at)  # what the fake's answer said
        assert all(c >= at + hint - 0.05 for c in later), (at, hint, later)
    # both creates beyond the cap were announced as held, with the wait Replicate gave
    held = [e for e in harness.of(final.id, ClipHeld) if isinstance(e, ClipHeld)]
    assert len({e.index for e in held}) == 2
    wall_minus_loop = time.time() - asyncio.get_running_loop().time()
    assert all(e.until - wall_minus_loop >= min(throttled) + window - 1 for e in held)


@pytest.mark.parametrize(
    ("headers", "body", "seconds"),
    [
        ({"Retry-After": "30"}, {"detail": "Your rate limit resets in ~5s."}, 30.0),
        ({}, {"detail": "Request was throttled. Your rate limit resets in ~30s."}, 30.0),
        ({}, {"detail": "Request was throttled. Expected available in 2 seconds."}, 2.0),
        ({"Retry-After": "soon"}, {"detail": "Request was throttled."}, None),
        ({}, {}, None),
    ],
)
def test_what_a_429_says_to_wait(
    headers: dict[str, str], body: dict[str, str], seconds: float | None
) -> None:
    response = httpx.Response(429, headers=headers, json=body)
    assert told_wait(response) == seconds


def test_a_retry_after_date_is_read_as_the_seconds_until_then() -> None:
    when = time.time() + 20
    response = httpx.Response(
        429, headers={"Retry-After": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(when))}
    )
    told = told_wait(response)
    assert told is not None and 17 <= told <= 20
