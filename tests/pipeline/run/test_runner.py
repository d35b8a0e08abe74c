"""The whole pipeline through the fakes: the real openai and replicate clients, real SQLite,
real ffmpeg, and the runner built by `open_services`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

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
from bot.pipeline.media import probe
from storage.models import ClipStatus, GenerationStatus
from tests.conftest import IDEA
from tests.fakes.mp4 import frame_rgb
from tests.fakes.replicate_fake import DEFAULT_ERROR

COLOR_RGB: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "lime": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "magenta": (255, 0, 255),
    "cyan": (0, 255, 255),
    "white": (255, 255, 255),
    "orange": (255, 165, 0),
}


def looks_like(rgb: tuple[int, int, int], color: str, tolerance: int = 48) -> bool:
    """Whether a decoded pixel is the named palette colour (after yuv420 round trips)."""
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, COLOR_RGB[color], strict=True))


def creates(fake) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path.endswith("/predictions")]


def background_tasks() -> list[str]:
    """The pipeline's own background tasks still running (generations, the poller)."""
    names = (t.get_name() for t in asyncio.all_tasks() if not t.done())
    return [n for n in names if n.startswith(("generation-", "replicate-poller"))]


def cancels(fake) -> list[str]:
    return [r.path.split("/")[-2] for r in fake.requests if r.path.endswith("/cancel")]


# -- the happy path ------------------------------------------------------------------------


async def test_a_full_run_makes_one_film_of_the_clips_in_order(
    harness, openai_fake, replicate_fake
) -> None:
    final = await harness.generate(clips=3)

    assert final.status is GenerationStatus.DONE, final.error
    events = harness.of(final.id)
    kinds = [type(e) for e in events]
    assert kinds[:2] == [Started, AnalysisDone]
    assert kinds[-3:] == [Stitched, Delivered, Finished]
    middle = events[2:-3]
    assert sorted(type(e).__name__ for e in middle) == ["ClipCompleted"] * 3 + ["ClipStarted"] * 3
    for index in range(3):  # each clip starts before it completes
        order = [type(e) for e in middle if e.index == index]
        assert order == [ClipStarted, ClipCompleted]

    # the shot list is about the member's idea, one scene per clip, in the database
    assert final.title == f"Film: {IDEA}"
    clips = await harness.repo.clips(final.id)
    for i, clip in enumerate(clips, start=1):  # then the characters' looks (test_characters)
        assert clip.prompt.startswith(f"Scene {i}: {IDEA}")
    assert all(c.status is ClipStatus.SUCCEEDED and c.attempts == 1 for c in clips)
    assert {c.prediction_id for c in clips} == set(replicate_fake.predictions)
    assert all(Path(c.output_path or "").is_file() for c in clips)
    assert all(c.thumbnail_path is None for c in clips)  # none made: nothing showed one
    assert final.predict_seconds > 0

    # created once each, without a blocking wait, with the style and the model's inputs
    assert replicate_fake.counts["create"] == 3
    for request in creates(replicate_fake):
        assert request.path == "/v1/models/bytedance/seedance-1-lite/predictions"
        assert "prefer" not in {k.lower() for k in request.headers}
        assert request.json["input"]["prompt"].endswith("cinematic, warm light")
        assert request.json["input"]["aspect_ratio"] == "16:9"
        assert request.json["input"]["duration"] == 5  # 2 s asked; the model renders 5 or 10
    assert openai_fake.calls == {"chat": 1, "moderations": 1}

    # stitched by stream copy, delivered once, the clips play in order
    (stitched,) = harness.of(final.id, Stitched)
    assert stitched.reencoded is False
    film = stitched.path
    assert final.video_path == str(film)
    assert harness.deliverer.calls == [(final.id, film)]
    (delivered,) = harness.of(final.id, Delivered)
    assert delivered.ref == f"test:delivered-{final.id}.mp4"
    assert final.delivery_ref == delivered.ref and final.delivered_at is not None
    assert harness.of(final.id, Finished)[0].path == film
    info = await probe(film)
    seconds = [replicate_fake.predictions[c.prediction_id or ""].seconds for c in clips]
    assert info.duration == pytest.approx(sum(seconds), abs=0.3)
    assert len({replicate_fake.color_for(c.prediction_id or "") for c in clips}) == 3
    start = 0.0
    for clip, length in zip(clips, seconds, strict=True):
        color = replicate_fake.color_for(clip.prediction_id or "")
        rgb = frame_rgb(film, start + length / 2)
        assert looks_like(rgb, color), (clip.index, rgb, color)
        start += length


