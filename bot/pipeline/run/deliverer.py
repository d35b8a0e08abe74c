"""Who hands a finished film to its owner: the Discord DM (`cogs/generate/delivery.py`) or a
file for the terminal (`bot/cli/files.py`), registered with the runner per source."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from storage.models import Generation


class Deliverer(Protocol):
    """Hands the finished film to its owner; returns a reference to what it sent.
    It may be called again for the same generation after a crash, and must not send twice.
    `version` > 1: a reroll's new cut (bot/pipeline/director/reroll.py), sent as that version."""

    async def deliver(self, generation: Generation, film: Path, *, version: int = 1) -> str: ...
