"""What the reply shows of a reroll (issue 11 §1): the scene being made again, the latest
version and the scenes that changed, a reroll that failed — from the pipeline's events."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.events import (
    ClipCompleted,
    ClipStarted,
    Delivered,
    Queued,
    RerollEnded,
    RerollStarted,
    Stitched,
)
from bot.pipeline.progress import ClipShows
from cogs.generate import render
from cogs.generate.state import ReplyState
from storage.models import GenerationStatus
from tests.cogs.test_render import body, fields
from tests.fakes.discord_fake.validation import validate_body

EDIT = "/channels/{channel_id}/messages/{message_id}"


def done_film() -> ReplyState:
    state = ReplyState(7, "a seal", GenerationStatus.DONE)
    state.clips = [ClipShows.DONE] * 3
    state.scenes = ["Scene 1", "Scene 2", "Scene 3"]
    state.delivered = "dm:1/2"
    return state


def test_a_reroll_reads_as_it_goes_then_shows_v2() -> None:
    state = done_film()
    assert state.apply(RerollStarted(7, 2, 1))  # a final state takes a reroll's start
    assert not state.final and state.clips[1] == ClipShows.WAITING
    assert fields(render.embed(state))["Status"] == "🎲 Rerolling scene 2 — v2 on its way"
    assert [
        b["custom_id"] for row in render.view(state).to_components() for b in row["components"]
    ] == ["reelbot:cancel:7"]
    state.apply(Queued(7, 1))  # behind the member's other generation
    assert fields(render.embed(state))["Status"].endswith("(position 1 in your queue)")
    state.apply(RerollStarted(7, 2, 1, "Scene 2, closer"))  # its turn: the note rewrote it
    assert state.position is None
    assert state.scenes[1] == "Scene 2, closer"
    state.apply(ClipStarted(7, 1, "p"))
    state.apply(ClipCompleted(7, 1, Path("clip-2-v2.mp4")))
    state.apply(Stitched(7, Path("film-v2.mp4"), False, 3.0))
    state.apply(Delivered(7, "dm:1/9"))
    state.apply(RerollEnded(7, 2, 1, None, 2, 2))

    shown = fields(render.embed(state))
    assert state.final and shown["Status"] == "✅ Done — v2 of the film was sent to you"
    assert shown["Version"] == "v2 · rerolled: scene 2 (v2)"
    assert "✅ clip 2: done · v2" in shown["Clips"]
    assert not validate_body("PATCH", EDIT, body(state))


def test_a_failed_reroll_says_why_and_the_film_stays() -> None:
    state = done_film()
    state.apply(RerollStarted(7, 2, 1))
    state.apply(RerollEnded(7, 2, 1, "clip 2: Replicate failed the prediction", 1, 1))

    shown = fields(render.embed(state))
    assert shown["Status"] == "✅ Done — the film was sent to you"  # v1, by DM as before
    assert shown["Version"] == (
        "v1\nReroll v2: clip 2: Replicate failed the prediction — the film stays v1"
    )
    assert state.clips[1] == ClipShows.DONE and state.changed == {}
