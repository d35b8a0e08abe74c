"""A smoke run of the `processes` benchmark scenario (two processes on PostgreSQL next to one on
SQLite) at a tiny size: every figure is produced. Timings are never asserted here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main


@pytest.mark.timeout(300)
def test_a_tiny_processes_run_produces_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    code = main(
        [
            "--scenarios=processes",
            "--process-generations=4",
            "--per-channel=1",
            "--clips=1",
            "--process-clip-delay=0.3",
            "--analysis-delay=0.05",
            "--timeout=90",
            f"--out={out}",
            f"--workdir={tmp_path / 'work'}",
        ]
    )
    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    keys = {f["key"] for f in result["figures"]}
    assert keys == {
        "throughput_sqlite_1",
        "ack_latency_sqlite_1",
        "throughput_postgres_2",
        "ack_latency_postgres_2",
    }
    for setup in ("sqlite-1", "postgres-2"):
        assert result["raw"]["processes"][setup]["done"] == 4
