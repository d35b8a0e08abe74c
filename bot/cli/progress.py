"""Terminal progress, driven by the pipeline's events (the same ones Discord renders)."""

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
from bot.pipeline.text import one_line, shorten

_CLIP_STYLE = {"waiting": "dim", "rendering": "yellow", "done": "green", "failed": "red"}


class TerminalProgress:
    """The progress of one generation. In a terminal, a live panel: the stage, the shot list,
    one line per clip, elapsed time. Elsewhere (a file, a pipe), one plain line per change
    and the panel's final state as plain lines at the end. The shot list, prompts and reasons
    are shown as text: never markup, never terminal control sequences."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._generation: int | None = None
        self._stage = "queued"
        self._title = ""
        self._clips: list[tuple[str, str]] = []  # (scene prompt, state)
        self._notes: list[str] = []
        self._started = time.monotonic()
        self._live = (
            Live(self._render(), console=console, refresh_per_second=8, transient=False)
            if console.is_terminal
            else None
        )

    def follow(self, generation_id: int) -> None:
        self._generation = generation_id

    def __enter__(self) -> TerminalProgress:
        if self._live is not None:
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is None:
            self._write(self._summary())
            return
        self._live.update(self._render())
        self._live.__exit__(exc_type, exc, tb)

    def handle(self, event: Event) -> None:
        if self._generation is not None and event.generation_id != self._generation:
            return
        lines = self._apply(event)
        if self._live is not None:
            self._live.update(self._render())
        else:
            self._write([f"generation #{event.generation_id}: {line}" for line in lines])

    def _apply(self, event: Event) -> list[str]:
        """Take the event in; returns what changed, as plain lines."""
        match event:
            case Queued(position=position):
                self._stage = f"queued (position {position})"
            case Started():
                self._stage = "analysing the idea"
            case AnalysisDone(shot_list=shot_list):
                self._title = one_line(shot_list.title)
                self._clips = [(one_line(s.prompt), "waiting") for s in shot_list.scenes]
                self._stage = "rendering clips"
                return [
                    f"shot list “{self._title}”, {len(self._clips)} scene(s)",
                    *(f"scene {n}: {prompt}" for n, (prompt, _) in enumerate(self._clips, 1)),
                ]
            case ClipStarted(index=i):
                return self._set_clip(i, "rendering")
            case ClipCompleted(index=i):
                return self._set_clip(i, "done")
            case ClipFailed(index=i, reason=reason, will_retry=retry):
                note = f"clip {i + 1}: {one_line(reason)}" + (" — retrying" if retry else "")
                self._notes.append(note)
                return [*self._set_clip(i, "rendering" if retry else "failed"), note]
            case Stitched(duration=duration, reencoded=reencoded):
                how = "re-encoded" if reencoded else "stream copy"
                self._stage = f"stitched {duration:.1f} s ({how}); delivering"
            case Delivered(ref=ref):
                self._stage = f"delivered ({one_line(ref)})"
            case Finished():
                self._stage = "done"
            case Failed(reason=reason):
                self._stage = f"failed: {one_line(reason)}"
            case Cancelled():
                self._stage = "cancelled"
            case _:
                return []
        return [self._stage]

    def _set_clip(self, index: int, state: str) -> list[str]:
        if not 0 <= index < len(self._clips) or self._clips[index][1] == state:
            return []
        self._clips[index] = (self._clips[index][0], state)
        return [f"clip {index + 1}/{len(self._clips)} {state}"]

    def _header(self) -> list[tuple[str, str]]:
        elapsed = time.monotonic() - self._started
        done = sum(1 for _, state in self._clips if state == "done")
        return [
            ("Reelbot ", "bold"),
            (f"“{self._title}” " if self._title else "", "italic"),
            (f"— {self._stage} — ", ""),
            (f"{done}/{len(self._clips)} clips, " if self._clips else "", "cyan"),
            (f"{elapsed:.1f} s", "dim"),
        ]

    def _summary(self) -> list[str]:
        """The panel's final state as plain lines: nothing cut, nothing styled."""
        return [
            "".join(text for text, _ in self._header()),
            *(f"{n}. {state} {prompt}" for n, (prompt, state) in enumerate(self._clips, 1)),
        ]

    def _render(self) -> Group:
        table = Table.grid(padding=(0, 1))
        for number, (prompt, state) in enumerate(self._clips, start=1):
            table.add_row(f"{number}.", Text(state, _CLIP_STYLE[state]), Text(shorten(prompt, 70)))
        notes = [Text(n, "red") for n in self._notes[-3:]]
        return Group(Text.assemble(*self._header()), table, *notes)

    def _write(self, lines: list[str]) -> None:
        if lines:
            self._console.file.write("".join(line + "\n" for line in lines))
            self._console.file.flush()
