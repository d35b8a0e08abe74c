"""Leases: which process works on which generation, when several share one database.

A generation belongs to the process that accepted it: its lease (owner, expiry) is stored with
the generation and renewed by this process's heartbeat every third of `LEASE_SECONDS`. A process
that dies stops renewing; once its leases have expired, another process claims them (row locks
make exactly one take each) and resumes the generations where they stopped: the runner's resume
path re-attaches the stored prediction ids, so no scene gets a second prediction. A process that
finds a lease taken from it (it stalled past the expiry and another process claimed it) stops
working on that generation at once, without cancelling its predictions.

The heartbeat also keeps this process's row in `processes`: the number of live processes
divides Replicate's account-wide request budgets between them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

from bot.pipeline.checks.preflight import Problem
from bot.tasks import spawn
from storage.models import Generation

log = logging.getLogger(__name__)

CLAIM_LIMIT = 100  # generations one claim takes at most (the rest go to the next beat, or others)


class LeaseStore(Protocol):
    """The lease rows (`storage/tables/lease_rows.py`)."""

    async def lease_of(self, generation_id: int) -> tuple[str | None, int] | None: ...

    async def renew_leases(
        self, owner: str, generation_ids: Sequence[int], expires_at: float
    ) -> set[int]: ...

    async def claim_leases(
        self,
        owner: str,
        source: str,
        *,
        now: float,
        expires_at: float,
        include_own: bool,
        limit: int,
    ) -> list[Generation]: ...

    async def release_leases(self, owner: str) -> None: ...

    async def beat(
        self, name: str, *, now: float, live_after: float, instance: str | None = None
    ) -> int: ...

    async def register_process(
        self, name: str, instance: str, *, now: float, live_after: float, force: bool = False
    ) -> float | None: ...

    async def last_beat(self, name: str) -> tuple[float, str | None] | None: ...

    async def leave(self, name: str) -> None: ...


class ProcessNameClash(Exception):
    """Another live process has this process's name (`PROCESS_NAME`, or the host and shards):
    each would take the other's leases for its own, so this one does not start."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"another live process is named {name!r} (PROCESS_NAME): give each process its "
            "own name, or stop the other one first"
        )
        self.name = name


class Resumer(Protocol):
    """What the keeper needs of the runner (`bot.pipeline.run.runner.Runner`)."""

    def held(self) -> set[int]: ...

    def drop(self, generation_id: int) -> None: ...

    def share_provider_budget(self, parts: int) -> None: ...

    async def resume(
        self,
        source: str,
        *,
        unusable: Sequence[Problem] = (),
        pending: Sequence[Generation] | None = None,
    ) -> list[Generation]: ...


class Leases:
    """This process's leases as the runner uses them (built before the runner and given to
    it): the terms a run admitted now takes inside its admitting transaction, the epoch each
    was taken at (its fencing token), and whether one is still held. The heartbeat that
    renews, claims and drops them is `LeaseKeeper`, built after the runner over these."""

    def __init__(self, *, store: LeaseStore, name: str, seconds: float) -> None:
        self._store = store
        self.name = name
        self.seconds = seconds
        self._epochs: dict[int, int] = {}  # the epoch of each lease this process took

    def expiry(self) -> float:
        """When a lease taken or renewed now expires."""
        return time.time() + self.seconds

    def terms(self) -> tuple[str, float]:
        """The lease a run admitted now takes, inside its admitting transaction (so a
        refused run takes none): this process's name and the expiry."""
        return self.name, self.expiry()

    async def took(self, generation_id: int) -> None:
        """Note the epoch of the lease just taken for `generation_id` (its fencing token)."""
        lease = await self._store.lease_of(generation_id)
        if lease is not None and lease[0] == self.name:
            self._epochs[generation_id] = lease[1]

    async def fencing(self, generation_id: int) -> tuple[str, int] | None:
        """The lease (this process's name, its epoch) while this process still holds the
        generation's lease at the epoch it took it (checked before spending; the database
        checks it again in the create's own write); None when not held. No lease is not held:
        the generation ended, or was never this process's."""
        lease = await self._store.lease_of(generation_id)
        if lease is None or lease[0] != self.name:
            return None
        known = self._epochs.setdefault(generation_id, lease[1])
        return (self.name, known) if known == lease[1] else None

    async def holds(self, generation_id: int) -> bool:
        """Whether this process holds the generation's lease (`fencing`)."""
        return await self.fencing(generation_id) is not None

    def forget(self, keep: set[int]) -> None:
        """Forget the epochs of every generation but `keep` (those this process runs)."""
        for generation_id in set(self._epochs) - keep:
            del self._epochs[generation_id]


