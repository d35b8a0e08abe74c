"""Replicate as it really is, through the real runner: a list shared with the whole account
(other apps' predictions, `aborted`, odd entries), `next` URLs, and downloads that fail in ways
other than a bad answer. Issue 8 §2, issue 9 items 4, 7 and 11."""

from __future__ import annotations

import logging

import pytest

from bot.pipeline.events import ClipFailed, ClipStarted
from storage.models import ClipStatus, GenerationStatus
from tests.fakes.replicate_fake import FakeReplicate


def ours(fake: FakeReplicate, scene: int) -> list[str]:
    return [r.id for r in fake.created_for(f"Scene {scene}:")]


async def test_an_aborted_prediction_is_retried_like_a_failed_one(
    make_settings, open_harness, replicate_fake
) -> None:
    replicate_fake.add_foreign(30)  # foreign aborted ones too: none of the bot's business
    replicate_fake.script(["aborted"], match="Scene 1:")
    async with open_harness(make_settings(clip_timeout_seconds=3)) as harness:
        final = await harness.generate(clips=2)
        clips = await harness.repo.clips(final.id)

    assert final.status is GenerationStatus.DONE, final.error
    aborted, retried = ours(replicate_fake, 1)
    assert replicate_fake.predictions[aborted].status == "aborted"
    assert [c.attempts for c in clips] == [2, 1]
    assert clips[0].prediction_id == retried
    (failed,) = harness.of(final.id, ClipFailed)
    assert failed.index == 0 and failed.will_retry
    assert "aborted the prediction before it started" in failed.reason


async def test_a_malformed_entry_concerns_only_the_clip_waiting_for_it(
    make_settings, open_harness, replicate_fake
) -> None:
    replicate_fake.auto_complete = False
    async with open_harness(make_settings(clip_timeout_seconds=5)) as harness:
        generation = await harness.submit(clips=3)
        await harness.wait_for(lambda: len(harness.of(generation.id, ClipStarted)) == 3)
        (first,), (second,), (third,) = (ours(replicate_fake, n) for n in (1, 2, 3))
        # a failed prediction whose error is an object, and one whose status is not a string
        replicate_fake.corrupt(first, error={"detail": "GPU melted", "code": "E42"})
        replicate_fake.fail(first)
        replicate_fake.corrupt(second, status=42)
        replicate_fake.complete(third)
        replicate_fake.auto_complete = True  # the retries finish by themselves
        final = await harness.runner.wait(generation.id)
        clips = await harness.repo.clips(generation.id)

    assert final.status is GenerationStatus.DONE, final.error
    assert [c.attempts for c in clips] == [2, 2, 1]
    assert clips[2].prediction_id == third  # followed to its end, not stalled
    reasons = {e.index: e.reason for e in harness.of(generation.id, ClipFailed)}
    assert reasons[0] == "Replicate failed the prediction: GPU melted"
    assert "could not be read (status is 42)" in reasons[1]
    assert replicate_fake.predictions[second].canceled  # it may have been running: stopped
    assert not any("still running" in r for r in reasons.values())


async def test_a_lost_create_is_found_in_a_list_full_of_other_apps_predictions(
    harness, replicate_fake
) -> None:
    replicate_fake.add_foreign(150)  # every status, aborted among them, on the first page
    replicate_fake.fail_next_creates(500, created=True)

    final = await harness.generate(clips=2)

    assert final.status is GenerationStatus.DONE, final.error
    assert [len(ours(replicate_fake, n)) for n in (1, 2)] == [1, 1]
    clips = await harness.repo.clips(final.id)
    assert all(c.attempts == 1 for c in clips)


async def test_the_token_never_follows_a_next_url_off_the_api_origin(
    make_settings, open_harness, replicate_fake, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeReplicate() as elsewhere:
        replicate_fake.page_size = 5
        replicate_fake.next_base_url = elsewhere.base_url
        replicate_fake.auto_complete = False
        async with open_harness(make_settings()) as harness:
            generation = await harness.submit(clips=2)
            await harness.wait_for(lambda: len(harness.of(generation.id, ClipStarted)) == 2)
            replicate_fake.add_foreign(12)  # the bot's predictions move to page 3
            for prediction_id in list(replicate_fake.predictions)[:2]:
                replicate_fake.complete(prediction_id)
            final = await harness.runner.wait(generation.id)

        assert final.status is GenerationStatus.DONE, final.error
        assert elsewhere.requests == []
        assert any(
            "not following the prediction list to 127.0.0.1" in r.getMessage()
            for r in caplog.records
        )


@pytest.mark.parametrize(
    "location", ["http://[not-an-address", "http://127.0.0.1:99999/x"], ids=["ipv6", "port"]
)
async def test_a_malformed_redirect_fails_the_clip_with_a_reason(
    harness, replicate_fake, location: str
) -> None:
    replicate_fake.redirect_downloads_to = location

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert final.error is not None and "the file host answered with an invalid URL" in final.error
    (clip,) = await harness.repo.clips(final.id)
    assert clip.status is ClipStatus.FAILED and clip.error and "invalid URL" in clip.error


async def test_a_clip_file_that_cannot_be_written_fails_the_clip_with_a_reason(
    settings, harness, replicate_fake, caplog: pytest.LogCaptureFixture
) -> None:
    # the .part file cannot be opened for writing (a directory is in the way: the filesystem
    # refuses, as a full disk does)
    (settings.media_dir / "1" / "clip-1.mp4.part").mkdir(parents=True)

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert final.error is not None
    assert "clip 1: the clip could not be saved on the bot's server" in final.error
    (clip,) = await harness.repo.clips(final.id)
    assert clip.status is ClipStatus.FAILED
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_retry_downloads_a_succeeded_prediction_again_instead_of_paying_for_it(
    settings, harness, replicate_fake
) -> None:
    """A clip whose prediction succeeded but whose download failed: Retry fetches the same
    output again (Replicate keeps it about an hour) — no new prediction is paid for."""
    blocked = settings.media_dir / "1" / "clip-1.mp4.part"
    blocked.mkdir(parents=True)  # the download cannot be written (as with a full disk)
    failed = await harness.generate(clips=1)
    assert failed.status is GenerationStatus.FAILED
    (paid,) = ours(replicate_fake, 1)
    blocked.rmdir()  # the operator frees the disk

    assert await harness.runner.retry(failed.id)
    final = await harness.runner.wait(failed.id)

    assert final.status is GenerationStatus.DONE, final.error
    assert ours(replicate_fake, 1) == [paid]  # nothing created again
    (clip,) = await harness.repo.clips(final.id)
    assert (clip.status, clip.prediction_id) == (ClipStatus.SUCCEEDED, paid)
    assert clip.predict_seconds > 0  # the prediction's billed time is counted once


async def test_retry_pays_again_when_the_earlier_output_is_gone_or_failed(
    settings, harness, replicate_fake
) -> None:
    """Past Replicate's data window (or for a prediction that failed) there is nothing to
    download again: Retry makes the clip as before."""
    blocked = settings.media_dir / "1" / "clip-1.mp4.part"
    blocked.mkdir(parents=True)
    replicate_fake.script(["failed:out of memory"] * 3, match="Scene 2:")
    failed = await harness.generate(clips=2)
    assert failed.status is GenerationStatus.FAILED
    blocked.rmdir()
    replicate_fake.advance(replicate_fake.data_retention + 60)  # clip 1's output removed

    assert await harness.runner.retry(failed.id)
    final = await harness.runner.wait(failed.id)

    assert final.status is GenerationStatus.DONE, final.error
    assert [len(ours(replicate_fake, n)) for n in (1, 2)] == [2, 4]
