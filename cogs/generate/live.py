"""One live reply: everything this process holds about a reply while it follows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.pipeline.events import Event
from bot.pipeline.progress import ClipShows
from cogs.generate.edits import ReplyEdits
from cogs.generate.state import ReplyState


@dataclass(eq=False)
class LiveReply:
    """Owns one reply while the updater follows it: what it shows (`state`; None while it
    loads from the database, and when the generation has no reply to show: that is
    remembered, so a lost reply is looked for once, not at every event), the events that came
    while it loaded, the clips made but not yet posted, its edit schedule, and whether its
    final state was shown (then, once its thread is complete, the generation is settled)."""

    generation_id: int
    state: ReplyState | None = None
    loading: bool = False
    backlog: list[Event] = field(default_factory=list)
    ready: dict[int, Path] = field(default_factory=dict)  # clips made, not yet posted, by index
    edits: ReplyEdits | None = None
    final_shown: bool = False

    def clips_to_post(self) -> list[tuple[int, Path]]:
        """The clips to post now, in scene order: a clip that finished early waits for the
        ones before it to finish or fail (or for the generation to end)."""
        state = self.state
        if state is None:
            return []
        released: list[tuple[int, Path]] = []
        for index in sorted(self.ready):
            if not state.final and any(ClipShows(c).pending for c in state.clips[:index]):
                break
            released.append((index, self.ready.pop(index)))
        return released
