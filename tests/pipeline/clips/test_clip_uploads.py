"""A clip's start image at Replicate (issue 19 items 2 and 3), on the runner's repository and
the fake: an upload about to expire is made again before a create, one still good is reused,
each is deleted once its prediction has ended; a create names a deadline."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from bot.pipeline.clips.predictions import deadline_header
from bot.pipeline.clips.replicate_files import EXPIRY_MARGIN, ReplicateFiles, read_upload
from bot.pipeline.clips.uploads import ClipUploads
from storage.models import NewGeneration
from tests.fakes.mp4 import make_image


@pytest.fixture
async def uploads(harness, replicate_fake):
    async with httpx.AsyncClient(
        base_url=replicate_fake.base_url, headers={"Authorization": "Bearer t"}
    ) as api:
        yield ClipUploads(harness.repo, ReplicateFiles(api))


async def _clip(harness):
    generation = await harness.repo.create_generation(NewGeneration(owner_id=1, prompt="a seal"))
    await harness.repo.set_shot_list(
        generation.id, title="Seal", shot_list="{}", scenes=[("Scene 1", 5)]
    )
    (clip,) = await harness.repo.clips(generation.id)
    return clip


async def test_an_upload_within_the_margin_of_its_expiry_is_made_again(
    harness, replicate_fake, uploads, tmp_path: Path
) -> None:
    image = make_image(tmp_path / "s.png", width=64, height=36)
    clip = await _clip(harness)

    async def path() -> Path:
        return image

    replicate_fake.file_lifetime = EXPIRY_MARGIN + 3600  # good for an hour past the margin
    first = await uploads.ready(clip, path)
    again = await uploads.ready(first, path)
    assert again.start_image_url == first.start_image_url is not None  # reused

    replicate_fake.file_lifetime = EXPIRY_MARGIN - 1  # would expire before the model reads it
    short = await uploads.ready(await _clip(harness), path)
    renewed = await uploads.ready(short, path)
    assert renewed.start_image_url != short.start_image_url
    assert len(replicate_fake.uploaded) == 3

    await uploads.release(renewed.id)
    assert not await harness.repo.clip_uploads(renewed.id)
    assert len(replicate_fake.deleted_files) == 2  # both of that clip, the old one too


@pytest.mark.parametrize(
    "body",
    [None, [], {"id": 5}, {"id": "x"}, {"id": "x", "urls": {"get": 7}}, {"urls": {"get": "u"}}],
)
def test_an_upload_answer_without_id_or_url_is_unreadable(body: object) -> None:
    with pytest.raises(ValueError, match="upload"):
        read_upload(body)


def test_an_upload_answer_without_a_readable_expiry_is_given_an_hour() -> None:
    upload = read_upload({"id": "x", "urls": {"get": "u"}, "expires_at": 1700000000})
    assert upload.expires_at == pytest.approx(time.time() + 3600, abs=5)


def test_the_deadline_header_is_the_clip_timeout_and_a_margin_in_seconds() -> None:
    assert deadline_header(900.0) == {"Cancel-After": "930s"}
    assert deadline_header(None) == {} and deadline_header(0) == {}
