"""Progress: the one progress model, reduced from the pipeline's events (pure)."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.events import (
    AnalysisDone,
    Cancelled,
    ClipCompleted,
    ClipFailed,
    ClipHeld,
    ClipStarted,
    Delivered,
    Failed,
    Finished,
    Narrated,
    Queued,
    Started,
    Stitched,
)
from bot.pipeline.progress import ClipShows, Progress, about
from storage.models import ClipStatus, GenerationStatus
from tests.cogs.rows import clip, generation, shot_list

FILM = Path("film.mp4")


def started(clips: int = 3) -> Progress:
    state = Progress(7, "a seal")
    state.apply(Started(7))
    state.apply(AnalysisDone(7, shot_list(clips)))
    return state


def test_a_generation_goes_through_every_stage() -> None:
    state = Progress(7, "a seal")
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


def test_a_progress_loaded_from_the_database_after_a_restart() -> None:
    row = generation(status=GenerationStatus.RENDERING, delivery_ref="dm:1/2")
    clips = [
        clip(0, ClipStatus.SUCCEEDED),
        clip(1, ClipStatus.RUNNING),
        clip(2, ClipStatus.CREATING),
        clip(3, ClipStatus.PENDING),
        clip(4, ClipStatus.FAILED),
        clip(5, ClipStatus.CANCELLED),
    ]
    progress = Progress.from_rows(row, clips)
    assert progress.clips == ["done", "rendering", "rendering", "waiting", "failed", "waiting"]
    assert all(isinstance(c, ClipShows) for c in progress.clips)
    assert progress.scenes == [f"Scene {n}" for n in range(1, 7)]
    assert (progress.generation_id, progress.prompt, progress.title) == (
        7,
        row.prompt,
        "The Keeper",
    )
    assert (progress.started_at, progress.delivered) == (row.created_at, "dm:1/2")
    assert progress.status is GenerationStatus.RENDERING and not progress.final


def test_a_retried_clip_reads_retrying_until_it_renders_again() -> None:
    progress = started(2)
    progress.apply(ClipStarted(7, 0, "p1"))
    progress.apply(ClipFailed(7, 0, "busy", will_retry=True))
    assert progress.clips[0] is ClipShows.RETRYING and progress.clips[0].pending
    progress.apply(ClipStarted(7, 0, "p2"))
    assert progress.clips[0] is ClipShows.RENDERING
    progress.apply(ClipCompleted(7, 0, Path("c1.mp4")))
    assert progress.clips[0] is ClipShows.DONE and not progress.clips[0].pending


def test_the_stitched_film_and_its_delivery_are_kept() -> None:
    progress = started(1)
    progress.apply(Stitched(7, FILM, True, 6.5))
    assert (progress.status, progress.stitched) == (GenerationStatus.DELIVERING, (6.5, True))
    progress.apply(Narrated(7, "alloy", "the voice could not be mixed"))
    assert progress.narration == Narrated(7, "alloy", "the voice could not be mixed")
    progress.apply(Delivered(7, "thread:5/6"))
    assert progress.delivered == "thread:5/6" and not progress.final


def test_held_clips_show_the_first_turn_until_each_starts_or_ends() -> None:
    state = started(3)
    now = 1000.0
    assert state.held_for(now) is None and state.held_notice(now) is None
    state.apply(ClipHeld(7, 2, 12, now + 40))
    state.apply(ClipHeld(7, 1, 11, now + 38))
    state.apply(ClipHeld(7, 1, 3, now + 9))  # clip 2 again (a 429 moved the line): the latest
    assert state.held_for(now) == (3, 9.0)
    assert state.held_notice(now) == "Replicate is busy: 3 scenes ahead of yours, about 9 s"
    state.apply(ClipStarted(7, 1, "p2"))
    assert state.held_notice(now) == "Replicate is busy: 12 scenes ahead of yours, about 40 s"
    assert state.held_for(now + 41) is None  # its turn came: the create is on its way
    state.apply(ClipFailed(7, 2, "refused", will_retry=False))
    assert state.held_for(now) is None
    state.apply(ClipHeld(7, 0, 0, now + 3))
    assert state.held_notice(now) == "Replicate is busy: yours is next, about 3 s"
    state.apply(Failed(7, "cancelled"))
    assert state.held == {}


def test_a_wait_reads_rounded_up() -> None:
    assert [about(s) for s in (0.2, 4.1, 10, 10.5, 41, 90, 91, 150)] == [
        "1 s",
        "5 s",
        "10 s",
        "15 s",
        "45 s",
        "90 s",
        "2 min",
        "3 min",
    ]


def test_a_queued_run_shows_about_when_it_starts_while_that_is_ahead() -> None:
    state = Progress(7, "a seal")
    state.apply(Queued(7, 2))
    assert state.queue_notice(1000.0) == "position 2 in your queue"
    state.apply(Queued(7, 1, 1000.0 + 170))
    assert state.queue_notice(1000.0) == "position 1 in your queue, about 3 min"
    assert state.queue_notice(1000.0 + 171) == "position 1 in your queue"  # overdue: no guess
    state.apply(Started(7))
    assert state.queue_notice(1000.0) is None