async def test_options_reach_the_model_inputs_and_the_film(harness, replicate_fake) -> None:
    final = await harness.generate(clips=2, aspect_ratio="9:16", seed=7)

    assert final.status is GenerationStatus.DONE, final.error
    inputs = sorted((r.json["input"] for r in creates(replicate_fake)), key=lambda i: i["prompt"])
    assert [(i["aspect_ratio"], i["seed"]) for i in inputs] == [("9:16", 7), ("9:16", 8)]
    info = await probe(Path(final.video_path or ""))
    assert (info.width, info.height) == (90, 160)


@pytest.mark.parametrize(("clips", "expected"), [(None, 4), (2, 2)])
async def test_scenes_are_clamped_whatever_the_model_answers(
    harness, openai_fake, replicate_fake, clips, expected
) -> None:
    openai_fake.scene_count = 100

    final = await harness.generate(clips=clips)

    assert final.status is GenerationStatus.DONE, final.error
    assert len(await harness.repo.clips(final.id)) == expected
    assert replicate_fake.counts["create"] == expected
    (analysis,) = harness.of(final.id, AnalysisDone)
    assert len(analysis.shot_list.scenes) == expected
    asked = openai_fake.requests[-1].json["messages"][-1]["content"]
    assert ("exactly 2 scenes" if clips else "between 1 and 4 scenes") in asked


async def test_video_generation_disabled_stops_after_the_shot_list(
    make_settings, open_harness, replicate_fake
) -> None:
    settings = make_settings(enable_video_generation=False, replicate_api_token=None)
    async with open_harness(settings) as harness:
        final = await harness.generate(clips=2)

    assert final.status is GenerationStatus.DONE, final.error
    assert final.shot_list is not None and final.title == f"Film: {IDEA}"
    assert [type(e) for e in harness.of(final.id)] == [Started, AnalysisDone, Finished]
    assert harness.of(final.id, Finished)[0].path is None
    assert replicate_fake.requests == []
    assert harness.deliverer.calls == []


async def test_a_member_waits_for_their_own_previous_generation(harness, replicate_fake) -> None:
    replicate_fake.auto_complete = False
    first = await harness.submit(clips=1)
    second = await harness.submit("a seal learns to knit", clips=1)
    await harness.wait_for(lambda: harness.of(first.id, ClipStarted), what="first clip")

    assert [e.position for e in harness.of(second.id, Queued)] == [1]
    assert harness.of(second.id, Started) == []
    assert replicate_fake.counts["create"] == 1

    replicate_fake.auto_complete = True
    assert (await harness.runner.wait(first.id)).status is GenerationStatus.DONE
    assert (await harness.runner.wait(second.id)).status is GenerationStatus.DONE
    assert replicate_fake.counts["create"] == 2


async def test_clip_concurrency_is_shared_fairly_between_members(
    make_settings, open_harness, replicate_fake
) -> None:
    replicate_fake.auto_complete = False
    async with open_harness(make_settings(clip_concurrency=2)) as harness:
        a = await harness.submit(clips=3, owner_id=1)
        await harness.wait_for(lambda: replicate_fake.counts["create"] == 2, what="two creates")
        b = await harness.submit("a seal learns to knit", clips=2, owner_id=2)
        await harness.wait_for(lambda: harness.of(b.id, AnalysisDone), what="b's shot list")
        await asyncio.sleep(0.2)
        assert replicate_fake.counts["create"] == 2  # no third while two are in flight

        replicate_fake.complete(next(iter(replicate_fake.predictions)))
        await harness.wait_for(lambda: replicate_fake.counts["create"] == 3, what="a third")
        # the freed slot goes to the member who has none, before a's third clip
        assert "a seal learns to knit" in list(replicate_fake.predictions.values())[-1].prompt

        replicate_fake.auto_complete = True
        for generation in (a, b):
            final = await harness.runner.wait(generation.id)
            assert final.status is GenerationStatus.DONE, final.error
    assert replicate_fake.counts["create"] == 5
    spans = [(r.created, r.completed or 0.0) for r in replicate_fake.predictions.values()]
    for created, _ in spans:  # never more than two in flight at Replicate
        assert sum(1 for c, done in spans if c <= created < done) <= 2


# -- clips that go wrong --------------------------------------------------------------------


