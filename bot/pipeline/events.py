"""Typed events a generation publishes, and the bus that carries them to any subscriber."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.pipeline.analysis.shotlist import ShotList
from bot.pipeline.director.continuity import ChainedRender

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    generation_id: int


@dataclass(frozen=True, slots=True)
class Queued(Event):
    position: int  # 1 = next to start
    until: float | None = None  # about when it starts (wall clock), if known (run/waits.py)


@dataclass(frozen=True, slots=True)
class Started(Event):
    pass


@dataclass(frozen=True, slots=True)
class AnalysisDone(Event):
    shot_list: ShotList
    chained: ChainedRender | None = None  # chained scenes: one after another, and the wait


@dataclass(frozen=True, slots=True)
class ClipStarted(Event):
    index: int
    prediction_id: str


@dataclass(frozen=True, slots=True)
class ClipHeld(Event):
    """Clip `index` waits for this process's Replicate create budget (the account's cap):
    `ahead` creates wait before it, and its turn comes at `until` (wall clock, `time.time()`),
    as the budget knows it (`RequestBudget.eta`)."""

    index: int
    ahead: int
    until: float


@dataclass(frozen=True, slots=True)
class ClipCompleted(Event):
    index: int
    path: Path


@dataclass(frozen=True, slots=True)
class ClipFailed(Event):
    index: int
    reason: str
    will_retry: bool


@dataclass(frozen=True, slots=True)
class Stitched(Event):
    path: Path
    reencoded: bool
    duration: float


@dataclass(frozen=True, slots=True)
class Narrated(Event):
    """The film's voice-over: mixed in (`reason` None), or left out and why. `replaced` is the
    voice the member chose when the speech model no longer has it (`voice` stood in)."""

    voice: str
    reason: str | None = None
    replaced: str | None = None


@dataclass(frozen=True, slots=True)
class Delivered(Event):
    ref: str


@dataclass(frozen=True, slots=True)
class Finished(Event):
    path: Path | None  # None when video generation is off (shot list only)


@dataclass(frozen=True, slots=True)
class Failed(Event):
    reason: str


@dataclass(frozen=True, slots=True)
class Cancelled(Event):
    reason: str | None = None  # None: the member's own cancel


@dataclass(frozen=True, slots=True)
class RerollStarted(Event):
    """A done film's `scene` is being made again, as film `version`
    (bot/pipeline/director/reroll.py);
    published again with its new `prompt` once a note rewrote it."""

    version: int
    scene: int
    prompt: str | None = None


@dataclass(frozen=True, slots=True)
class RerollEnded(Event):
    """A reroll ended: delivered (`reason` None) or not (the earlier take and film stay).
    `shown` is the film version the generation now has; `take` the version of the scene's
    take now in it."""

    version: int
    scene: int
    reason: str | None
    shown: int
    take: int


@dataclass(frozen=True, slots=True)
class ClipWithheld(Event):
    """A clip did not pass the content check (`bot.pipeline.clips.check`): never shown; its
    member is told privately which scene and why."""

    index: int
    categories: tuple[str, ...]
    owner_id: int
    source: str


Subscriber = Callable[[Event], None]


@dataclass
class EventBus:
    """Fan-out of events to subscribers. Handlers are plain functions and must not block;
    a handler that raises is logged and does not stop the others."""

    _subscribers: list[Subscriber] = field(default_factory=list)

    def subscribe(self, handler: Subscriber) -> Callable[[], None]:
        """Add `handler`; the returned function removes it."""
        self._subscribers.append(handler)
        return lambda: self._subscribers.remove(handler)

    def __len__(self) -> int:
        """How many handlers are subscribed."""
        return len(self._subscribers)

    def publish(self, event: Event) -> None:
        for handler in tuple(self._subscribers):
            try:
                handler(event)
            except Exception:
                log.exception("event handler %r failed on %r", handler, event)


@dataclass(frozen=True, slots=True)
class Portrait:
    """One character's portrait on the cast sheet (issue 24): its file (None: left out, and
    `reason` says why; the character stays words-only), and which take it is (a recast makes
    the next)."""

    index: int
    name: str
    path: Path | None
    reason: str | None = None
    take: int = 1
    member: bool = False  # the member's own picture, not the image model's


@dataclass(frozen=True, slots=True)
class CastReady(Event):
    """The cast sheet is made (posted in the thread before the clips); `note` tells the member
    once what could not use it (scenes a model takes no references for, a picture not used)."""

    portraits: tuple[Portrait, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Extended(Event):
    """An Extend's scenes are written (issue 24): the film's scenes are now `scenes` (their
    prompts, the old ones first); published again with the old ones when it ended unmade."""

    version: int
    scenes: tuple[str, ...]
