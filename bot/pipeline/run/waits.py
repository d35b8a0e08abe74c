"""About when a run waiting in its member's queue (`USER_CONCURRENCY`) starts: from how long
this process's last finished runs took, and how long the member's running ones have run.

Honest only with something measured: no estimate before `MIN_SAMPLES` runs have finished
here (a fresh process, or one that has only failed runs, says nothing), none once the moment
it gave has passed (the reply drops it then), and a member's run going on in another process
(its start unknown here) counts as just started.
"""

from __future__ import annotations

import heapq
import statistics
import time
from collections import deque
from collections.abc import Callable

from bot.pipeline.events import Cancelled, Event, Failed, Finished

SAMPLES = 20  # the last finished runs the typical one is the median of
MIN_SAMPLES = 3


class QueueWaits:
    """The runs this process runs (member, when they left the queue) and how long the last
    ones that finished took. `handle` is a bus subscriber."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._running: dict[int, tuple[int, float]] = {}  # generation → (member, started)
        self._took: deque[float] = deque(maxlen=SAMPLES)

    def started(self, generation_id: int, owner_id: int) -> None:
        """The run left its member's queue and runs here now."""
        self._running[generation_id] = (owner_id, self._clock())

    def left(self, generation_id: int) -> None:
        """The run stopped here (ended, or its task stopped): no longer running."""
        self._running.pop(generation_id, None)

    def handle(self, event: Event) -> None:
        if isinstance(event, Finished):
            run = self._running.pop(event.generation_id, None)
            if run is not None:
                self._took.append(self._clock() - run[1])
        elif isinstance(event, Failed | Cancelled):  # not a run's typical length
            self._running.pop(event.generation_id, None)

    def typical(self) -> float | None:
        """Seconds a run takes here (the median of the last ones), when enough have ended."""
        return statistics.median(self._took) if len(self._took) >= MIN_SAMPLES else None

    def start_at(self, owner_id: int, place: int, slots: int) -> float | None:
        """When (wall clock) the run at `place` in `owner_id`'s queue (1 = next) should start,
        the member having `slots` runs at once; None when nothing measured says."""
        typical = self.typical()
        if typical is None or place < 1 or slots < 1:
            return None
        now = self._clock()
        mine = sorted(started for owner, started in self._running.values() if owner == owner_id)
        # each slot frees when its run should end; one running elsewhere: as if just started
        free = [max(now, started + typical) for started in mine[-slots:]]
        free += [now + typical] * (slots - len(free))
        heapq.heapify(free)
        for _ in range(place - 1):  # the runs queued ahead take a slot each, for a typical run
            heapq.heappush(free, heapq.heappop(free) + typical)
        return free[0]