class LeaseKeeper:
    """This process's leases and heartbeat. `start()` claims this process's own unfinished
    generations and every expired one and resumes them, then beats every `seconds / 3`:
    renewing what it runs, dropping what it lost, claiming what expired, and counting the live
    processes. `close()` stops the beat and lets its leases go (expired at once), so another
    process, or this one started again, takes them over without waiting."""

    def __init__(
        self,
        *,
        store: LeaseStore,
        runner: Resumer,
        name: str,
        source: str,
        seconds: float,
        on_takeover: Callable[[int], None] | None = None,
        leases: Leases | None = None,
    ) -> None:
        self._store = store
        self._on_takeover = on_takeover  # told how many generations were taken over (metrics)
        self._leases = leases or Leases(store=store, name=name, seconds=seconds)
        self._runner = runner
        self.name = name
        self._source = source
        self._seconds = seconds
        self._unusable: Sequence[Problem] = ()
        self._live = 1
        self._beating: asyncio.Task[None] | None = None
        self.instance = f"{os.getpid()}-{uuid.uuid4().hex}"  # this run of the process

    @property
    def seconds(self) -> float:
        return self._seconds

    def expiry(self) -> float:
        return self._leases.expiry()

    def terms(self) -> tuple[str, float]:
        return self._leases.terms()

    async def took(self, generation_id: int) -> None:
        await self._leases.took(generation_id)

    async def fencing(self, generation_id: int) -> tuple[str, int] | None:
        return await self._leases.fencing(generation_id)

    async def holds(self, generation_id: int) -> bool:
        return await self._leases.holds(generation_id)

    async def start(self, unusable: Sequence[Problem] = ()) -> list[Generation]:
        """Claim and resume this process's unfinished generations and every expired one (at
        start-up, before commands arrive); then beat in the background. Returns them."""
        self._unusable = unusable
        await self._register()
        await self._count_live()
        resumed = await self._claim(include_own=True)
        self._beating = spawn(self._beat_forever(), name="lease-heartbeat")
        return resumed

    async def _register(self) -> None:
        """Refuse to start (`ProcessNameClash`) while another live process has this name. A
        recent beat may be that of this process's own earlier run, killed a moment ago: it
        is live only if it beats again within one beat interval (and a little more)."""
        now = time.time()
        seen = await self._store.register_process(
            self.name, self.instance, now=now, live_after=now - self._seconds
        )
        if seen is None:
            return
        log.info(
            "process name %s beat %.1f s ago: waiting one beat to see whether it is alive",
            self.name,
            now - seen,
        )
        await asyncio.sleep(self._seconds / 3 + 0.5)
        last = await self._store.last_beat(self.name)
        if last is not None and last[0] > seen and last[1] != self.instance:
            raise ProcessNameClash(self.name)
        now = time.time()
        await self._store.register_process(
            self.name, self.instance, now=now, live_after=now, force=True
        )

    async def close(self) -> None:
        """Stop beating; the leases this process held expire at once, its row goes."""
        if self._beating is not None:
            self._beating.cancel()
            await asyncio.wait([self._beating])
            self._beating = None
        await self._store.release_leases(self.name)
        await self._store.leave(self.name)

    async def beat(self) -> None:
        """One heartbeat: count the live processes, renew (dropping what was lost), claim."""
        await self._count_live()
        await self._renew()
        await self._claim(include_own=False)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._seconds / 3)
            try:
                await self.beat()
            except Exception:  # the database away for a moment: the next beat tries again
                log.exception("lease heartbeat failed; trying again in %g s", self._seconds / 3)

    async def _count_live(self) -> None:
        now = time.time()
        live = await self._store.beat(
            self.name, now=now, live_after=now - self._seconds, instance=self.instance
        )
        live = max(1, live)
        if live != self._live:
            log.info("%d live process(es) share Replicate's request budgets", live)
        self._live = live
        self._runner.share_provider_budget(live)

    async def _renew(self) -> None:
        running = self._runner.held()
        self._leases.forget(running)  # ended or dropped: their epochs forgotten
        if not running:
            return
        held = await self._store.renew_leases(self.name, sorted(running), self.expiry())
        for generation_id in sorted(running - held):
            if generation_id not in self._runner.held():
                continue  # it ended meanwhile
            log.warning(
                "generation %s: its lease was taken over by another process; stopping here",
                generation_id,
            )
            self._runner.drop(generation_id)

    async def _claim(self, *, include_own: bool) -> list[Generation]:
        claimed = await self._store.claim_leases(
            self.name,
            self._source,
            now=time.time(),
            expires_at=self.expiry(),
            include_own=include_own,
            limit=CLAIM_LIMIT,
        )
        for generation in claimed:
            await self.took(generation.id)
        running = self._runner.held()
        pending = [g for g in claimed if g.id not in running]
        if pending and not include_own:
            log.info(
                "taking over %d generation(s) whose process stopped: %s",
                len(pending),
                ", ".join(str(g.id) for g in pending),
            )
            if self._on_takeover is not None:
                self._on_takeover(len(pending))
        if not pending and not include_own:
            return []
        # at start-up even with nothing to resume: the runner's resume also retries the
        # cancels of predictions a past process could not stop
        return await self._runner.resume(self._source, unusable=self._unusable, pending=pending)
