"""The restart torture at CI size: 20 SIGKILLs of the real bot process (see torture.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.torture import MOMENTS, Config, torture

CI_KILLS = 20


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
