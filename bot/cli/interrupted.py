"""Terminal generations a previous `python -m bot generate` left unfinished (Ctrl-C, a closed
terminal, a kill), found by the next `generate` or `history` and resumed or cancelled: none is
left rendering, and billing, silently.

Which ones are orphans: a terminal generation is claimed by the process that runs it, with an
exclusive lock (`flock`) on `<MEDIA_DIR>/<id>/terminal.lock` taken at its first event and held
until that process ends — the kernel lets go of it however the process ends, SIGKILL included.
An unfinished terminal generation whose lock is free (and that is older than a few seconds, so
one being started right now is not taken for one) has no process left. Whoever takes the lock
next decides for it, so two terminals never both do.

What is done with one: in a terminal the operator is asked (resume, or cancel); when stdin is
not a terminal (a script, cron, CI) its predictions are cancelled and it is marked cancelled.
Cancelling is the safe default there: resuming would go on paying for a film that nobody is
waiting for, and hold up the command that was actually asked for, for minutes; a cancelled
generation can still be looked up in `history`.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot.cli.files import FileDeliverer
from bot.cli.progress import TerminalProgress
from bot.config import Settings
from bot.pipeline.events import Event
from bot.services import Services, open_services
from storage.db import open_database
from storage.models import ClipStatus, Generation, GenerationStatus
from storage.repository import Repository

LOCK_NAME = "terminal.lock"
GRACE = 3.0  # seconds: a generation younger than this may be being claimed right now
INTERRUPTED = "interrupted in the terminal; cancelled by the next `python -m bot` run"

Ask = Callable[[str], Awaitable[str]]


class Claims:
    """The terminal generations this process holds: one open, locked file each, kept until
    the process ends (closing it, or the process ending, releases the lock)."""

    def __init__(self, media_dir: Path) -> None:
        self._root = media_dir
        self._held: dict[int, int] = {}  # generation id → file descriptor

    def claim(self, generation_id: int) -> bool:
        """Take the generation's lock; False when another process holds it."""
        if generation_id in self._held:
            return True
        folder = self._root / str(generation_id)
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._held[generation_id] = fd
        return True

    def follow(self, event: Event) -> None:
        """Bus subscriber: claim every generation this process works on."""
        if event.generation_id not in self._held:
            self.claim(event.generation_id)


async def settle(
    services: Services,
    console: Console,
    *,
    ask: Ask | None = None,
    claims: Claims | None = None,
) -> None:
    """Claim this process's terminal generations from now on, and resume or cancel the ones
    earlier processes left behind (`ask` answers "resume" or "cancel"; by default the operator
    is asked when stdin is a terminal, and they are cancelled when it is not)."""
    claims = claims or Claims(services.settings.media_dir)
    services.bus.subscribe(claims.follow)
    if ask is None and sys.stdin.isatty():
        ask = _ask_operator
    for generation in await _orphans(services.repo, claims):
        await _settle_one(services, console, generation, ask)


async def settle_before_history(settings: Settings, console: Console) -> None:
    """`settle`, for `history`: it opens the pipeline only when there is something to settle."""
    claims = Claims(settings.media_dir)
    async with open_database(settings) as db:
        if not await _orphans(Repository(db), claims):
            return
    async with open_services(settings) as services:
        await settle(services, console, claims=claims)


async def _orphans(repo: Repository, claims: Claims) -> list[Generation]:
    """Unfinished terminal generations no other process holds; `claims` takes them."""
    recent = time.time() - GRACE
    return [
        generation
        for generation in await repo.unfinished("cli")
        if generation.created_at <= recent and claims.claim(generation.id)
    ]


async def _settle_one(
    services: Services, console: Console, generation: Generation, ask: Ask | None
) -> None:
    clips = await services.repo.clips(generation.id)
    running = sum(1 for c in clips if c.status in (ClipStatus.RUNNING, ClipStatus.CREATING))
    what = f"{running} prediction(s) may still be running at Replicate" if running else "no clip"
    console.print(
        f"Generation #{generation.id} “{escape(generation.prompt[:60])}” was interrupted while "
        f"{generation.status} ({what})."
    )
    if ask is None:
        choice = "cancel"
        console.print("stdin is not a terminal, so it is cancelled (run in a terminal to choose).")
    else:
        choice = await ask("Resume it, or cancel it and its predictions? [r/C] ")
    if choice.strip().lower() in ("r", "resume"):
        await _resume(services, console, generation)
        return
    try:
        await services.runner.cancel(generation.id, reason=INTERRUPTED)
    except Exception as exc:  # the member's money: say it loudly, with what to do
        console.print(
            f"[red]Generation #{generation.id} is marked cancelled, but cancelling its "
            f"predictions failed ({escape(str(exc))})[/]: cancel them at "
            "https://replicate.com/predictions."
        )
        return
    console.print(f"Generation #{generation.id} cancelled, and its predictions with it.")


async def _resume(services: Services, console: Console, generation: Generation) -> None:
    out = Path(f"film-{generation.id}.mp4")
    services.runner.register_deliverer("cli", FileDeliverer(out))
    progress = TerminalProgress(console)
    progress.follow(generation.id)
    unsubscribe = services.bus.subscribe(progress.handle)
    try:
        with progress:
            services.runner.start(generation)
            final = await services.runner.wait(generation.id)
    finally:
        unsubscribe()
    if final.status is GenerationStatus.DONE:
        console.print(f"Generation #{final.id} resumed and done → {out}")
    else:
        console.print(f"Generation #{final.id} {final.status}: {escape(final.error or '')}")


async def _ask_operator(prompt: str) -> str:
    def read() -> str:
        try:
            return input(prompt)
        except EOFError:
            return ""

    return await asyncio.to_thread(read)
