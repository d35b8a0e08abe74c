"""The restart torture at CI size: 20 SIGKILLs of the real bot process on SQLite, 6 with it on
PostgreSQL (see torture.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.pg import PgServer
from tests.reliability.torture import MOMENTS, Config, torture, torture_on_postgres

CI_KILLS = 20
PG_KILLS = 6


@pytest.mark.timeout(240)
async def test_twenty_sigkills_lose_nothing_and_do_nothing_twice(tmp_path: Path) -> None:
    seed = int(os.environ.get("TORTURE_SEED", "20250105"))
    report = await torture(Config(kills=CI_KILLS, seed=seed, workdir=tmp_path))
    print(report.summary())

    assert report.kills == CI_KILLS and report.starts == CI_KILLS + 1
    assert not report.violations, report.summary()
    assert report.statuses["done"] >= 8, report.summary()  # real work was cut, not an idle bot
    targeted = sum(n for moment, n in report.moments.items() if moment in MOMENTS[1:])
    assert targeted >= CI_KILLS // 2, report.summary()


@pytest.mark.timeout(180)
async def test_sigkills_with_the_bot_on_postgresql_lose_nothing(
    tmp_path: Path, pg_server: PgServer
) -> None:
    """A short run of the same torture with the bot on PostgreSQL (the long one:
    `python -m tests.reliability.torture --kills 40 --postgres`)."""
    seed = int(os.environ.get("TORTURE_SEED", "20250105"))
    config = Config(kills=PG_KILLS, seed=seed, workdir=tmp_path)
    report = await torture_on_postgres(config, pg_server)
    print(report.summary())

    assert report.kills == PG_KILLS and report.starts == PG_KILLS + 1
    assert not report.violations, report.summary()
    assert report.statuses["done"] >= 2, report.summary()
