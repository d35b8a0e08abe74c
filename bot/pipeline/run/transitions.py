"""The one owner of a generation's and a film version's status: a table of allowed moves
(from, to, who may), each move one guarded UPDATE in storage (`… WHERE id = ? AND status IN
(the allowed froms)`) whose row count is checked. A lost race is a refused move (False), never
a second spend. Nothing else in the bot calls the storage methods that change a status
(tests/test_architecture.py holds that); every move, allowed and forbidden, is driven on both
engines by tests/pipeline/run/test_transitions.py.

A generation:   queued → analysing → rendering → stitching → delivering → done
                (analysing → done when video is off)
                any unfinished step (not rerolling) → failed | cancelled
                failed | cancelled → queued (a Retry: a new run, admitted)
                done → rerolling (a Reroll: a new run, admitted) → done (its version ended)
A version:      queued → rewriting → rendering → stitching → delivering → done
                any unended step → failed | cancelled

A resumed run walks its steps again: a step re-entered (rendering → rendering) is allowed, and
a step the generation is already past is a no-op, not a move (a restart resumes from where the
rows say it is).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from storage.models import (
    Generation,
    GenerationStatus,
    NewGeneration,
    Usage,
    Version,
    VersionStatus,
)
from storage.repository import Repository

G = GenerationStatus
V = VersionStatus


class Who(StrEnum):
    """Who makes a move."""

    RUN = "run"  # the process running the work (its story, its queue)
    MEMBER = "member"  # the owner or a moderator: a command or a button (cancel, Retry, Reroll)
    BOT = "bot"  # the bot itself ending work nobody may run (never shown, guild removed, held)


@dataclass(frozen=True)
class Move:
    frm: str
    to: str
    who: frozenset[Who]


def _m(frm: str, to: str, *who: Who) -> Move:
    return Move(frm, to, frozenset(who))


_STEPS = (G.QUEUED, G.ANALYSING, G.RENDERING, G.STITCHING, G.DELIVERING)
_UNFINISHED = (*_STEPS,)  # rerolling ends through the version's moves only
_ENDS = (G.FAILED, G.CANCELLED)

GENERATION_MOVES: tuple[Move, ...] = (
    # the run's steps (a re-entered step: a resumed run)
    _m(G.QUEUED, G.ANALYSING, Who.RUN),
    _m(G.ANALYSING, G.ANALYSING, Who.RUN),
    _m(G.ANALYSING, G.RENDERING, Who.RUN),
    _m(G.RENDERING, G.RENDERING, Who.RUN),
    _m(G.RENDERING, G.STITCHING, Who.RUN),
    _m(G.STITCHING, G.STITCHING, Who.RUN),
    _m(G.STITCHING, G.DELIVERING, Who.RUN),
    _m(G.DELIVERING, G.DELIVERING, Who.RUN),
    _m(G.DELIVERING, G.DONE, Who.RUN),
    _m(G.ANALYSING, G.DONE, Who.RUN),  # video off: the shot list is the result
    # failed by its run; cancelled by a member; either ended by the bot
    *(_m(s, G.FAILED, Who.RUN, Who.BOT) for s in _UNFINISHED),
    *(_m(s, G.CANCELLED, Who.MEMBER, Who.BOT) for s in _UNFINISHED),
    # new runs, admitted
    _m(G.FAILED, G.QUEUED, Who.MEMBER),
    _m(G.CANCELLED, G.QUEUED, Who.MEMBER),
    _m(G.DONE, G.REROLLING, Who.MEMBER),
    _m(G.REROLLING, G.DONE, Who.RUN, Who.MEMBER),  # the reroll's version ended (any way)
)

_V_STEPS = (V.QUEUED, V.REWRITING, V.RENDERING, V.STITCHING, V.DELIVERING)
VERSION_MOVES: tuple[Move, ...] = (
    _m(V.QUEUED, V.REWRITING, Who.RUN),
    _m(V.REWRITING, V.REWRITING, Who.RUN),
    *(_m(s, V.RENDERING, Who.RUN) for s in (V.QUEUED, V.REWRITING, V.RENDERING)),
    _m(V.RENDERING, V.STITCHING, Who.RUN),
    _m(V.STITCHING, V.STITCHING, Who.RUN),
    _m(V.STITCHING, V.DELIVERING, Who.RUN),
    _m(V.DELIVERING, V.DELIVERING, Who.RUN),
    _m(V.DELIVERING, V.DONE, Who.RUN),
    *(_m(s, V.FAILED, Who.RUN, Who.BOT) for s in _V_STEPS),
    *(_m(s, V.CANCELLED, Who.MEMBER, Who.BOT) for s in _V_STEPS),
)


def allowed(moves: Sequence[Move], to: str, who: Who) -> tuple[str, ...]:
    """The statuses `who` may move to `to` from."""
    return tuple(m.frm for m in moves if m.to == to and who in m.who)


class Transitions:
    """Every status change of generations and versions, each one guarded move."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo

    # generations -------------------------------------------------------------------------

    async def admit(
        self,
        new: NewGeneration,
        *,
        admit: Callable[[Usage], None],
        since: float,
        reserve: float,
        lease: tuple[str, float] | None,
    ) -> Generation:
        """A new generation, queued (its first run admitted, its spend reserved and its lease
        taken in one transaction)."""
        return await self._repo.create_generation(
            new, admit=admit, since=since, reserve=reserve, lease=lease
        )

    async def start(self, generation_id: int, owner_id: int, limit: int) -> int:
        """queued → analysing when the member has a free slot (`take_member_slot`): 0 when
        started (or past its queue), its place in the member's queue otherwise, -1 when the
        move was refused (it ended meanwhile)."""
        return await self._repo.take_member_slot(generation_id, owner_id, limit)

    async def advance(self, generation_id: int, to: GenerationStatus) -> bool:
        """The run's next step; False when refused (the generation ended elsewhere). A step the
        generation is already past (a resumed run walking its steps again) is no move: True."""
        # rerolling -> done is the version's move (`reroll_delivered`, `reroll_ended`)
        froms = [G(s) for s in allowed(GENERATION_MOVES, to, Who.RUN) if s in _STEPS]
        if froms and await self._repo.set_status(generation_id, to, from_=froms):
            return True
        current = await self._repo.generation(generation_id)
        if current is None or current.status.final or current.status not in _STEPS:
            return False
        return to in _STEPS and _STEPS.index(current.status) > _STEPS.index(to)

    async def end(
        self,
        generation_id: int,
        to: GenerationStatus,
        reason: str | None,
        *,
        who: Who,
        refund: bool = False,
    ) -> bool:
        """failed | cancelled from any unfinished step (not a reroll's: `end_reroll`); the
        run's reservation settled. False when refused (it had ended, or is rerolling)."""
        assert to in _ENDS
        froms = [G(s) for s in allowed(GENERATION_MOVES, to, who)]
        if not froms:
            raise PermissionError(f"{who} may not move a generation to {to}")
        return await self._repo.set_status(generation_id, to, reason, from_=froms, refund=refund)

    async def admit_retry(
        self,
        generation_id: int,
        *,
        admit: Callable[[Usage], None],
        since: float,
        reserve: float,
        started_by: int,
        lease: tuple[str, float] | None,
    ) -> bool:
        """failed | cancelled → queued: a Retry, admitted as a new run charged to
        `started_by`; False when refused (not failed or cancelled: a lost race)."""
        return await self._repo.reopen(
            generation_id,
            admit=admit,
            since=since,
            reserve=reserve,
            started_by=started_by,
            lease=lease,
        )

    # versions ----------------------------------------------------------------------------

    async def admit_reroll(
        self,
        generation_id: int,
        scene: int,
        *,
        note: str | None,
        seed: int,
        admit: Callable[[Usage], None],
        since: float,
        reserve: float,
        started_by: int,
        lease: tuple[str, float] | None,
    ) -> Version:
        """done → rerolling and a new version queued (`RerollRefused` when refused)."""
        return await self._repo.begin_reroll(
            generation_id,
            scene,
            note=note,
            seed=seed,
            admit=admit,
            since=since,
            reserve=reserve,
            started_by=started_by,
            lease=lease,
        )

    async def admit_extend(
        self,
        generation_id: int,
        added: int,
        *,
        note: str | None,
        admit: Callable[[Usage], None],
        since: float,
        reserve: float,
        started_by: int,
        lease: tuple[str, float] | None,
    ) -> Version:
        """done → rerolling and a new version queued that adds `added` scenes (issue 24's
        Extend; `RerollRefused` when refused). Its steps are a reroll's (`advance_version`)."""
        return await self._repo.begin_extend(
            generation_id,
            added,
            note=note,
            admit=admit,
            since=since,
            reserve=reserve,
            started_by=started_by,
            lease=lease,
        )

    async def admit_recast(
        self,
        generation_id: int,
        member: int,
        scenes: Sequence[int],
        *,
        note: str | None,
        seeds: Sequence[int],
        admit: Callable[[Usage], None],
        since: float,
        reserve: float,
        started_by: int,
        lease: tuple[str, float] | None,
    ) -> Version:
        """done → rerolling and a new version queued that makes cast member `member`'s portrait
        again and renders `scenes` again (issue 24's Recast; `RerollRefused` when refused)."""
        return await self._repo.begin_recast(
            generation_id,
            member,
            scenes,
            note=note,
            seeds=seeds,
            admit=admit,
            since=since,
            reserve=reserve,
            started_by=started_by,
            lease=lease,
        )

    async def recast_ended(self, version: Version, to: VersionStatus, reason: str | None) -> bool:
        """The Recast's version failed | cancelled, portrait and takes put back, → done."""
        return await self._repo.end_recast(version, to, reason)

    async def extend_ended(self, version: Version, to: VersionStatus, reason: str | None) -> bool:
        """The Extend's version failed | cancelled, its new scenes removed, rerolling → done."""
        return await self._repo.end_extend(version, to, reason)

    async def advance_version(self, version_id: int, to: VersionStatus) -> bool:
        """The reroll's next step; False when refused (it ended elsewhere)."""
        froms = allowed(VERSION_MOVES, to, Who.RUN)
        if not froms:
            return False
        return await self._repo.set_version_status(version_id, to, from_=[V(s) for s in froms])

    async def reroll_delivered(self, version: Version) -> bool:
        """delivering → done for the version, rerolling → done for the generation."""
        return await self._repo.finish_reroll(version)

    async def reroll_ended(self, version: Version, to: VersionStatus, reason: str | None) -> bool:
        """The version failed | cancelled, the earlier take put back, rerolling → done."""
        return await self._repo.end_reroll(version, to, reason)
