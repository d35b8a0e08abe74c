"""Live terminal progress, driven by the pipeline's events (the same ones Discord renders)."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from bot.pipeline.events import (
    AnalysisDone,
    Cancelled,
    ClipCompleted,
    ClipFailed,
    ClipStarted,
    Delivered,
    Event,
    Failed,
    Finished,
    Queued,
    Started,
    Stitched,
)

_CLIP_STYLE = {"waiting": "dim", "rendering": "yellow", "done": "green", "failed": "red"}


class TerminalProgress:
    """A live panel: the stage, the shot list, one line per clip, elapsed time."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._generation: int | None = None
        self._stage = "queued"
        self._title = ""
        self._clips: list[tuple[str, str]] = []  # (scene prompt, state)
        self._notes: list[str] = []
        self._started = time.monotonic()
        self._live = Live(self._render(), console=console, refresh_per_second=8, transient=False)

    def follow(self, generation_id: int) -> None:
        self._generation = generation_id

    def __enter__(self) -> TerminalProgress:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.update(self._render())
        self._live.__exit__(exc_type, exc, tb)

    def handle(self, event: Event) -> None:
        if self._generation is not None and event.generation_id != self._generation:
            return
        match event:
            case Queued(position=position):
                self._stage = f"queued (position {position})"
            case Started():
                self._stage = "analysing the idea"
            case AnalysisDone(shot_list=shot_list):
                self._title = shot_list.title
                self._clips = [(s.prompt, "waiting") for s in shot_list.scenes]
                self._stage = "rendering clips"
            case ClipStarted(index=i):
                self._set_clip(i, "rendering")
            case ClipCompleted(index=i):
                self._set_clip(i, "done")
            case ClipFailed(index=i, reason=reason, will_retry=retry):
                self._set_clip(i, "rendering" if retry else "failed")
                self._notes.append(f"clip {i + 1}: {reason}" + (" — retrying" if retry else ""))
            case Stitched(duration=duration, reencoded=reencoded):
                how = "re-encoded" if reencoded else "stream copy"
                self._stage = f"stitched {duration:.1f} s ({how}); delivering"
            case Delivered(ref=ref):
                self._stage = f"delivered ({ref})"
            case Finished():
                self._stage = "done"
            case Failed(reason=reason):
                self._stage = f"failed: {reason}"
            case Cancelled():
                self._stage = "cancelled"
        self._live.update(self._render())

    def _set_clip(self, index: int, state: str) -> None:
        if 0 <= index < len(self._clips):
            self._clips[index] = (self._clips[index][0], state)

    def _render(self) -> Group:
        elapsed = time.monotonic() - self._started
        done = sum(1 for _, state in self._clips if state == "done")
        header = Text.assemble(
            ("Reelbot ", "bold"),
            (f"“{self._title}” " if self._title else "", "italic"),
            (f"— {self._stage} — ", ""),
            (f"{done}/{len(self._clips)} clips, " if self._clips else "", "cyan"),
            (f"{elapsed:.1f} s", "dim"),
        )
        table = Table.grid(padding=(0, 1))
        for number, (prompt, state) in enumerate(self._clips, start=1):
            table.add_row(f"{number}.", Text(state, _CLIP_STYLE[state]), prompt[:70])
        notes = [Text(n, "red") for n in self._notes[-3:]]
        return Group(header, table, *notes)
