"""Every move of the transitions unit (bot/pipeline/run/transitions.py), allowed and forbidden, on
both engines (the storage fixture: SQLite and a real PostgreSQL): an allowed move is made by one
guarded UPDATE; a forbidden one is refused and changes nothing."""

from __future__ import annotations

import pytest

from bot.pipeline.run.transitions import GENERATION_MOVES, VERSION_MOVES, Transitions, Who
from storage.models import ClipStatus, GenerationStatus, NewGeneration, Usage, VersionStatus
from storage.repository import Repository
from storage.tables.version_rows import RerollRefused
from tests.storage.conftest import database, repo

__all__ = ["database", "repo"]

G = GenerationStatus
V = VersionStatus
STEPS = [G.QUEUED, G.ANALYSING, G.RENDERING, G.STITCHING, G.DELIVERING]


def _admit(usage: Usage) -> None:
    return None


def _ok(frm: str, to: str, who: Who, moves: tuple = GENERATION_MOVES) -> bool:  # type: ignore[type-arg]
    return any(m.frm == frm and m.to == to and who in m.who for m in moves)


async def _generation_in(repo: Repository, status: GenerationStatus) -> int:
    """A generation with a shot list and one finished clip, forced into `status`."""
    gid = (await repo.create_generation(NewGeneration(owner_id=5, prompt="a seal"))).id
    await repo.set_shot_list(gid, title="Seal", shot_list="{}", scenes=[("Scene 1", 5)])
    (clip,) = await repo.clips(gid)
    await repo.clip_creating(clip.id)
    await repo.clip_started(clip.id, f"p{gid}")
    await repo.clip_succeeded(
        clip.id, output_path="/m/c.mp4", thumbnail_path=None, predict_seconds=1
    )
    await repo._update("UPDATE generations SET status = ? WHERE id = ?", (status, gid))
    return gid


async def _status(repo: Repository, gid: int) -> GenerationStatus:
    generation = await repo.generation(gid)
    assert generation is not None
    return generation.status


@pytest.mark.parametrize("frm", list(G))
async def test_every_generation_move_from(repo: Repository, frm: GenerationStatus) -> None:
    moves = Transitions(repo)
    checked = 0
    # the run's steps (and done, from analysing or delivering)
    for to in [*STEPS[1:], G.DONE]:
        gid = await _generation_in(repo, frm)
        made = await moves.advance(gid, to)
        allowed = _ok(frm, to, Who.RUN) and frm is not G.REROLLING
        past = frm in STEPS and to in STEPS and STEPS.index(frm) > STEPS.index(to)
        assert made is (allowed or past), (frm, to)
        assert await _status(repo, gid) == (to if allowed else frm), (frm, to)
        checked += 1
    # the ends, by each who
    for to in (G.FAILED, G.CANCELLED):
        for who in Who:
            gid = await _generation_in(repo, frm)
            allowed = _ok(frm, to, who)
            if not any(m.to == to and who in m.who for m in GENERATION_MOVES):
                with pytest.raises(PermissionError):
                    await moves.end(gid, to, "why", who=who)
            else:
                assert await moves.end(gid, to, "why", who=who) is allowed, (frm, to, who)
            assert await _status(repo, gid) == (to if allowed else frm), (frm, to, who)
            checked += 1
    # a Retry: failed | cancelled -> queued
    gid = await _generation_in(repo, frm)
    allowed = _ok(frm, G.QUEUED, Who.MEMBER)
    made = await moves.admit_retry(gid, admit=_admit, since=0, reserve=5, started_by=5, lease=None)
    assert made is allowed and await _status(repo, gid) == (G.QUEUED if allowed else frm)
    # a Reroll: done -> rerolling
    gid = await _generation_in(repo, frm)
    allowed = _ok(frm, G.REROLLING, Who.MEMBER)
    try:
        await moves.admit_reroll(
            gid, 0, note=None, seed=1, admit=_admit, since=0, reserve=5, started_by=5, lease=None
        )
        made = True
    except RerollRefused:
        made = False
    assert made is allowed and await _status(repo, gid) == (G.REROLLING if allowed else frm)
    # a member's slot: queued -> analysing
    gid = await _generation_in(repo, frm)
    allowed = _ok(frm, G.ANALYSING, Who.RUN) and frm is G.QUEUED
    place = await moves.start(gid, 5, limit=10)
    assert place == 0
    assert await _status(repo, gid) == (G.ANALYSING if allowed else frm)
    assert checked == 11


