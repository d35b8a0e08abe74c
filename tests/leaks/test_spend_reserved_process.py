"""Leak 1 of issue 18 through the real process (`python -m bot`): DAILY_VIDEO_SECONDS_LIMIT was
checked only at admission, and a queued run had spent nothing yet, so every queued /generate
was admitted: limit 5 s, USER_CONCURRENCY=1, four one-scene /generate in a row asked Replicate
for 20 s. Now each run's worst case is reserved when it is admitted: the second is refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.test_admission import IDEA, live, private
from tests.fakes.replicate_fake import input_seconds

LIMIT = 5


async def test_queued_runs_cannot_pass_the_seconds_limit_together(tmp_path: Path) -> None:
    async with live(tmp_path, daily_video_seconds_limit=LIMIT, user_concurrency=1) as run:
        commands = []
        for _ in range(4):  # in a row: the first is still running when the others arrive
            commands.append(
                await run.answered(
                    await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 1})
                )
            )
        refused = [c for c in commands if "seconds of video" in (private(c) or "")]
        assert len(refused) == 3, [private(c) for c in commands]

        await run.discord.wait_for(
            lambda: run.rows("SELECT count(*) FROM generations WHERE status IN"
                             " ('done', 'failed', 'cancelled')") == [(1,)],
            timeout=30,
        )  # fmt: skip
        await asyncio.sleep(0.5)
        asked = sum(input_seconds(p.input) or 0 for p in run.replicate.predictions.values())
        clip = max(input_seconds(p.input) or 0 for p in run.replicate.predictions.values())
        assert asked <= LIMIT + clip, asked
        assert run.replicate.counts["create"] == 1
