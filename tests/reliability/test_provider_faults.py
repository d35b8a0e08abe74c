"""Provider faults injected through the fakes, on the real clients and the real runner: each ends
in a clear state, a reason the member can read, and a log line naming the generation.

Covered in tests/pipeline/run/test_runner.py and not repeated here: OpenAI 500 then success and
OpenAI down; refused and malformed shot lists; failed predictions retried and failing beyond
their retries; filtered and empty outputs; predictions stuck past the timeout (cancelled and
retried, or reported); a create 500 that did or did not create the prediction; a 429 on
create; a create refused with 4xx; a download host not allowed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from bot.config import Settings
from bot.pipeline.events import ClipFailed
from bot.retry import DOWNLOAD
from storage.models import ClipStatus, GenerationStatus
from tests.conftest import Harness
from tests.fakes import _common
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate

OpenHarness = Callable[[Settings], AbstractAsyncContextManager[Harness]]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Waits between retries a tenth of production's (a download tried again after 0.05 s)."""
    return make_settings(retry_wait_scale=0.1)


def failure_logged(caplog: pytest.LogCaptureFixture, generation_id: int, reason: str) -> bool:
    return any(
        r.name == "bot.pipeline.run.endings"
        and r.levelno == logging.WARNING
        and f"generation {generation_id} " in r.getMessage()
        and reason in r.getMessage()
        for r in caplog.records
    )


def media_files(settings: Settings, generation_id: int) -> list[str]:
    folder = settings.media_dir / str(generation_id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- OpenAI ------------------------------------------------------------------------------------


async def test_openai_429_is_retried_a_bounded_number_of_times_then_fails_clearly(
    harness: Harness,
    openai_fake: FakeOpenAI,
    replicate_fake: FakeReplicate,
    caplog: pytest.LogCaptureFixture,
) -> None:
    openai_fake.fail_next(429, times=50, path="/chat/completions")

    final = await harness.generate(clips=2)

    assert final.status is GenerationStatus.FAILED
    assert (final.error or "").startswith("OpenAI is unavailable: HTTP 429"), final.error
    # a 429 generates nothing: retried like any provider call (4 attempts), then given up
    assert openai_fake.calls["chat"] == 4
    assert replicate_fake.requests == []  # nothing spent on video
    assert failure_logged(caplog, final.id, "HTTP 429")


async def test_openai_timeouts_are_retried_then_fail_clearly(
    settings: Settings,
    open_harness: OpenHarness,
    openai_fake: FakeOpenAI,
    replicate_fake: FakeReplicate,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    openai_fake.delay = 5.0  # every shot list answer comes too late

    async with open_harness(
        settings.model_copy(update={"analysis_timeout_seconds": 0.25})
    ) as harness:
        final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert final.error == "OpenAI is unavailable: the request timed out", final.error
    assert openai_fake.calls["chat"] == 2  # asked once more (ANALYSIS_RETRIES), then given up
    assert replicate_fake.requests == []
    assert failure_logged(caplog, final.id, "timed out")


# -- Replicate: creates --------------------------------------------------------------------------


async def test_429_and_5xx_on_concurrent_creates_make_one_prediction_per_scene(
    harness: Harness, replicate_fake: FakeReplicate
) -> None:
    # two creates fail after creating (ambiguous), one is throttled, one 503s before creating
    replicate_fake.fail_next_creates(500, times=2, created=True)
    replicate_fake.fail_next_creates(429)
    replicate_fake.fail_next_creates(503)

    final = await harness.generate(clips=3)

    assert final.status is GenerationStatus.DONE, final.error
    clips = await harness.repo.clips(final.id)
    per_scene = {c.prompt: replicate_fake.created_for(c.prompt) for c in clips}
    assert all(len(made) == 1 for made in per_scene.values()), per_scene  # never a duplicate
    assert {c.prediction_id for c in clips} == set(replicate_fake.predictions)
    assert all(c.attempts == 1 for c in clips)


# -- Replicate: downloads --------------------------------------------------------------------------


async def test_a_flaky_download_is_tried_again_without_a_new_prediction(
    harness: Harness, replicate_fake: FakeReplicate, caplog: pytest.LogCaptureFixture
) -> None:
    replicate_fake.download_status = 502

    async def recover() -> None:  # the file host answers again after two failures
        await harness.wait_for(lambda: replicate_fake.counts["download"] >= 2, timeout=20)
        replicate_fake.download_status = None

    healer = asyncio.create_task(recover())
    final = await harness.generate(clips=1)
    await healer

    assert final.status is GenerationStatus.DONE, final.error
    assert replicate_fake.counts["create"] == 1  # the paid prediction was not made again
    assert replicate_fake.counts["download"] == 3
    assert any("downloading again (attempt 2/3)" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("status", "failed: HTTP 500 Internal Server Error"),
        ("truncate", "cut short"),
    ],
)
async def test_a_download_that_keeps_failing_fails_the_clip_clearly_and_leaves_no_file(
    harness: Harness,
    settings: Settings,
    replicate_fake: FakeReplicate,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    reason: str,
) -> None:
    if fault == "status":
        replicate_fake.download_status = 500
    else:
        replicate_fake.truncate_downloads = True

    final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert (final.error or "").startswith("clip 1: download of http://127.0.0.1:"), final.error
    assert reason in (final.error or ""), final.error
    assert "?" not in (final.error or "")  # no query string (signed URLs carry tokens)
    assert replicate_fake.counts["download"] == DOWNLOAD.attempts  # bounded
    assert replicate_fake.counts["create"] == 1
    (clip,) = await harness.repo.clips(final.id)
    assert clip.status is ClipStatus.FAILED and clip.output_path is None
    assert media_files(settings, final.id) == []  # no half-written clip, no .part
    assert harness.of(final.id, ClipFailed)
    assert failure_logged(caplog, final.id, reason)


async def test_a_corrupt_clip_fails_in_ffmpeg_with_a_clear_reason(
    harness: Harness,
    settings: Settings,
    replicate_fake: FakeReplicate,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the file host serves bytes that are not a video
    monkeypatch.setattr(_common, "_CLIP_BYTES", {})
    monkeypatch.setattr(_common, "_render_clip", lambda key: b"\x00\x00\x00\x18ftypmp42" * 64)

    final = await harness.generate(clips=2)

    assert final.status is GenerationStatus.FAILED
    assert "is not a readable video" in (final.error or ""), final.error
    assert final.video_path is None  # nothing stitched from a corrupt clip
    assert harness.deliverer.calls == []
    assert failure_logged(caplog, final.id, "is not a readable video")
    assert harness.of(final.id, ClipFailed)  # the clip failed as a clip, before any stitch
