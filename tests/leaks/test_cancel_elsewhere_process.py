"""Leak 3 of issue 18 through two real `python -m bot` processes (shards 0 and 1 of 2) on one
PostgreSQL: bob's generation, from shard 1's guild, is taken over by machine 0 while machine 1
is stalled (SIGSTOP past its lease); then bob cancels in his guild, so machine 1 (which no
longer runs it) handles the cancel. The running process (machine 0) must obey: its prediction
seen `canceled` is not a failure to retry, and nothing more is created or billed."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.e2e.harness import status_of
from tests.e2e.test_processes import LEASE_SECONDS, cluster


async def test_a_cancel_handled_by_the_other_process_is_obeyed(tmp_path: Path, pg_url: str) -> None:
    async with cluster(tmp_path, pg_url) as run:
        run.replicate.auto_complete = False
        reply = await run.generate(1, "bob", clips=1)
        await run.until(lambda rows: len(rows) == 1 and rows[0][1] == "running")
        ((bob,),) = await run.rows("SELECT id FROM generations")
        assert await run.lease_owner(bob) == "machine-1"

        stalled = run.processes[1].process
        assert stalled is not None
        stalled.send_signal(signal.SIGSTOP)  # machine 1 stalls past its lease
        try:
            for _ in range(int(LEASE_SECONDS * 20) + 100):
                if await run.lease_owner(bob) == "machine-0":
                    break
                await asyncio.sleep(0.1)
            assert await run.lease_owner(bob) == "machine-0"  # taken over
        finally:
            stalled.send_signal(signal.SIGCONT)
        await asyncio.sleep(LEASE_SECONDS)  # machine 1 is back and knows it lost the lease

        channel = run.discord.channel_of(run.guilds[1])
        cancel = await run.discord.send_slash("cancel", {}, user="bob", channel_id=channel)
        await cancel.wait_callback(timeout=15)

        final = await run.final(reply, timeout=25)
        assert (status_of(final) or "").startswith("🛑")
        await asyncio.sleep(2.0)  # many polls of the process that runs it
        assert run.replicate.counts["create"] == 1  # nothing created again
        assert all(p.canceled for p in run.replicate.predictions.values())
        ((status,),) = await run.rows("SELECT status FROM generations")
        assert status == "cancelled"
