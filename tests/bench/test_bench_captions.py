"""A smoke run of the `captions` benchmark scenario (burning captions into films of each shape,
then more burns than encode slots at once) at a tiny size: every figure is produced, and the
queueing check holds. Timings are never asserted here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main


@pytest.mark.timeout(300)
def test_a_tiny_captions_run_produces_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    code = main(
        [
            "--scenarios=captions",
            "--captions-seconds=10",
            "--captions-shapes=16:9,9:16",
            "--ffmpeg-concurrency=1",
            f"--out={out}",
            f"--workdir={tmp_path / 'work'}",
        ]
    )

    assert code == 0
    result = json.loads(out.read_text())
    figures = {f["key"]: f for f in result["figures"]}
    assert set(figures) == {"captions_burn_16:9", "captions_burn_9:16", "captions_burn_slots"}
    assert all(f["measured"]["value"] > 0 for f in figures.values())
    # two burns asked at once with one encode slot: never both encoding together
    assert figures["captions_burn_slots"]["measured"]["value"] == 1
    assert result["raw"]["captions"]["queued"]["burns"] == 2
    assert (tmp_path / "work" / "captions" / "burned-film-16x9.mp4").stat().st_size > 0