async def test_a_failed_prediction_is_retried(harness, replicate_fake) -> None:
    replicate_fake.script(["failed", "succeeded"], match="Scene 2")

    final = await harness.generate(clips=3)

    assert final.status is GenerationStatus.DONE, final.error
    clips = await harness.repo.clips(final.id)
    assert [c.attempts for c in clips] == [1, 2, 1]
    assert len(replicate_fake.created_for("Scene 2")) == 2
    (failed,) = harness.of(final.id, ClipFailed)
    assert (failed.index, failed.will_retry) == (1, True)
    assert DEFAULT_ERROR in failed.reason
    assert clips[1].prediction_id == replicate_fake.created_for("Scene 2")[1].id


async def test_a_clip_failing_beyond_its_retries_fails_the_generation_and_keeps_the_others(
    harness, replicate_fake
) -> None:
    replicate_fake.script(["failed:NSFW content detected"] * 3, match="Scene 2")

    final = await harness.generate(clips=3)

    assert final.status is GenerationStatus.FAILED
    assert final.error == "clip 2: Replicate failed the prediction: NSFW content detected"
    assert [e.reason for e in harness.of(final.id, Failed)] == [final.error]
    clips = await harness.repo.clips(final.id)
    assert [c.status for c in clips] == [
        ClipStatus.SUCCEEDED,
        ClipStatus.FAILED,
        ClipStatus.SUCCEEDED,
    ]
    assert clips[1].attempts == 3 and "NSFW content detected" in (clips[1].error or "")
    assert Path(clips[0].output_path or "").is_file() and Path(clips[2].output_path or "").is_file()
    assert [e.will_retry for e in harness.of(final.id, ClipFailed)] == [True, True, False]
    assert harness.of(final.id, Stitched) == [] and harness.deliverer.calls == []


async def test_retry_renders_only_what_is_missing(harness, openai_fake, replicate_fake) -> None:
    replicate_fake.script(["failed"] * 3, match="Scene 2")
    failed = await harness.generate(clips=3)
    assert failed.status is GenerationStatus.FAILED
    created, downloaded = replicate_fake.counts["create"], replicate_fake.counts["download"]

    assert await harness.runner.retry(failed.id)
    final = await harness.runner.wait(failed.id)

    assert final.status is GenerationStatus.DONE, final.error
    assert final.error is None
    assert replicate_fake.counts["create"] == created + 1
    assert replicate_fake.counts["download"] == downloaded + 1
    assert openai_fake.calls == {"chat": 1, "moderations": 1}  # the shot list is kept
    assert not await harness.runner.retry(final.id)  # done stays done


@pytest.mark.parametrize("outcome", ["filtered", "empty"])
async def test_an_empty_or_filtered_output_fails_with_a_clear_reason(
    harness, replicate_fake, outcome
) -> None:
    replicate_fake.output_as_list = outcome == "empty"
    replicate_fake.script([outcome] * 3)

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert final.error == (
        "clip 1: Replicate returned no video (the output was empty, possibly filtered)"
    )
    assert replicate_fake.counts["download"] == 0


async def test_a_stuck_prediction_is_cancelled_and_retried(
    make_settings, open_harness, replicate_fake
) -> None:
    replicate_fake.script(["stuck", "succeeded"])
    async with open_harness(make_settings(clip_timeout_seconds=0.4)) as harness:
        final = await harness.generate(clips=1)
        (clip,) = await harness.repo.clips(final.id)

    assert final.status is GenerationStatus.DONE, final.error
    stuck, good = replicate_fake.predictions.values()
    assert stuck.canceled and cancels(replicate_fake) == [stuck.id]
    assert (clip.attempts, clip.prediction_id) == (2, good.id)
    (failed,) = harness.of(final.id, ClipFailed)
    assert "still running after 0.4 s" in failed.reason


async def test_a_prediction_stuck_every_time_is_reported(
    make_settings, open_harness, replicate_fake
) -> None:
    replicate_fake.script(["stuck"] * 3)
    async with open_harness(make_settings(clip_timeout_seconds=0.3)) as harness:
        final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert "clip 1: the prediction was still running after" in (final.error or "")
    assert all(r.canceled for r in replicate_fake.predictions.values())
    assert len(replicate_fake.predictions) == 3


