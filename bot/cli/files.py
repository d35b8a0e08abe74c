"""Where a terminal generation's film goes: a file (`--out`), written whole or not at all."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from storage.models import Generation


class FileDeliverer:
    """Delivers a terminal generation by copying the film to `out` (a `.part` file renamed
    into place, so `out` is never half written); a reroll's cut too (`version`)."""

    def __init__(self, out: Path | None) -> None:
        self._out = out  # None: film-<id>.mp4, or film-<id>-v<N>.mp4 for a reroll's cut

    async def deliver(self, generation: Generation, film: Path, *, version: int = 1) -> str:
        tag = "" if version == 1 else f"-v{version}"
        out = self._out or Path(f"film-{generation.id}{tag}.mp4")
        await asyncio.to_thread(_copy, film, out)
        return f"file:{out}"


def unused_name(path: Path) -> Path:
    """`path` if nothing is there, else the first free `<stem>-2<suffix>`, `-3`, ...: a film
    written without `--out` never replaces an earlier one."""
    candidate, n = path, 1
    while candidate.exists() or candidate.with_name(candidate.name + ".part").exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    shutil.copyfile(src, partial)
    partial.replace(dest)
