"""What one reply shows: the generation's progress (the pipeline's one progress model) and
where the reply and its posts are on Discord (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Self

from bot.pipeline.progress import Progress
from storage.models import Clip, Generation, Version


@dataclass
class ReplyState(Progress):
    """Owns what the reply shows: the generation's `Progress` (from the pipeline's events),
    plus where it is shown — the reply's channel and message, where the thread posts go —
    and the posts that failed for good, with their reasons."""

    channel_id: int | None = None
    message_id: int | None = None
    guild_id: int | None = None  # the server of the channel (a thread is started there)
    thread_id: int | None = None  # where posts go: a thread, the channel itself, or undecided
    post_failures: dict[str, str] = field(default_factory=dict)  # post key → why it failed
    cost: str | None = None  # the estimate and the member's day, shown from the first render

    @classmethod
    def from_rows(
        cls, generation: Generation, clips: list[Clip], versions: Sequence[Version] = ()
    ) -> Self:
        state = super().from_rows(generation, clips, versions)
        state.channel_id, state.message_id = generation.channel_id, generation.message_id
        state.thread_id, state.guild_id = generation.thread_id, generation.guild_id
        return state