async def _version_in(repo: Repository, moves: Transitions, status: VersionStatus) -> int:
    gid = await _generation_in(repo, G.DONE)
    version = await moves.admit_reroll(
        gid, 0, note="x", seed=1, admit=_admit, since=0, reserve=5, started_by=5, lease=None
    )
    await repo._update("UPDATE versions SET status = ? WHERE id = ?", (status, version.id))
    return version.id


@pytest.mark.parametrize("frm", list(V))
async def test_every_version_move_from(repo: Repository, frm: VersionStatus) -> None:
    moves = Transitions(repo)
    for to in V:
        if to in (V.DONE, V.FAILED, V.CANCELLED):
            continue  # the ends: below
        vid = await _version_in(repo, moves, frm)
        allowed = _ok(frm, to, Who.RUN, VERSION_MOVES)
        assert await moves.advance_version(vid, to) is allowed, (frm, to)
        version = await repo.version(vid)
        assert version is not None and version.status == (to if allowed else frm)
    for end in (V.FAILED, V.CANCELLED):
        vid = await _version_in(repo, moves, frm)
        version = await repo.version(vid)
        assert version is not None
        allowed = frm not in (V.DONE, V.FAILED, V.CANCELLED)
        assert await moves.reroll_ended(version, end, "why") is allowed
        generation = await repo.generation(version.generation_id)
        assert generation is not None
        assert generation.status is (G.DONE if allowed else G.REROLLING)
        if allowed:  # the earlier take is back
            (clip,) = await repo.clips(version.generation_id)
            assert clip.status is ClipStatus.SUCCEEDED and clip.output_path == "/m/c.mp4"
    vid = await _version_in(repo, moves, frm)
    version = await repo.version(vid)
    assert version is not None
    allowed = frm not in (V.DONE, V.FAILED, V.CANCELLED)
    assert await moves.reroll_delivered(version) is allowed


@pytest.mark.parametrize(
    ("frm", "to", "who"),
    [
        (G.DONE, G.ANALYSING, Who.RUN),  # a done film never runs again but by a new run
        (G.CANCELLED, G.RENDERING, Who.RUN),  # a cancelled one is never picked up by its run
        (G.FAILED, G.DONE, Who.RUN),
        (G.REROLLING, G.DONE, Who.RUN),  # only through its version's end
        (G.QUEUED, G.DONE, Who.RUN),
        (G.DONE, G.QUEUED, Who.RUN),
    ],
)
async def test_known_forbidden_moves_are_refused(
    repo: Repository, frm: GenerationStatus, to: GenerationStatus, who: Who
) -> None:
    gid = await _generation_in(repo, frm)
    assert not await Transitions(repo).advance(gid, to)
    assert await _status(repo, gid) is frm


async def test_a_member_cannot_fail_a_generation_and_a_run_cannot_cancel_one(
    repo: Repository,
) -> None:
    moves = Transitions(repo)
    gid = await _generation_in(repo, G.RENDERING)
    with pytest.raises(PermissionError):
        await moves.end(gid, G.FAILED, "no", who=Who.MEMBER)
    with pytest.raises(PermissionError):
        await moves.end(gid, G.CANCELLED, "no", who=Who.RUN)
    assert await moves.end(gid, G.CANCELLED, "yes", who=Who.MEMBER)
    assert not await moves.end(gid, G.CANCELLED, "again", who=Who.MEMBER)  # a lost race
