"""A smoke run of the benchmark at tiny sizes: every figure is produced. Timings are the
benchmark's business (``python -m bench``), never asserted here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import SCENARIOS, main

FIGURES = {
    "burst": {"interaction_latency"},
    "single": {
        "wall_ratio",
        "sequential_speedup",
        "rest_calls_single",
        "stream_copy",
        "narration_overhead",
        "chained_wall",
    },
    "channel": {
        "edit_lag",
        "edit_budget_used",
        "final_shown",
        "discord_429",
        "rest_calls",
        "replicate_creates",
        "replicate_others",
        "replicate_throttled",
    },
    "load": {
        "edit_lag",
        "final_shown",
        "discord_429",
        "rest_calls",
        "replicate_creates",
        "replicate_others",
        "replicate_throttled",
        "peak_rss",
        "cpu_per_generation",
    },
    "history": {"history_query"},
}


@pytest.mark.timeout(420)
def test_a_tiny_run_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    table = tmp_path / "bench.md"
    code = main(
        [
            "--members=3",
            "--generations=2",
            "--load-generations=2",
            "--per-channel=1",
            "--clips=2",
            "--clip-delay=0.3",
            "--load-clip-delay=0.5",
            "--analysis-delay=0.05",
            "--history-rows=2000",
            "--timeout=90",
            f"--out={out}",
            f"--markdown={table}",
            f"--workdir={tmp_path / 'work'}",
        ]
    )

    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    produced: dict[str, set[str]] = {}
    for fig in result["figures"]:
        produced.setdefault(fig["scenario"], set()).add(fig["key"])
        if fig["target"].endswith("(retired)"):  # reported, no verdict: measured all the same
            measured = fig["measured"]
            assert measured.get("n") or "value" in measured, f"{fig['key']} was not measured"
        else:
            assert fig["passed"] is not None, f"{fig['key']} was not measured: {fig['measured']}"
    assert produced == FIGURES
    assert set(SCENARIOS) == set(FIGURES)
    assert set(result["raw"]) == set(SCENARIOS)
    single = result["raw"]["single"]
    assert single["parallel"]["stitches"] and single["sequential"]["stitches"]
    assert result["raw"]["channel"]["done"] == 2 and result["raw"]["load"]["done"] == 2
    ends = result["raw"]["channel"]["final_states"]  # per generation: stored, shown, lag
    assert len(ends) == 2 and all(e["lag"] is not None for e in ends)
    shown = next(f for f in result["figures"] if f["key"] == "final_shown")
    assert len(shown["extra"]["bound"]) == 2  # the budget's best, beside what was measured
    assert {"bound_median", "bound_max"} <= set(shown["measured"])  # the restated target's
    assert "bound median" in shown["note"]
    lines = table.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 + sum(len(keys) for keys in FIGURES.values())
