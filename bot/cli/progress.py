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
    CastReady,
    ClipCompleted,
    ClipFailed,
    ClipStarted,
    Event,
    Extended,
    Narrated,
    RerollStarted,
)
from bot.pipeline.progress import ClipShows, Progress
from bot.pipeline.text import one_line, shorten
from storage.models import GenerationStatus

_CLIP_STYLE = {
    ClipShows.WAITING: "dim",
    ClipShows.RENDERING: "yellow",
    ClipShows.RETRYING: "magenta",
    ClipShows.DONE: "green",
    ClipShows.FAILED: "red",
}
_STAGE = {
    GenerationStatus.QUEUED: "queued",
    GenerationStatus.ANALYSING: "analysing the idea",
    GenerationStatus.RENDERING: "rendering clips",
    GenerationStatus.STITCHING: "stitching the film",
    GenerationStatus.DELIVERING: "delivering",
    GenerationStatus.REROLLING: "rerolling a scene",
    GenerationStatus.DONE: "done",
    GenerationStatus.FAILED: "failed",
    GenerationStatus.CANCELLED: "cancelled",
}


def stage(progress: Progress) -> str:
    """The generation's stage as one plain line (and the create budget's hold, if any)."""
    held = None if progress.final else progress.held_notice()
    return _stage(progress) + (f" — {held}" if held else "")


def _stage(progress: Progress) -> str:
    status = progress.status
    if status is GenerationStatus.QUEUED and progress.position:
        estimate = progress.queue_estimate()
        return f"queued (position {progress.position}{f', {estimate}' if estimate else ''})"
    if status is GenerationStatus.DELIVERING and progress.delivered:
        return f"delivered ({one_line(progress.delivered)})"
    if status is GenerationStatus.DELIVERING and progress.stitched:
        duration, reencoded = progress.stitched
        how = "re-encoded" if reencoded else "stream copy"
        return f"stitched {duration:.1f} s ({how}); delivering"
    if status is GenerationStatus.FAILED and progress.error:
        return f"failed: {one_line(progress.error)}"
    if progress.rerolling is not None and not progress.final:
        return f"rerolling scene {progress.rerolling + 1} (v{progress.version})"
    if status is GenerationStatus.DONE and progress.reroll_error:
        return f"reroll {one_line(progress.reroll_error)}; the film stays v{progress.version}"
    if status is GenerationStatus.DONE and progress.version > 1:
        return f"done (v{progress.version})"
    return _STAGE[status]


