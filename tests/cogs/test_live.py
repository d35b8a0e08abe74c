"""LiveReply: the clips of one reply are posted in scene order (pure)."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.events import AnalysisDone, ClipCompleted, ClipFailed, Failed, Started
from cogs.generate.live import LiveReply
from cogs.generate.state import ReplyState
from tests.cogs.rows import shot_list


def made(reply: LiveReply, index: int) -> None:
    assert reply.state is not None
    path = Path(f"c{index}.mp4")
    reply.state.apply(ClipCompleted(7, index, path))
    reply.ready[index] = path


def test_a_clip_done_early_waits_for_the_ones_before_it() -> None:
    reply = LiveReply(7, state=ReplyState(7, "a seal"))
    assert reply.state is not None
    reply.state.apply(Started(7))
    reply.state.apply(AnalysisDone(7, shot_list(4)))
    made(reply, 2)
    made(reply, 1)
    assert reply.clips_to_post() == []  # clip 1 is still waiting
    made(reply, 0)
    assert reply.clips_to_post() == [(0, Path("c0.mp4")), (1, Path("c1.mp4")), (2, Path("c2.mp4"))]
    assert reply.ready == {}
    made(reply, 3)
    assert reply.clips_to_post() == [(3, Path("c3.mp4"))]


def test_a_failed_clip_or_the_end_lets_the_later_ones_go() -> None:
    reply = LiveReply(7, state=ReplyState(7, "a seal"))
    assert reply.state is not None
    reply.state.apply(AnalysisDone(7, shot_list(3)))
    made(reply, 2)
    reply.state.apply(ClipFailed(7, 0, "gone", will_retry=False))
    assert reply.clips_to_post() == []  # clip 2 may still be done
    reply.state.apply(Failed(7, "clip 1: gone"))
    assert reply.clips_to_post() == [(2, Path("c2.mp4"))]


def test_a_reply_not_loaded_posts_nothing() -> None:
    reply = LiveReply(7, loading=True)
    reply.ready[0] = Path("c0.mp4")
    assert reply.clips_to_post() == [] and reply.ready == {0: Path("c0.mp4")}