async def test_a_download_host_not_allowed_is_refused(
    make_settings, open_harness, replicate_fake, tmp_path
) -> None:
    settings = make_settings(media_allowed_hosts=["replicate.delivery"])
    async with open_harness(settings) as harness:
        final = await harness.generate(clips=2)

    assert final.status is GenerationStatus.FAILED
    assert final.error is not None and final.error.startswith("clip 1: refusing to download from")
    assert "host not allowed" in final.error
    assert replicate_fake.counts["download"] == 0
    assert [p for p in settings.media_dir.rglob("*") if p.is_file()] == []
    assert all(not e.will_retry for e in harness.of(final.id, ClipFailed))


# -- creating predictions: throttling and lost answers ---------------------------------------


async def test_a_create_that_fails_after_creating_is_reconciled_without_a_duplicate(
    harness, replicate_fake
) -> None:
    replicate_fake.fail_next_creates(500, created=True)

    final = await harness.generate(clips=3)

    assert final.status is GenerationStatus.DONE, final.error
    assert replicate_fake.counts["create"] == 3
    for scene in (1, 2, 3):
        assert len(replicate_fake.created_for(f"Scene {scene}:")) == 1
    clips = await harness.repo.clips(final.id)
    assert {c.prediction_id for c in clips} == set(replicate_fake.predictions)
    assert all(c.attempts == 1 for c in clips)


async def test_a_create_that_fails_before_creating_is_sent_again(harness, replicate_fake) -> None:
    replicate_fake.fail_next_creates(503)

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.DONE, final.error
    assert replicate_fake.counts["create"] == 2 and len(replicate_fake.predictions) == 1


async def test_a_lost_create_is_not_confused_with_the_failed_attempt_before_it(
    harness, replicate_fake
) -> None:
    replicate_fake.auto_complete = False
    generation = await harness.submit(clips=1)
    await harness.wait_for(lambda: harness.of(generation.id, ClipStarted), what="attempt 1")
    (first,) = replicate_fake.predictions
    replicate_fake.fail_next_creates(500)  # attempt 2's create is answered 500, not created
    replicate_fake.auto_complete = True
    replicate_fake.fail(first)

    final = await harness.runner.wait(generation.id)

    assert final.status is GenerationStatus.DONE, final.error
    (clip,) = await harness.repo.clips(final.id)
    assert clip.attempts == 2 and clip.prediction_id != first
    assert len(harness.of(final.id, ClipFailed)) == 1
    assert len(replicate_fake.predictions) == 2


async def test_a_throttled_create_is_retried(harness, replicate_fake) -> None:
    replicate_fake.fail_next_creates(429)

    final = await harness.generate(clips=2)

    assert final.status is GenerationStatus.DONE, final.error
    assert replicate_fake.counts["create"] == 3 and len(replicate_fake.predictions) == 2


async def test_a_create_refused_by_replicate_fails_the_clip_with_its_message(
    harness, replicate_fake
) -> None:
    replicate_fake.models = {"someone/else"}

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert final.error == (
        "clip 1: Replicate answered 404: Model bytedance/seedance-1-lite not found."
    )
    assert replicate_fake.counts["create"] == 1  # a 4xx is not worth sending again


# -- cancel and resume -----------------------------------------------------------------------


async def test_cancel_mid_render_cancels_the_predictions_and_creates_no_more(
    harness, replicate_fake
) -> None:
    replicate_fake.auto_complete = False
    generation = await harness.submit(clips=3)
    await harness.wait_for(lambda: len(harness.of(generation.id, ClipStarted)) == 3)

    assert await harness.runner.cancel(generation.id)

    stored = await harness.repo.generation(generation.id)
    assert stored is not None and stored.status is GenerationStatus.CANCELLED
    assert sorted(cancels(replicate_fake)) == sorted(replicate_fake.predictions)
    assert all(r.canceled for r in replicate_fake.predictions.values())
    assert [type(e) for e in harness.of(generation.id)][-1] is Cancelled
    clips = await harness.repo.clips(generation.id)
    assert all(c.status is ClipStatus.CANCELLED for c in clips)
    await asyncio.sleep(0.3)  # a few poll intervals: nothing comes back to life
    assert replicate_fake.counts["create"] == 3
    assert harness.of(generation.id, Failed) == []
    assert (await harness.runner.wait(generation.id)).status is GenerationStatus.CANCELLED
    assert not await harness.runner.cancel(generation.id)  # a final state stays


