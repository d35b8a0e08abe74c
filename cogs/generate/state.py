"""What the reply shows about one generation, updated from the pipeline's events (pure)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

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
from storage.models import Clip, ClipStatus, Generation, GenerationStatus

# events that change what the reply shows enough to be worth an edit
SHOWN = (
    Queued,
    Started,
    AnalysisDone,
    ClipCompleted,
    ClipFailed,
    Stitched,
    Finished,
    Failed,
    Cancelled,
)


@dataclass
class ReplyState:
    generation_id: int
    owner_id: int
    prompt: str
    status: GenerationStatus = GenerationStatus.QUEUED
    title: str | None = None
    clips: list[str] = field(
        default_factory=list
    )  # per clip: waiting/rendering/done/retrying/failed
    position: int | None = None
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    delivered: str | None = None
    channel_id: int | None = None
    message_id: int | None = None
    thread_id: int | None = None  # where posts go: a thread, the channel itself, or undecided
    post_failures: dict[str, str] = field(default_factory=dict)  # post key → why it failed

    @classmethod
    def from_rows(cls, generation: Generation, clips: list[Clip]) -> ReplyState:
        state = cls(generation.id, generation.owner_id, generation.prompt, generation.status)
        state.title = generation.title
        state.error = generation.error
        state.started_at = generation.created_at
        state.ended_at = generation.finished_at
        state.delivered = generation.delivery_ref
        state.clips = [_clip_state(c.status) for c in clips]
        state.channel_id, state.message_id = generation.channel_id, generation.message_id
        state.thread_id = generation.thread_id
        return state

    @property
    def final(self) -> bool:
        return self.status.final

    @property
    def done_count(self) -> int:
        return sum(1 for c in self.clips if c == "done")

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
            case AnalysisDone(shot_list=shot_list):
                self.title = shot_list.title
                if len(self.clips) != len(shot_list.scenes):
                    self.clips = ["waiting"] * len(shot_list.scenes)
                self.status = GenerationStatus.RENDERING
            case ClipStarted(index=i):
                self._set(i, "rendering")
            case ClipCompleted(index=i):
                self._set(i, "done")
            case ClipFailed(index=i, will_retry=retry):
                self._set(i, "retrying" if retry else "failed")
            case Stitched():
                self.status = GenerationStatus.DELIVERING
            case Delivered(ref=ref):
                self.delivered = ref
            case Finished():
                self._end(GenerationStatus.DONE, None)
            case Failed(reason=reason):
                self._end(GenerationStatus.FAILED, reason)
            case Cancelled(reason=reason):
                self._end(GenerationStatus.CANCELLED, reason)
        return True

    def _set(self, index: int, value: str) -> None:
        if 0 <= index < len(self.clips) and self.clips[index] != "done":
            self.clips[index] = value

    def _end(self, status: GenerationStatus, error: str | None) -> None:
        self.status, self.error, self.ended_at, self.position = status, error, time.time(), None


def _clip_state(status: ClipStatus) -> str:
    return {
        ClipStatus.SUCCEEDED: "done",
        ClipStatus.RUNNING: "rendering",
        ClipStatus.CREATING: "rendering",
        ClipStatus.FAILED: "failed",
    }.get(status, "waiting")
