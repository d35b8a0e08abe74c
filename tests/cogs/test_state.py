"""ReplyState: what the reply shows — the pipeline's Progress, plus where the reply is (pure)."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.events import AnalysisDone, ClipCompleted, ClipFailed, Started
from bot.pipeline.progress import Progress
from cogs.generate.state import ReplyState
from storage.models import ClipStatus, GenerationStatus
from tests.cogs.rows import clip, generation, shot_list


def test_the_reply_is_driven_by_the_one_progress_model() -> None:
    state = ReplyState(7, "a seal", channel_id=2, message_id=3)
    assert isinstance(state, Progress)
    state.apply(Started(7))
    state.apply(AnalysisDone(7, shot_list(3, title="The Keeper")))
    state.apply(ClipCompleted(7, 1, Path("c2.mp4")))
    state.apply(ClipFailed(7, 0, "busy", will_retry=True))
    assert state.clips == ["retrying", "done", "waiting"] and state.done_count == 1
    assert (state.title, state.status) == ("The Keeper", GenerationStatus.RENDERING)
    assert (state.channel_id, state.message_id, state.thread_id) == (2, 3, None)
    assert state.post_failures == {}


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
    assert isinstance(state, ReplyState)
    assert state.clips == ["done", "rendering", "rendering", "waiting", "failed", "waiting"]
    assert (state.generation_id, state.prompt, state.title) == (7, row.prompt, "The Keeper")
    assert (state.channel_id, state.message_id, state.thread_id) == (2, 33, 0)
    assert state.started_at == row.created_at and not state.final