async def test_cancel_while_creates_are_in_flight_finds_and_cancels_them(
    harness, replicate_fake
) -> None:
    replicate_fake.auto_complete = False
    replicate_fake.answer_delay = 30  # the predictions exist; their ids never reach us
    generation = await harness.submit(clips=2)
    await harness.wait_for(lambda: len(replicate_fake.predictions) == 2, what="two creates")

    assert await harness.runner.cancel(generation.id)

    assert harness.of(generation.id, ClipStarted) == []
    assert sorted(cancels(replicate_fake)) == sorted(replicate_fake.predictions)
    assert all(r.canceled for r in replicate_fake.predictions.values())
    clips = await harness.repo.clips(generation.id)
    assert [c.status for c in clips] == [ClipStatus.CANCELLED] * 2
    assert replicate_fake.counts["create"] == 2


async def test_cancel_while_queued_starts_nothing(harness, replicate_fake) -> None:
    replicate_fake.auto_complete = False
    first = await harness.submit(clips=1)
    second = await harness.submit("a seal learns to knit", clips=1)
    await harness.wait_for(lambda: harness.of(second.id, Queued), what="second queued")

    assert await harness.runner.cancel(second.id)
    replicate_fake.auto_complete = True

    assert (await harness.runner.wait(first.id)).status is GenerationStatus.DONE
    assert (await harness.runner.wait(second.id)).status is GenerationStatus.CANCELLED
    assert replicate_fake.counts["create"] == 1
    assert harness.of(second.id, Started) == []


async def test_a_fresh_runner_resumes_without_new_predictions(
    settings, open_harness, replicate_fake
) -> None:
    replicate_fake.auto_complete = False
    async with open_harness(settings) as first:
        generation = await first.submit(clips=3)
        await first.wait_for(lambda: len(first.of(generation.id, ClipStarted)) == 3)
        started = {c.index: c.prediction_id for c in await first.repo.clips(generation.id)}
        done_first = started[0] or ""
        replicate_fake.complete(done_first)
        await first.wait_for(lambda: first.of(generation.id, ClipCompleted), what="clip 1")
    # the runner stopped mid-render: two predictions are still processing at Replicate
    assert background_tasks() == []  # nothing of the stopped runner still runs
    assert first.deliverer.calls == []
    assert replicate_fake.counts["create"] == 3 and replicate_fake.counts["download"] == 1

    replicate_fake.auto_complete = True
    async with open_harness(settings) as second:
        resumed = await second.runner.resume("cli")
        assert [g.id for g in resumed] == [generation.id]
        async with asyncio.timeout(20):
            final = await second.runner.wait(generation.id)
        clips = {c.index: c.prediction_id for c in await second.repo.clips(final.id)}

    assert final.status is GenerationStatus.DONE, final.error
    assert replicate_fake.counts["create"] == 3  # re-attached, nothing created again
    assert replicate_fake.counts["download"] == 3  # clip 1 was not downloaded twice
    assert clips == started
    assert second.deliverer.calls == [(final.id, Path(final.video_path or ""))]
    assert [type(e) for e in second.of(final.id)][-3:] == [Stitched, Delivered, Finished]
    assert sorted(e.index for e in second.of(final.id, ClipCompleted)) == [1, 2]


async def test_a_clip_out_of_attempts_is_not_tried_again_on_resume(
    settings, open_harness, replicate_fake
) -> None:
    replicate_fake.auto_complete = False
    async with open_harness(settings) as first:
        generation = await first.submit(clips=2)
        for attempt in (1, 2, 3):  # clip 2 fails every attempt while clip 1 is still rendering
            await first.wait_for(lambda n=attempt: len(replicate_fake.created_for("Scene 2")) == n)
            replicate_fake.fail(replicate_fake.created_for("Scene 2")[-1].id, "GPU fell over")
        await first.wait_for(
            lambda: any(not e.will_retry for e in first.of(generation.id, ClipFailed))
        )
    assert replicate_fake.counts["create"] == 4

    replicate_fake.auto_complete = True
    async with open_harness(settings) as second:
        await second.runner.resume("cli")
        async with asyncio.timeout(20):
            final = await second.runner.wait(generation.id)
        clips = await second.repo.clips(generation.id)

    assert final.status is GenerationStatus.FAILED
    assert final.error == "clip 2: Replicate failed the prediction: GPU fell over"
    assert replicate_fake.counts["create"] == 4  # no fourth attempt for clip 2
    assert [c.status for c in clips] == [ClipStatus.SUCCEEDED, ClipStatus.FAILED]
    assert clips[1].attempts == 3


