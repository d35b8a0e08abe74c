"""Fixtures of the terminal tests: the environment of a `python -m bot` child process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no Reelbot variable, no .env in the working directory."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }


@pytest.fixture
def env(base_env: dict[str, str], fake_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {
        **base_env,
        **fake_env,
        "DATABASE_PATH": str(tmp_path / "data" / "reelbot.sqlite3"),
        "MEDIA_DIR": str(tmp_path / "data" / "media"),
        "REPLICATE_POLL_SECONDS": "0.05",
        "DAILY_VIDEO_SECONDS_LIMIT": "0",  # unlimited unless a test sets a limit
    }
