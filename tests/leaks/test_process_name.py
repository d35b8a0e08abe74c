"""Leak 8 of issue 18: two processes with the same PROCESS_NAME (a scaled compose service, two
"host:all" on one machine) each took the other's leases for their own, and nothing noticed.
Now the second live one is refused at start-up, on both engines; a process killed a moment ago
(its row still fresh) is told apart by not beating again, and its restart goes ahead."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.pipeline.run import lease as lease_module
from storage.repository import Repository
from tests.e2e.test_admission import live
from tests.fakes.botprocess import BotProcess
from tests.pipeline.run.test_lease import Runner
from tests.storage.conftest import Database

LEASE = 3.0  # the shortest allowed: a beat every second


def keeper(repo: Repository, name: str) -> lease_module.LeaseKeeper:
    return lease_module.LeaseKeeper(
        store=repo, runner=Runner(), name=name, source="discord", seconds=LEASE
    )


async def test_a_second_live_process_with_the_same_name_is_refused(database: Database) -> None:
    async with database.open() as a, database.open() as b:
        first = keeper(Repository(a), "machine")
        await first.start()
        try:
            second = keeper(Repository(b), "machine")
            with pytest.raises(lease_module.ProcessNameClash, match="'machine'"):
                await second.start()
            other = keeper(Repository(b), "machine-2")  # its own name: fine
            await other.start()
            await other.close()
        finally:
            await first.close()


async def test_a_restart_after_a_kill_is_not_taken_for_a_clash(database: Database) -> None:
    async with database.open() as db:
        repo = Repository(db)
        await repo.beat("machine", now=time.time(), live_after=0, instance="killed-run")
        again = keeper(repo, "machine")  # the killed run's row is fresh, but it beats no more
        await again.start()
        await again.close()


async def test_a_second_bot_process_with_the_same_name_exits_2_naming_it(
    tmp_path: Path,
) -> None:
    async with live(tmp_path, process_name="studio", lease_seconds=LEASE) as run:
        log = tmp_path / "second.log"
        second = BotProcess(run.discord, run.process._env, tmp_path, log)
        with pytest.raises(RuntimeError, match="exited with 2"):
            await second.start(timeout=30)
        assert "another live process is named 'studio'" in log.read_text(encoding="utf-8")
        assert run.process.process is not None and run.process.process.returncode is None
