"""What is known of one generation's progress, reduced from the pipeline's events (pure).

The one progress model: the Discord reply (`cogs/generate/render.py`) and the terminal
(`bot/cli/progress.py`) both show a `Progress`, so a clip being retried reads "retrying" in
both, and a state loaded from the database after a restart reads like one built from events.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self

from bot.pipeline.continuity import ChainedRender
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
    Narrated,
    Queued,
    Started,
    Stitched,
)
from storage.models import Clip, ClipStatus, Continuity, Generation, GenerationStatus


class ClipShows(StrEnum):
    """What one clip shows."""

    WAITING = "waiting"
    RENDERING = "rendering"
    RETRYING = "retrying"  # failed for a moment; a new prediction is on its way
    DONE = "done"
    FAILED = "failed"

    @property
    def pending(self) -> bool:
        """Not ended yet: it may still be done."""
        return self in (ClipShows.WAITING, ClipShows.RENDERING, ClipShows.RETRYING)


_FROM_ROW = {
    ClipStatus.SUCCEEDED: ClipShows.DONE,
    ClipStatus.RUNNING: ClipShows.RENDERING,
    ClipStatus.CREATING: ClipShows.RENDERING,
    ClipStatus.FAILED: ClipShows.FAILED,
}


@dataclass
class Progress:
    """Owns what one generation shows: its stage, title, each clip's state, its place in the
    queue, the failure reason, when it started and ended, its narration, where the film went.
    `apply` takes the events in; a final state stays final until a Retry queues the
    generation again."""

    generation_id: int
    prompt: str = ""
    status: GenerationStatus = GenerationStatus.QUEUED
    title: str | None = None
    scenes: list[str] = field(default_factory=list)  # each scene's prompt, once known
    clips: list[ClipShows] = field(default_factory=list)
    position: int | None = None  # in the owner's queue; 1 = next to start
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    stitched: tuple[float, bool] | None = None  # the film's seconds, and whether re-encoded
    narration: Narrated | None = None  # the voice-over: mixed in, or left out and why
    delivered: str | None = None  # where the film went ("dm:…", "thread:…")
    chained: ChainedRender | None = None  # scenes rendered one after another, and the wait

    @classmethod
    def from_rows(cls, generation: Generation, clips: list[Clip]) -> Self:
        """What a generation shows from its stored rows (after a restart)."""
        progress = cls(generation.id, generation.prompt, generation.status)
        progress.title = generation.title
        progress.error = generation.error
        progress.started_at = generation.created_at
        progress.ended_at = generation.finished_at
        progress.delivered = generation.delivery_ref
        progress.scenes = [c.prompt for c in clips]
        progress.clips = [_FROM_ROW.get(c.status, ClipShows.WAITING) for c in clips]
        if generation.continuity is Continuity.CHAINED:
            progress.chained = ChainedRender(len(clips) or generation.clips_requested or 0)
        return progress

    @property
    def final(self) -> bool:
        return self.status.final

    @property
    def done_count(self) -> int:
        return sum(1 for c in self.clips if c == ClipShows.DONE)

    def apply(self, event: Event) -> bool:
        """Update from `event`; False when the event is ignored (a final state stays)."""
        if self.final and not isinstance(event, Queued | Started):
            return False
        match event:
            case Queued(position=position):
                if self.final:  # a Retry begins a new run
                    self.status, self.error, self.ended_at = GenerationStatus.QUEUED, None, None
                self.position = position
            case Started():
                self.status, self.error, self.ended_at = GenerationStatus.ANALYSING, None, None
                self.position = None
            case AnalysisDone(shot_list=shot_list, chained=chained):
                self.title = shot_list.title
                self.chained = chained or self.chained
                self.scenes = [s.prompt for s in shot_list.scenes]
                if len(self.clips) != len(shot_list.scenes):
                    self.clips = [ClipShows.WAITING] * len(shot_list.scenes)
                self.status = GenerationStatus.RENDERING
            case ClipStarted(index=i):
                self._set(i, ClipShows.RENDERING)
            case ClipCompleted(index=i):
                self._set(i, ClipShows.DONE)
            case ClipFailed(index=i, will_retry=retry):
                self._set(i, ClipShows.RETRYING if retry else ClipShows.FAILED)
            case Stitched(duration=duration, reencoded=reencoded):
                self.status, self.stitched = GenerationStatus.DELIVERING, (duration, reencoded)
            case Narrated():
                self.narration = event
            case Delivered(ref=ref):
                self.delivered = ref
            case Finished():
                self._end(GenerationStatus.DONE, None)
            case Failed(reason=reason):
                self._end(GenerationStatus.FAILED, reason)
            case Cancelled(reason=reason):
                self._end(GenerationStatus.CANCELLED, reason)
        return True

    def _set(self, index: int, value: ClipShows) -> None:
        if 0 <= index < len(self.clips) and self.clips[index] != ClipShows.DONE:
            self.clips[index] = value

    def _end(self, status: GenerationStatus, error: str | None) -> None:
        self.status, self.error, self.ended_at, self.position = status, error, time.time(), None
