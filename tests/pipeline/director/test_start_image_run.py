"""A generation from a start image, through the runner and the fakes: the image is uploaded to
Replicate's files API just before scene 1's prediction is created, the prediction names it, the
upload is deleted once the prediction has ended, and the film opens on it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.pipeline.clips.video_models import get_model
from bot.pipeline.director import start_image
from bot.pipeline.events import ClipStarted
from storage.models import GenerationStatus, NewGeneration
from tests.conftest import IDEA, TEST_OWNER
from tests.fakes.mp4 import frame_rgb, make_image

BLUE = (32, 64, 192)


def close(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 16) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


async def test_scene_one_starts_from_the_image(
    harness, openai_fake, replicate_fake, tmp_path: Path
) -> None:
    image = make_image(tmp_path / "seal.png", width=640, height=360, color="0x2040c0")
    checked = await start_image.check(image.read_bytes(), get_model("bytedance/seedance-1-lite"))
    new = NewGeneration(owner_id=TEST_OWNER, prompt=IDEA, source="cli", clips_requested=2)

    generation = await harness.runner.submit(new, start_image=checked)
    final = await harness.runner.wait(generation.id)

    assert final.status is GenerationStatus.DONE, final.error
    assert Path(final.start_image_path or "").read_bytes() == image.read_bytes()
    first, second = await harness.repo.clips(final.id)
    (uploaded,) = replicate_fake.uploaded.values()  # uploaded once, for scene 1 only
    assert replicate_fake.deleted_files == [uploaded.id] and not replicate_fake.files
    assert uploaded.data == image.read_bytes() and uploaded.content_type == "image/png"
    assert first.start_image_url == f"{replicate_fake.base_url}/v1/files/{uploaded.id}"
    assert replicate_fake.predictions[first.prediction_id or ""].input["image"] == (
        first.start_image_url
    )
    assert second.start_image_url is None
    assert "image" not in replicate_fake.predictions[second.prediction_id or ""].input
    assert openai_fake.images == [checked.data_url()]  # the analysis model saw the image
    film = Path(final.video_path or "")
    assert close(frame_rgb(film, 0.0), BLUE)  # the film opens on the member's image
    assert not close(frame_rgb(film, 0.9), BLUE)  # then scene 1 goes on in its own colour


async def test_a_start_image_create_lost_in_flight_is_found_again_not_uploaded_again(
    settings, open_harness, replicate_fake, tmp_path: Path
) -> None:
    """The upload's URL is stored before the create: a restarted bot builds the very same
    input, finds the prediction the lost create made, and neither uploads nor creates again."""
    image = make_image(tmp_path / "seal.png", width=640, height=360)
    checked = await start_image.check(image.read_bytes(), get_model("bytedance/seedance-1-lite"))
    new = NewGeneration(owner_id=TEST_OWNER, prompt=IDEA, source="cli", clips_requested=1)
    replicate_fake.auto_complete = False
    async with open_harness(settings) as first:
        generation = await first.runner.submit(new, start_image=checked)
        await first.wait_for(lambda: len(first.of(generation.id, ClipStarted)) == 1)
        (lost,) = await first.repo.clips(generation.id)
        await first.repo.clip_creating(lost.id)  # as if stopped before storing the answer

    replicate_fake.auto_complete = True
    async with open_harness(settings) as second:
        await second.runner.resume("cli")
        async with asyncio.timeout(20):
            final = await second.runner.wait(generation.id)
        clip = await second.repo.clip(lost.id)

    assert final.status is GenerationStatus.DONE, final.error
    assert replicate_fake.counts["create"] == 1 and len(replicate_fake.uploaded) == 1
    assert replicate_fake.deleted_files == list(replicate_fake.uploaded)  # once it had ended
    assert clip.prediction_id == lost.prediction_id
    assert clip.start_image_url == lost.start_image_url is not None


async def test_each_prediction_gets_a_fresh_upload_deleted_once_it_has_ended(
    harness, replicate_fake, tmp_path: Path
) -> None:
    """Replicate's uploads expire (an hour): each create uploads the image just before it (a
    retry too), and each upload is deleted once its prediction has ended."""
    image = make_image(tmp_path / "seal.png", width=640, height=360)
    checked = await start_image.check(image.read_bytes(), get_model("bytedance/seedance-1-lite"))
    replicate_fake.script(["failed:GPU fell over"] * 3)
    new = NewGeneration(owner_id=TEST_OWNER, prompt=IDEA, source="cli", clips_requested=1)

    generation = await harness.runner.submit(new, start_image=checked)
    failed = await harness.runner.wait(generation.id)
    assert failed.status is GenerationStatus.FAILED
    assert replicate_fake.counts["create"] == 3 and len(replicate_fake.uploaded) == 3
    assert sorted(replicate_fake.deleted_files) == sorted(replicate_fake.uploaded)
    (before,) = await harness.repo.clips(generation.id)

    assert await harness.runner.retry(generation.id)
    final = await harness.runner.wait(generation.id)

    assert final.status is GenerationStatus.DONE, final.error
    (after,) = await harness.repo.clips(generation.id)
    assert len(replicate_fake.uploaded) == 4 and after.start_image_url != before.start_image_url
    assert replicate_fake.predictions[after.prediction_id or ""].input["image"] == (
        after.start_image_url
    )
    assert not replicate_fake.files and not await harness.repo.clip_uploads(after.id)
