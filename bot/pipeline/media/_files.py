"""Atomic file writes: work on a temporary sibling, then fsync and ``os.replace``."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path


def temp_sibling(dest: Path) -> Path:
    """A fresh hidden temporary name in ``dest``'s directory, keeping its suffix."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest.with_name(f".{dest.stem}.{secrets.token_hex(4)}.tmp{dest.suffix}")


def _fsync_replace(tmp: Path, dest: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dest)
    try:
        dir_fd = os.open(dest.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


async def commit(tmp: Path, dest: Path) -> Path:
    """Flush ``tmp`` to disk and move it over ``dest`` in one step; return ``dest``."""
    await asyncio.to_thread(_fsync_replace, tmp, dest)
    return dest


def discard(tmp: Path) -> None:
    """Remove a temporary file if it is still there."""
    Path(tmp).unlink(missing_ok=True)
