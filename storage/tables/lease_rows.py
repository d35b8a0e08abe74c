"""Leases and live processes (`bot.pipeline.run.lease`), and a member's slots across processes.

A lease is a row of `leases` beside its generation (owner, expiry), not columns of
`generations`: the heartbeat rewrites it every few seconds without touching the rows that
replies and /history read, and a claim locks the lease row only (`FOR UPDATE OF l SKIP LOCKED`
on PostgreSQL, where a concurrent claimer skips it; SQLite's BEGIN IMMEDIATE serialises claims).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from storage.backend import Tx
from storage.models import Generation, GenerationStatus
from storage.rows import _FINAL, _NOT_FINAL, Rows, _generation

UNLEASED_GRACE = 2.0  # a generation stored without a lease this long ago lost its process
_STARTED = (
    GenerationStatus.ANALYSING,
    GenerationStatus.RENDERING,
    GenerationStatus.STITCHING,
    GenerationStatus.DELIVERING,
    GenerationStatus.REROLLING,
)


def _name_key(name: str) -> int:
    """A stable 63-bit lock key for a process name (PostgreSQL's advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class LeaseRows(Rows):
    """Which process works on which generation; which processes are alive."""

    async def take_lease(self, generation_id: int, owner: str, expires_at: float) -> int:
        """Hold a generation's lease, whoever held it before; returns its new epoch. The bot
        takes a lease only inside the transaction that admits the run (`create_generation`,
        `reopen`, `begin_reroll` with `lease=`); this is for tests and tools."""
        async with self._transaction() as tx:
            return await self._take_lease(tx, generation_id, owner, expires_at)

    @staticmethod
    async def _take_lease(tx: Tx, generation_id: int, owner: str, expires_at: float) -> int:
        """In `tx`: the lease to `owner`, with a new epoch (a fencing token: it only grows
        while the lease row lives; a fresh row starts from the clock in microseconds, above
        any epoch a row of the same generation had before it ended)."""
        await tx.execute(
            "INSERT INTO leases (generation_id, owner, expires_at, epoch) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (generation_id) DO UPDATE SET owner = excluded.owner,"
            " expires_at = excluded.expires_at, epoch = leases.epoch + 1",
            (generation_id, owner, expires_at, int(time.time() * 1_000_000)),
        )
        row = await tx.one("SELECT epoch FROM leases WHERE generation_id = ?", (generation_id,))
        assert row is not None
        return int(row[0])

    async def lease_of(self, generation_id: int) -> tuple[str | None, int] | None:
        """A generation's lease: its owner and epoch (None: no lease)."""
        row = await self._one(
            "SELECT owner, epoch FROM leases WHERE generation_id = ?", (generation_id,)
        )
        return None if row is None else (row[0], int(row[1]))

    async def renew_leases(
        self, owner: str, generation_ids: Sequence[int], expires_at: float
    ) -> set[int]:
        """Extend the leases `owner` still holds among `generation_ids`; returns those. A
        generation missing from the answer was taken over, or ended elsewhere (a cancel)."""
        if not generation_ids:
            return set()
        marks = _marks(len(generation_ids))
        async with self._transaction() as tx:
            await tx.execute(
                f"UPDATE leases SET expires_at = ? WHERE owner = ? AND generation_id IN ({marks})",
                (expires_at, owner, *generation_ids),
            )
            rows = await tx.all(
                "SELECT l.generation_id FROM leases l JOIN generations g ON g.id = l.generation_id"
                f" WHERE l.owner = ? AND l.generation_id IN ({marks}) AND g.{_NOT_FINAL}",
                (owner, *generation_ids, *_FINAL),
            )
        return {int(row[0]) for row in rows}

    async def claim_leases(
        self,
        owner: str,
        source: str,
        *,
        now: float,
        expires_at: float,
        include_own: bool,
        limit: int,
    ) -> list[Generation]:
        """Take the unfinished generations of `source` whose lease expired (and, with
        `include_own`, those `owner` held before it restarted), at most `limit`; returns them.
        Each is taken by exactly one claimer. A generation stored without a lease (its process
        stopped between the two writes) counts as expired once `UNLEASED_GRACE` has passed."""
        own = "l.owner = ? OR " if include_own else ""
        select = (
            "SELECT l.generation_id FROM leases l JOIN generations g ON g.id = l.generation_id"
            f" WHERE g.source = ? AND g.{_NOT_FINAL} AND ({own}l.expires_at < ?)"
            " ORDER BY l.generation_id LIMIT ?"
        )
        params = (source, *_FINAL, *((owner,) if include_own else ()), now, limit)
        async with self._transaction() as tx:
            await tx.execute(
                "INSERT INTO leases (generation_id, owner, expires_at)"
                " SELECT g.id, NULL, 0 FROM generations g"
                f" WHERE g.source = ? AND g.{_NOT_FINAL} AND g.updated_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.generation_id = g.id)"
                " ON CONFLICT (generation_id) DO NOTHING",
                (source, *_FINAL, now - UNLEASED_GRACE),
            )
            if tx.dialect == "postgres":
                # a row another claimer holds is skipped, and one it took meanwhile is
                # re-checked against the WHERE (no longer expired) before it is returned
                select += " FOR UPDATE OF l SKIP LOCKED"
            ids = [int(row[0]) for row in await tx.all(select, params)]
            if not ids:
                return []
            marks = _marks(len(ids))
            await tx.execute(
                f"UPDATE leases SET owner = ?, expires_at = ?, epoch = epoch + 1"
                f" WHERE generation_id IN ({marks})",
                (owner, expires_at, *ids),
            )
            rows = await tx.all(f"SELECT * FROM generations WHERE id IN ({marks}) ORDER BY id", ids)
        return [_generation(row) for row in rows]

    async def lease_owner(self, generation_id: int) -> str | None:
        """Who holds a generation's lease (None: nobody, or no lease)."""
        row = await self._one("SELECT owner FROM leases WHERE generation_id = ?", (generation_id,))
        return None if row is None else row[0]

    async def release_leases(self, owner: str) -> None:
        """Let every lease of `owner` expire now (it stops): others may take them at once."""
        await self._update("UPDATE leases SET expires_at = 0 WHERE owner = ?", (owner,))

    # processes -------------------------------------------------------------------------

    async def beat(
        self, name: str, *, now: float, live_after: float, instance: str | None = None
    ) -> int:
        """Record that process `name` (its `instance`) is alive; returns how many beat since
        `live_after`."""
        async with self._transaction() as tx:
            await tx.execute(
                "INSERT INTO processes (name, beat_at, instance) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET beat_at = excluded.beat_at,"
                " instance = COALESCE(excluded.instance, processes.instance)",
                (name, now, instance),
            )
            # a process gone for a day (renamed, removed) leaves the table
            await tx.execute("DELETE FROM processes WHERE beat_at < ?", (now - 86400.0,))
            row = await tx.one("SELECT COUNT(*) FROM processes WHERE beat_at >= ?", (live_after,))
        return int(row[0]) if row else 1

    async def register_process(
        self, name: str, instance: str, *, now: float, live_after: float, force: bool = False
    ) -> float | None:
        """Record process `name` as this `instance`, unless another instance of that name beat
        since `live_after` (and not `force`): then returns that instance's last beat, and
        records nothing. Under a lock on the name, so two starting at once cannot both pass."""
        async with self._transaction() as tx:
            await tx.lock(_name_key(name))
            row = await tx.one("SELECT beat_at, instance FROM processes WHERE name = ?", (name,))
            if (
                not force
                and row is not None
                and row[1] is not None
                and row[1] != instance
                and float(row[0]) >= live_after
            ):
                return float(row[0])
            await tx.execute(
                "INSERT INTO processes (name, beat_at, instance) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET beat_at = excluded.beat_at,"
                " instance = excluded.instance",
                (name, now, instance),
            )
            return None

    async def last_beat(self, name: str) -> tuple[float, str | None] | None:
        """Process `name`'s last beat and the instance that made it."""
        row = await self._one("SELECT beat_at, instance FROM processes WHERE name = ?", (name,))
        return None if row is None else (float(row[0]), row[1])

    async def leave(self, name: str) -> None:
        """Process `name` stopped."""
        await self._update("DELETE FROM processes WHERE name = ?", (name,))

    # a member's generations across processes ----------------------------------------------

    async def take_member_slot(self, generation_id: int, owner_id: int, limit: int) -> int:
        """Start a queued generation (status analysing) when its member has fewer than
        `limit` generations started, counted in the database under the member's lock (so
        the limit holds across processes); returns 0 then. Otherwise its place among the
        member's queued generations (1 = next). 0 too when it was started already; -1 when
        the guarded move queued -> analysing was refused (it moved meanwhile). Only
        `bot.pipeline.run.transitions` calls this in the bot."""
        async with self._transaction() as tx:
            await tx.lock(owner_id)
            row = await tx.one("SELECT status FROM generations WHERE id = ?", (generation_id,))
            if row is None or row[0] != GenerationStatus.QUEUED:
                return 0
            busy = await tx.one(
                "SELECT COUNT(*) FROM generations WHERE owner_id = ?"
                f" AND status IN ({_marks(len(_STARTED))})",
                (owner_id, *_STARTED),
            )
            if busy is not None and int(busy[0]) >= limit:
                ahead = await tx.one(
                    "SELECT COUNT(*) FROM generations WHERE owner_id = ? AND status = ? AND id < ?",
                    (owner_id, GenerationStatus.QUEUED, generation_id),
                )
                return (int(ahead[0]) if ahead else 0) + 1
            moved = await tx.execute(
                "UPDATE generations SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
                (GenerationStatus.ANALYSING, time.time(), generation_id, GenerationStatus.QUEUED),
            )
            return 0 if moved else -1
