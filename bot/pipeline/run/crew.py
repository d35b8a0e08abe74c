"""What a run is made with: the services a generation's story (`bot.pipeline.run.story`) and a
reroll's (`bot.pipeline.director.reroll`) both use, built once by the runner and handed to each
whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.pipeline.analysis.writer import Analyst
from bot.pipeline.clips.maker import ClipMaker, MediaPolicy
from bot.pipeline.events import EventBus
from bot.pipeline.run.deliverer import Deliverer
from bot.pipeline.sound.speech import Narrator
from bot.pipeline.spend.admission import Admission
from storage.repository import Repository

if TYPE_CHECKING:  # imported for the annotation only: the score's module needs the crew's
    from bot.pipeline.director.cast import Casting
    from bot.pipeline.sound.music import Composer


@dataclass(frozen=True)
class Crew:
    """The repository, the analysis model, the clip maker (None without video), the event bus,
    where media goes, the admission rules, the narrator (None when narration is off) and the
    deliverers by source (the runner's own mapping: registered ones appear here too)."""

    repo: Repository
    analyst: Analyst
    clips: ClipMaker | None
    bus: EventBus
    policy: MediaPolicy
    admission: Admission
    narrator: Narrator | None
    deliverers: Mapping[str, Deliverer]
    composer: Composer | None = None  # the score (issue 22), None when music cannot be made
    casting: Casting | None = None  # the cast sheet (issue 24), None without video