async def test_a_create_lost_in_flight_is_found_again_on_resume(
    settings, open_harness, replicate_fake
) -> None:
    replicate_fake.auto_complete = False
    async with open_harness(settings) as first:
        generation = await first.submit(clips=2)
        await first.wait_for(lambda: len(first.of(generation.id, ClipStarted)) == 2)
        lost = (await first.repo.clips(generation.id))[1]
        # as if the runner had stopped after sending the create, before storing its answer
        await first.repo.clip_creating(lost.id)
        assert (await first.repo.clip(lost.id)).prediction_id is None

    replicate_fake.auto_complete = True
    async with open_harness(settings) as second:
        await second.runner.resume("cli")
        async with asyncio.timeout(20):
            final = await second.runner.wait(generation.id)
        clip = await second.repo.clip(lost.id)

    assert final.status is GenerationStatus.DONE, final.error
    assert replicate_fake.counts["create"] == 2
    assert clip.prediction_id == lost.prediction_id


async def test_a_prediction_replicate_does_not_know_does_not_stall_the_others(
    make_settings, open_harness, replicate_fake
) -> None:
    settings = make_settings(clip_timeout_seconds=1.5)
    replicate_fake.auto_complete = False
    async with open_harness(settings) as first:
        generation = await first.submit(clips=3)
        await first.wait_for(lambda: len(first.of(generation.id, ClipStarted)) == 3)
        clips = await first.repo.clips(generation.id)
        await first.repo.clip_started(clips[2].id, "unknown0prediction0id00000")

    replicate_fake.auto_complete = True
    async with open_harness(settings) as second:
        await second.runner.resume("cli")
        async with asyncio.timeout(20):
            final = await second.runner.wait(generation.id)
        after = await second.repo.clips(generation.id)

    assert final.status is GenerationStatus.DONE, final.error
    # the two known predictions were followed to the end, not abandoned at the timeout
    assert [c.prediction_id for c in after[:2]] == [c.prediction_id for c in clips[:2]]
    assert [c.attempts for c in after] == [1, 1, 2]
    assert replicate_fake.counts["create"] == 4


# -- analysis that goes wrong ----------------------------------------------------------------


async def test_a_flagged_prompt_is_refused_before_any_spend(
    harness, openai_fake, replicate_fake
) -> None:
    final = await harness.generate("FLAGME a lighthouse keeper", clips=2)

    assert final.status is GenerationStatus.FAILED
    assert final.error == "The prompt was refused by moderation (violence)."
    assert openai_fake.calls == {"chat": 0, "moderations": 1}
    assert replicate_fake.requests == []
    assert await harness.repo.clips(final.id) == []


async def test_openai_failing_three_times_then_answering_is_fine(harness, openai_fake) -> None:
    # a 500 is an answer without a completion (nothing billed): retried like any provider call,
    # so a burst of server errors does not fail the film (issue 18's torture: two did)
    openai_fake.fail_next(500, times=3, path="/chat/completions")

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.DONE, final.error
    assert openai_fake.calls["chat"] == 4


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/chat/completions", "OpenAI is unavailable: HTTP 500"),
        ("/moderations", "OpenAI moderation is unavailable: HTTP 500"),
    ],
)
async def test_openai_down_fails_with_a_clear_reason(
    harness, openai_fake, replicate_fake, path, reason
) -> None:
    openai_fake.fail_next(500, times=20, path=path)

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert (final.error or "").startswith(reason), final.error
    assert replicate_fake.requests == []


async def test_a_refusal_by_the_analysis_model_fails_clearly(
    harness, openai_fake, replicate_fake
) -> None:
    openai_fake.refuse_next()

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert final.error == "The analysis model declined: I can't help with that."
    assert replicate_fake.requests == []


@pytest.mark.parametrize("fault", ["malformed_next", "wrong_shape_next"])
async def test_a_malformed_shot_list_is_asked_for_once_more_then_fails(
    harness, openai_fake, replicate_fake, fault
) -> None:
    getattr(openai_fake, fault)(times=2)

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert (final.error or "").startswith(
        "The analysis model did not write a usable shot list: the shot list was malformed"
    ), final.error
    assert openai_fake.calls["chat"] == 2
    assert replicate_fake.requests == []


async def test_one_malformed_shot_list_is_recovered(harness, openai_fake) -> None:
    openai_fake.malformed_next()

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.DONE, final.error
    assert openai_fake.calls["chat"] == 2
