"""ReplyState: what the reply shows, driven by the pipeline's events (pure)."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.events import (
    AnalysisDone,
    Cancelled,
    ClipCompleted,
    ClipFailed,
    ClipStarted,
    Delivered,
    Failed,
    Finished,
    Queued,
    Started,
    Stitched,
)
from cogs.generate.state import ReplyState
from storage.models import ClipStatus, GenerationStatus
from tests.cogs.rows import clip, generation, shot_list

FILM = Path("film.mp4")


def started(clips: int = 3) -> ReplyState:
    state = ReplyState(7, 100, "a seal")
    state.apply(Started(7))
    state.apply(AnalysisDone(7, shot_list(clips)))
    return state


def test_a_generation_goes_through_every_stage() -> None:
    state = ReplyState(7, 100, "a seal")
    assert state.status is GenerationStatus.QUEUED and state.clips == []
    assert state.apply(Queued(7, 2)) and state.position == 2
    state.apply(Queued(7, 1))
    assert state.position == 1

    state.apply(Started(7))
    assert (state.status, state.position) == (GenerationStatus.ANALYSING, None)
    state.apply(AnalysisDone(7, shot_list(3, title="The Keeper")))
    assert state.status is GenerationStatus.RENDERING
    assert (state.title, state.clips) == ("The Keeper", ["waiting"] * 3)

    state.apply(ClipStarted(7, 0, "p1"))
    state.apply(ClipStarted(7, 1, "p2"))
    state.apply(ClipCompleted(7, 1, Path("c2.mp4")))
    state.apply(ClipFailed(7, 0, "busy", will_retry=True))
    assert state.clips == ["retrying", "done", "waiting"]
    assert state.done_count == 1

    state.apply(Stitched(7, FILM, False, 6.0))
    assert state.status is GenerationStatus.DELIVERING
    state.apply(Delivered(7, "dm:1/2"))
    assert state.delivered == "dm:1/2" and not state.final
    state.apply(Finished(7, FILM))
    assert state.status is GenerationStatus.DONE and state.final
    assert state.ended_at is not None


def test_a_clip_once_done_stays_done_and_unknown_indexes_are_ignored() -> None:
    state = started(2)
    state.apply(ClipCompleted(7, 0, Path("c1.mp4")))
    state.apply(ClipFailed(7, 0, "late echo", will_retry=False))
    state.apply(ClipStarted(7, 0, "p9"))
    state.apply(ClipCompleted(7, 5, Path("c6.mp4")))
    state.apply(ClipFailed(7, -1, "nonsense", will_retry=False))
    assert state.clips == ["done", "waiting"]


def test_a_final_state_is_never_overwritten_by_a_later_event() -> None:
    state = started()
    state.apply(Cancelled(7))
    assert state.status is GenerationStatus.CANCELLED
    for late in (
        ClipCompleted(7, 0, Path("c1.mp4")),
        ClipFailed(7, 1, "boom", will_retry=False),
        Stitched(7, FILM, False, 1.0),
        Delivered(7, "dm:1/2"),
        Finished(7, FILM),
        Failed(7, "too late"),
    ):
        assert state.apply(late) is False
    assert state.status is GenerationStatus.CANCELLED
    assert state.clips == ["waiting"] * 3 and state.error is None and state.delivered is None


def test_a_failure_keeps_its_reason_and_a_retry_starts_afresh() -> None:
    state = started()
    state.apply(ClipFailed(7, 1, "boom", will_retry=False))
    state.apply(Failed(7, "clip 2: boom"))
    assert (state.status, state.error, state.clips[1]) == (
        GenerationStatus.FAILED,
        "clip 2: boom",
        "failed",
    )
    assert state.apply(Queued(7, 1))  # Retry: the generation is queued again
    assert (state.status, state.error, state.ended_at) == (GenerationStatus.QUEUED, None, None)
    assert state.apply(Started(7))
    assert state.status is GenerationStatus.ANALYSING and not state.final


def test_a_state_loaded_from_the_database_after_a_restart() -> None:
    row = generation(
        status=GenerationStatus.RENDERING, delivery_ref=None, thread_id=0, message_id=33
    )
    clips = [
        clip(0, ClipStatus.SUCCEEDED),
        clip(1, ClipStatus.RUNNING),
        clip(2, ClipStatus.CREATING),
        clip(3, ClipStatus.PENDING),
        clip(4, ClipStatus.FAILED),
        clip(5, ClipStatus.CANCELLED),
    ]
    state = ReplyState.from_rows(row, clips)
    assert state.clips == ["done", "rendering", "rendering", "waiting", "failed", "waiting"]
    assert (state.generation_id, state.owner_id, state.title) == (7, 100, "The Keeper")
    assert (state.channel_id, state.message_id, state.thread_id) == (2, 33, 0)
    assert state.started_at == row.created_at and not state.final
