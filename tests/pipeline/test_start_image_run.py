"""A generation from a start image, through the runner and the fakes: the image is uploaded to
Replicate's files API once, scene 1's prediction names it, and the film opens on it."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline import start_image
from bot.pipeline.video_models import get_model
from storage.models import GenerationStatus, NewGeneration
from tests.conftest import IDEA, TEST_OWNER
from tests.fakes.mp4 import frame_rgb, make_image

BLUE = (32, 64, 192)


def close(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 16) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


async def test_scene_one_starts_from_the_image(harness, replicate_fake, tmp_path: Path) -> None:
    image = make_image(tmp_path / "seal.png", width=640, height=360, color="0x2040c0")
    checked = await start_image.check(image.read_bytes(), get_model("bytedance/seedance-1-lite"))
    new = NewGeneration(owner_id=TEST_OWNER, prompt=IDEA, source="cli", clips_requested=2)

    generation = await harness.runner.submit(new, start_image=checked)
    final = await harness.runner.wait(generation.id)

    assert final.status is GenerationStatus.DONE, final.error
    assert Path(final.start_image_path or "").read_bytes() == image.read_bytes()
    first, second = await harness.repo.clips(final.id)
    (uploaded,) = replicate_fake.files.values()  # uploaded once, for scene 1 only
    assert uploaded.data == image.read_bytes() and uploaded.content_type == "image/png"
    assert first.start_image_url == f"{replicate_fake.base_url}/v1/files/{uploaded.id}"
    assert replicate_fake.predictions[first.prediction_id or ""].input["image"] == (
        first.start_image_url
    )
    assert second.start_image_url is None
    assert "image" not in replicate_fake.predictions[second.prediction_id or ""].input
    film = Path(final.video_path or "")
    assert close(frame_rgb(film, 0.0), BLUE)  # the film opens on the member's image
    assert not close(frame_rgb(film, 0.9), BLUE)  # then scene 1 goes on in its own colour
