"""How a generation ends failed or cancelled: the state stored first, then published, the
write tried again until it lands (a generation is never left unfinished with nothing driving
it). The runner and a generation's story end generations through this one place."""

from __future__ import annotations

import logging

from bot.pipeline.events import Cancelled, EventBus, Failed
from bot.pipeline.run.transitions import Transitions, Who
from bot.retry import Retries
from storage.models import Generation, GenerationStatus

log = logging.getLogger(__name__)


class Endings:
    """Stores and publishes the failed or cancelled end of generations; holds no state."""

    def __init__(self, moves: Transitions, bus: EventBus, retries: Retries | None = None) -> None:
        self._moves = moves
        self._bus = bus
        # a write that cannot land yet is tried again until it does (bot.retry)
        self._writes = (retries or Retries()).database_write

    async def fail(self, generation: Generation, reason: str) -> None:
        """End the generation failed with `reason` (what its member reads)."""
        if await self.end(generation, reason):
            log.warning(
                "generation %s of member %s failed: %s", generation.id, generation.owner_id, reason
            )

    async def end(
        self,
        generation: Generation,
        reason: str,
        *,
        refund: bool = False,
        status: GenerationStatus = GenerationStatus.FAILED,
        who: Who = Who.RUN,
    ) -> bool:
        """Store the failure (or `status`), then publish it. A write that cannot land (a full
        disk, a lock held past the busy timeout) is tried again, backing off, until it does or
        the task is cancelled (the next start resumes the generation). False when it had
        already ended."""
        stored = await self._writes.call(
            lambda: self._moves.end(generation.id, status, reason, who=who, refund=refund),
            "generation %s: storing its end",
            generation.id,
        )
        if stored:
            cancelled = status is GenerationStatus.CANCELLED
            self._bus.publish(
                Cancelled(generation.id, reason) if cancelled else Failed(generation.id, reason)
            )
        return stored
