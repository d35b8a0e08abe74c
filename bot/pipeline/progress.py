"""What is known of one generation's progress, reduced from the pipeline's events (pure).

The one progress model: the Discord reply (`cogs/generate/render.py`) and the terminal
(`bot/cli/progress.py`) both show a `Progress`, so a clip being retried reads "retrying" in
both, and a state loaded from the database after a restart reads like one built from events.
"""

from __future__ import annotations

import math
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
    ClipHeld,
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
    starts_at: float | None = None  # about when, if known (`Queued.until`: wall clock)
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
    # clips waiting for Replicate's create budget: index → (creates ahead, their turn's
    # wall-clock time), the latest `ClipHeld` of each until the clip starts or ends
    held: dict[int, tuple[int, float]] = field(default_factory=dict)

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

    def held_for(self, now: float | None = None) -> tuple[int, float] | None:
        """While Replicate's create budget holds clips back: the creates ahead of the first of
        them to get its turn, and the seconds until that turn (None when none is held, or
        every turn has come: the create is on its way)."""
        now = time.time() if now is None else now
        due = [(until, ahead) for ahead, until in self.held.values() if until > now]
        if not due:
            return None
        until, ahead = min(due)
        return ahead, until - now

    def queue_notice(self, now: float | None = None) -> str | None:
        """A run in its member's queue: "position 2 in your queue, about 3 min" (the estimate
        only while it is in the future); None when not queued."""
        if not self.position:
            return None
        estimate = self.queue_estimate(now)
        return f"position {self.position} in your queue" + (f", {estimate}" if estimate else "")

    def queue_estimate(self, now: float | None = None) -> str | None:
        """ "about 3 min" until a queued run should start, while that is in the future."""
        now = time.time() if now is None else now
        if not self.position or self.starts_at is None or self.starts_at <= now:
            return None
        return f"about {about(self.starts_at - now)}"

    def held_notice(self, now: float | None = None) -> str | None:
        """What the member is told while the create budget holds their clips back (the
        Discord reply and the terminal alike): "Replicate is busy: 12 scenes ahead of yours,
        about 40 s"; None when nothing is held."""
        held = self.held_for(now)
        if held is None:
            return None
        ahead, seconds = held
        queue = (
            "yours is next"
            if ahead == 0
            else f"{ahead} scene{'' if ahead == 1 else 's'} ahead of yours"
        )
        return f"Replicate is busy: {queue}, about {about(seconds)}"

    @property
    def done_count(self) -> int:
        return sum(1 for c in self.clips if c == ClipShows.DONE)

    def apply(self, event: Event) -> bool:
        """Update from `event`; False when the event is ignored (a final state stays)."""
        if self.final and not isinstance(event, Queued | Started | RerollStarted):
            return False
        match event:
            case Queued(position=position, until=until):
                if self.final:  # a Retry begins a new run
                    self.status, self.error, self.ended_at = GenerationStatus.QUEUED, None, None
                self.position, self.starts_at = position, until
            case Started():
                self.status, self.error, self.ended_at = GenerationStatus.ANALYSING, None, None
                self.position = None
                self.held.clear()
            case AnalysisDone(shot_list=shot_list, chained=chained):
                self.title = shot_list.title
                self.chained = chained or self.chained
                self.scenes = [s.prompt for s in shot_list.scenes]
                if len(self.clips) != len(shot_list.scenes):
                    self.clips = [ClipShows.WAITING] * len(shot_list.scenes)
                self.status = GenerationStatus.RENDERING
            case ClipHeld(index=i, ahead=ahead, until=until):
                self.held[i] = (ahead, until)
            case ClipStarted(index=i):
                self._set(i, ClipShows.RENDERING)
                self.held.pop(i, None)
            case ClipCompleted(index=i):
                self._set(i, ClipShows.DONE)
                self.held.pop(i, None)
            case ClipFailed(index=i, will_retry=retry):
                self._set(i, ClipShows.RETRYING if retry else ClipShows.FAILED)
                self.held.pop(i, None)
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
        self.held.clear()


def about(seconds: float) -> str:
    """A wait as a member reads it: "5 s", "40 s" (to 5 s beyond 10 s), "3 min" (beyond
    90 s, to the minute); rounded up, so it is not said to be sooner than it is."""
    if seconds <= 10:
        return f"{max(1, math.ceil(seconds))} s"
    if seconds <= 90:
        return f"{5 * math.ceil(seconds / 5)} s"
    return f"{math.ceil(seconds / 60)} min"