class TerminalProgress:
    """The progress of one generation. In a terminal, a live panel: the stage, the shot list,
    one line per clip, elapsed time. Elsewhere (a file, a pipe), one plain line per change
    and the panel's final state as plain lines at the end. The shot list, prompts and reasons
    are shown as text: never markup, never terminal control sequences. Owns the generation's
    `Progress` (the pipeline's one progress model, as the Discord reply shows it) and the
    clip failures seen, shown as notes."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._generation: int | None = None
        self._progress: Progress | None = None  # from the first event followed
        self._notes: list[str] = []
        self._said: list[str] = []  # the lines of the latest event
        self._started = time.monotonic()
        self._live = (
            Live(self._render(), console=console, refresh_per_second=8, transient=False)
            if console.is_terminal
            else None
        )

    def follow(self, generation_id: int) -> None:
        self._generation = generation_id

    def start_from(self, progress: Progress) -> None:
        """Show a generation as stored (a reroll of a finished film) before its events."""
        self._generation, self._progress = progress.generation_id, progress

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
        if self._progress is None:
            self._progress = Progress(event.generation_id)
        before = list(self._progress.clips)
        if not self._progress.apply(event):
            return
        lines = self._lines(self._progress, event, before)
        if self._live is not None:
            self._live.update(self._render())
        elif lines != self._said:  # an event published again (a reroll's start) says nothing new
            self._write([f"generation #{event.generation_id}: {line}" for line in lines])
        self._said = lines

    def _lines(self, progress: Progress, event: Event, before: list[ClipShows]) -> list[str]:
        """What `event` changed, as plain lines."""
        total = len(progress.clips)
        match event:
            case AnalysisDone(chained=chained):
                return [
                    f"shot list “{one_line(progress.title or '')}”, {total} scene(s)",
                    *(f"scene {n}: {one_line(p)}" for n, p in enumerate(progress.scenes, 1)),
                    *([chained.notice().removeprefix("🔗 ")] if chained is not None else []),
                ]
            case ClipStarted() | ClipCompleted() | ClipFailed():
                lines = [
                    f"clip {n}/{total} {now}"
                    for n, (was, now) in enumerate(zip(before, progress.clips, strict=False), 1)
                    if was != now
                ]
                if isinstance(event, ClipFailed):
                    note = f"clip {event.index + 1}: {one_line(event.reason)}"
                    self._notes.append(note + (" — retrying" if event.will_retry else ""))
                    lines.append(self._notes[-1])
                return lines
            case Narrated():
                return []  # the Done line says whether the film is narrated
            case RerollStarted(scene=scene, prompt=str(prompt)):
                return [f"scene {scene + 1} rewritten: {one_line(prompt)}"]
            case CastReady(portraits=portraits, note=note):  # issue 24: the cast sheet
                return [
                    *(
                        f"portrait of {one_line(p.name)}: "
                        + (str(p.path) if p.path else f"left out ({one_line(p.reason or '')})")
                        for p in portraits
                    ),
                    *([f"cast: {one_line(note)}"] if note else []),
                ]
            case Extended(scenes=scenes):  # issue 24: an Extend's scenes, written
                return [
                    f"{len(scenes)} scene(s) now",
                    *(f"scene {n}: {one_line(p)}" for n, p in enumerate(scenes, 1)),
                ]
        return [stage(progress)]

    def _header(self) -> list[tuple[str, str]]:
        elapsed = time.monotonic() - self._started
        progress = self._progress
        title = one_line(progress.title) if progress and progress.title else ""
        return [
            ("Reelbot ", "bold"),
            (f"“{title}” " if title else "", "italic"),
            (f"— {stage(progress) if progress else 'queued'} — ", ""),
            (
                f"{progress.done_count}/{len(progress.clips)} clips, "
                if progress and progress.clips
                else "",
                "cyan",
            ),
            (f"{elapsed:.1f} s", "dim"),
        ]

    def _rows(self) -> list[tuple[int, ClipShows, str]]:
        """Each clip: its number, what it shows, its scene's prompt on one line."""
        if self._progress is None:
            return []
        scenes = self._progress.scenes
        return [
            (n, shows, one_line(scenes[n - 1]) if n <= len(scenes) else "")
            for n, shows in enumerate(self._progress.clips, 1)
        ]

    def _summary(self) -> list[str]:
        """The panel's final state as plain lines: nothing cut, nothing styled."""
        return [
            "".join(text for text, _ in self._header()),
            *(f"{n}. {shows} {prompt}" for n, shows, prompt in self._rows()),
        ]

    def _render(self) -> Group:
        table = Table.grid(padding=(0, 1))
        for n, shows, prompt in self._rows():
            table.add_row(f"{n}.", Text(shows, _CLIP_STYLE[shows]), Text(shorten(prompt, 70)))
        notes = [Text(n, "red") for n in self._notes[-3:]]
        progress = self._progress
        if progress is not None and progress.chained is not None and not progress.final:
            notes.insert(0, Text(progress.chained.notice().removeprefix("🔗 "), "dim"))
        return Group(Text.assemble(*self._header()), table, *notes)

    def _write(self, lines: list[str]) -> None:
        if lines:
            self._console.file.write("".join(line + "\n" for line in lines))
            self._console.file.flush()
