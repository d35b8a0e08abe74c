"""A smoke run of the `sustained` benchmark scenario (steady /generate against Replicate's create
cap, on SQLite then on PostgreSQL) at a tiny size: every figure is produced. Timings are never
asserted here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main

KEYS = {
    "sustained_creates",
    "sustained_create_429",
    "sustained_ack",
    "sustained_channel_edits",
    "sustained_final_shown",
    "sustained_discord_429",
    "sustained_fairness",
    "sustained_queue_estimate",
    "sustained_cpu",
    "sustained_cpu_per_generation",
    "sustained_rss",
    "sustained_database",
}


@pytest.mark.timeout(300)
def test_a_tiny_sustained_run_produces_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    code = main(
        [
            "--scenarios=sustained",
            "--sustained-rate=120",  # a command every 0.5 s …
            "--sustained-minutes=0.05",  # … for 3 s: 6 commands
            "--sustained-members=3",
            "--sustained-channels=2",
            "--clips=2",
            "--sustained-clip-delay=0.3",
            "--analysis-delay=0.05",
            "--timeout=90",
            f"--out={out}",
            f"--workdir={tmp_path / 'work'}",
        ]
    )
    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    by_scenario: dict[str, set[str]] = {}
    for fig in result["figures"]:
        by_scenario.setdefault(fig["scenario"], set()).add(fig["key"])
    assert by_scenario == {"sustained (sqlite)": KEYS, "sustained (postgres)": KEYS}
    for database in ("sqlite", "postgres"):
        raw = result["raw"]["sustained"][database]
        assert raw["generations"] == 6 and raw["done"] == 6
        assert len(raw["creates_per_minute"]) == 1 and raw["rss_bytes"] > 0
    work = result["raw"]["sustained"]["postgres"]["database_work"]
    assert work is not None and work["commits"] > 0  # what PostgreSQL did is counted
    database = {f["scenario"]: f for f in result["figures"] if f["key"] == "sustained_database"}
    assert database["sustained (postgres)"]["measured"]["value"] > 0
    assert database["sustained (sqlite)"]["measured"] == {}
