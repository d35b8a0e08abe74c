"""Self-tests of the fake Replicate's files API and start-image inputs, through the real client."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import replicate
from replicate.exceptions import ReplicateError

from tests.fakes.mp4 import frame_rgb, make_image
from tests.fakes.replicate_fake import FakeReplicate

BLUE = (32, 64, 192)


@pytest.fixture
async def fake() -> AsyncIterator[FakeReplicate]:
    async with FakeReplicate() as fake:
        yield fake


@pytest.fixture
def client(fake: FakeReplicate) -> replicate.Client:
    return replicate.Client(api_token="r8_test", base_url=fake.base_url)


def _close(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


async def _finish(client: replicate.Client, prediction_id: str) -> str:
    for _ in range(250):
        prediction = await client.predictions.async_get(prediction_id)
        if prediction.status == "succeeded":
            return str(prediction.output)
        await asyncio.sleep(0.02)
    raise AssertionError("the prediction did not finish")


async def _first_and_last(tmp_path: Path, url: str) -> tuple[tuple[int, int, int], ...]:
    async with httpx.AsyncClient() as http:
        clip = tmp_path / "clip.mp4"
        clip.write_bytes((await http.get(url)).content)
    return frame_rgb(clip, 0.0), frame_rgb(clip, 0.9)


async def test_an_upload_answers_the_file_object(fake, client, tmp_path) -> None:
    image = make_image(tmp_path / "start.png", width=320, height=180, color="0x2040c0")

    uploaded = await client.files.async_create(image, content_type="image/png")

    assert uploaded.urls["get"] == f"{fake.base_url}/v1/files/{uploaded.id}"
    assert (uploaded.name, uploaded.content_type) == ("start.png", "image/png")
    assert uploaded.size == image.stat().st_size and set(uploaded.checksums) == {"md5", "sha256"}
    assert uploaded.expires_at > uploaded.created_at
    assert fake.files[uploaded.id].data == image.read_bytes()
    assert (await client.files.async_get(uploaded.id)).id == uploaded.id


async def test_a_clip_from_a_start_image_opens_on_its_colour(fake, client, tmp_path) -> None:
    image = make_image(tmp_path / "start.png", width=320, height=180, color="0x2040c0")
    uploaded = await client.files.async_create(image, content_type="image/png")

    created = await client.predictions.async_create(
        model="kwaivgi/kling-v1.6-standard",
        input={"prompt": "Scene 1: a seal", "start_image": uploaded.urls["get"]},
    )
    first, last = await _first_and_last(tmp_path, await _finish(client, created.id))

    assert _close(first, BLUE)
    assert _close(last, (254, 0, 0))  # the scene's own colour (palette[0], red) after it
    assert created.input["start_image"] == uploaded.urls["get"]  # echoed as given


async def test_a_data_uri_start_image_works_too(fake, client, tmp_path) -> None:
    image = make_image(tmp_path / "s.jpg", width=320, height=180, color="0x2040c0", fmt="jpeg")
    uri = "data:image/jpeg;base64," + base64.b64encode(image.read_bytes()).decode()

    created = await client.predictions.async_create(
        model="bytedance/seedance-1-lite", input={"prompt": "Scene 2: x", "image": uri}
    )
    first, _ = await _first_and_last(tmp_path, await _finish(client, created.id))

    assert _close(first, BLUE)


async def test_a_clip_without_a_start_image_is_its_own_colour(fake, client, tmp_path) -> None:
    created = await client.predictions.async_create(
        model="bytedance/seedance-1-lite", input={"prompt": "Scene 1: a seal"}
    )
    first, last = await _first_and_last(tmp_path, await _finish(client, created.id))

    assert _close(first, (254, 0, 0)) and _close(last, (254, 0, 0))
    assert fake.start_color_for(created.id) is None


async def test_a_start_image_on_a_text_only_model_is_422_when_rejecting(
    fake, client, tmp_path
) -> None:
    fake.unknown_inputs = "reject"  # as strictly validating Cog models did
    uploaded = await client.files.async_create(
        io.BytesIO(make_image(tmp_path / "s.png", width=320, height=180).read_bytes()),
        filename="s.png",
    )

    with pytest.raises(ReplicateError) as caught:
        await client.predictions.async_create(
            model="wan-video/wan-2.2-t2v-fast",
            input={"prompt": "a seal", "image": uploaded.urls["get"]},
        )

    assert (caught.value.status, caught.value.title) == (422, "Input validation failed")
    assert "Additional property image is not allowed" in str(caught.value.detail)
    assert fake.predictions == {}


async def test_the_wrong_input_name_is_ignored_by_default_and_422_when_rejecting(
    fake, client
) -> None:
    inputs = {"prompt": "a seal", "image": "https://example.com/a.png"}

    fake.unknown_inputs = "reject"
    with pytest.raises(ReplicateError):  # kling's first frame is `start_image`, not `image`
        await client.predictions.async_create(model="kwaivgi/kling-v1.6-standard", input=inputs)
    fake.unknown_inputs = "drop"
    created = await client.predictions.async_create(
        model="kwaivgi/kling-v1.6-standard", input=inputs
    )

    assert fake.start_color_for(created.id) is None


async def test_an_upload_lives_an_hour_by_default_then_a_prediction_naming_it_fails(
    fake, client, tmp_path
) -> None:
    image = make_image(tmp_path / "s.png", width=320, height=180, color="0x2040c0")
    uploaded = await client.files.async_create(image, content_type="image/png")
    created, expires = (
        datetime.fromisoformat(t.replace("Z", "+00:00"))
        for t in (uploaded.created_at, uploaded.expires_at)
    )
    assert (expires - created).total_seconds() == pytest.approx(3600, abs=1)

    fake.advance(3601)
    prediction = await client.predictions.async_create(
        model="bytedance/seedance-1-lite",
        input={"prompt": "Scene 1: a seal", "image": uploaded.urls["get"]},
    )
    fake.advance(1)  # its clip delay

    ended = await client.predictions.async_get(prediction.id)
    assert ended.status == "failed" and "404" in str(ended.error)
    with pytest.raises(ReplicateError) as caught:
        await client.files.async_get(uploaded.id)
    assert caught.value.status == 404


async def test_a_deleted_upload_is_recorded_and_gone(fake, client, tmp_path) -> None:
    image = make_image(tmp_path / "s.png", width=32, height=18)
    uploaded = await client.files.async_create(image, content_type="image/png")

    await client.files.async_delete(uploaded.id)

    assert fake.deleted_files == [uploaded.id] and uploaded.id not in fake.files


@pytest.mark.parametrize(
    ("header", "status"), [(None, "starting"), ("1s", "aborted"), ("1m", "aborted")]
)
async def test_a_queued_prediction_is_aborted_only_with_a_deadline(
    fake, header: str | None, status: str
) -> None:
    fake.script(["aborted"])
    headers = {"Authorization": "Bearer t"} | ({"Cancel-After": header} if header else {})
    async with httpx.AsyncClient(base_url=fake.base_url, headers=headers) as api:
        created = await api.post(
            "/v1/models/acme/video/predictions", json={"input": {"prompt": "a seal"}}
        )
        fake.advance(3600)
        ended = await api.get(f"/v1/predictions/{created.json()['id']}")

    assert ended.json()["status"] == status


async def test_a_running_prediction_past_its_deadline_is_canceled(fake) -> None:
    fake.script(["stuck"])
    headers = {"Authorization": "Bearer t", "Cancel-After": "2m"}
    async with httpx.AsyncClient(base_url=fake.base_url, headers=headers) as api:
        created = await api.post(
            "/v1/models/acme/video/predictions", json={"input": {"prompt": "a seal"}}
        )
        fake.advance(60)
        running = await api.get(f"/v1/predictions/{created.json()['id']}")
        fake.advance(61)
        ended = await api.get(f"/v1/predictions/{created.json()['id']}")

    assert running.json()["status"] == "processing" and ended.json()["status"] == "canceled"
