"""What is known of one generation's progress, reduced from the pipeline's events (pure).

The one progress model: the Discord reply (`cogs/generate/render.py`) and the terminal
(`bot/cli/progress.py`) both show a `Progress`, so a clip being retried reads "retrying" in
both, and a state loaded from the database after a restart reads like one built from events.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self

from bot.pipeline.director.continuity import ChainedRender
from bot.pipeline.events import (
    AnalysisDone,
    Cancelled,
    ClipCompleted,
    ClipFailed,
    ClipStarted,
    Delivered,
    Event,
    Extended,
    Failed,
    Finished,
    Narrated,
    Queued,
    RerollEnded,
    RerollStarted,
    Started,
    Stitched,
)
from storage.models import (
    Clip,
    ClipStatus,
    Continuity,
    Generation,
    GenerationStatus,
    Version,
    VersionStatus,
)


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
    version: int = 1  # the film's version: the latest delivered, or the one a reroll makes
    rerolling: int | None = None  # the scene a reroll is making again
    changed: dict[int, int] = field(default_factory=dict)  # scene → version of its take (>1)
    reroll_error: str | None = None  # why the last reroll did not make a new version
    shown_ref: str | None = field(default=None, repr=False)  # the film's ref while rerolling
    chained: ChainedRender | None = None  # scenes rendered one after another, and the wait

    @classmethod
    def from_rows(
        cls, generation: Generation, clips: list[Clip], versions: Sequence[Version] = ()
    ) -> Self:
        """What a generation shows from its stored rows (after a restart)."""
        progress = cls(generation.id, generation.prompt, generation.status)
        progress.title = generation.title
        progress.error = generation.error
        progress.started_at = generation.created_at
        progress.ended_at = generation.finished_at
        progress.delivered = generation.delivery_ref
        progress.scenes = [c.prompt for c in clips]
        progress.clips = [_FROM_ROW.get(c.status, ClipShows.WAITING) for c in clips]
        progress.changed = {c.index: c.version for c in clips if c.version > 1}
        done = [v.number for v in versions if v.status is VersionStatus.DONE]
        progress.version = max(done, default=1)
        last = versions[-1] if versions else None
        if last is not None and not last.status.final:
            progress.version, progress.rerolling = last.number, last.scene
            progress.shown_ref, progress.delivered = progress.delivered, last.delivery_ref
        elif last is not None and last.status is not VersionStatus.DONE:
            progress.reroll_error = f"v{last.number}: {last.error or last.status}"
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
        if self.final and not isinstance(event, Queued | Started | RerollStarted):
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
            case RerollStarted(version=version, scene=scene):
                self.status, self.ended_at, self.position = GenerationStatus.REROLLING, None, None
                if self.rerolling is None:  # where the film went so far: not this version's
                    self.shown_ref, self.delivered = self.delivered, None
                self.version, self.rerolling, self.reroll_error = version, scene, None
                self.changed[scene] = version
                if 0 <= scene < len(self.clips) and self.clips[scene] == ClipShows.DONE:
                    self.clips[scene] = ClipShows.WAITING  # the take being made is not done
                if event.prompt is not None and 0 <= scene < len(self.scenes):
                    self.scenes[scene] = event.prompt
            case RerollEnded(version=version, scene=scene, reason=reason):
                self._end(GenerationStatus.DONE, None)
                self.version, self.rerolling = event.shown, None
                if event.take > 1:
                    self.changed[scene] = event.take
                else:
                    self.changed.pop(scene, None)
                if 0 <= scene < len(self.clips):
                    self.clips[scene] = ClipShows.DONE  # the new take, or the earlier one back
                self.reroll_error = None if reason is None else f"v{version}: {reason}"
                if reason is not None:  # the film stays the version before, sent where it went
                    self.delivered = self.shown_ref
            case Extended(scenes=scenes):  # issue 24: an Extend's new scenes (or none again)
                self.scenes = list(scenes)
                self.clips = (self.clips + [ClipShows.WAITING] * len(scenes))[: len(scenes)]
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
