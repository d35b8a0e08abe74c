"""This season's models that render their own sound (issue 22): their inputs as their schemas
on Replicate name them, the start-up check knows them, and the fake serves their clips with
sound."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import aiohttp
import pytest
import replicate

from bot.pipeline.clips.video_models import MODELS, SOUND_MODELS, ClipRequest, get_model
from bot.pipeline.spend.prices import PRICES
from bot.services import check_configuration
from tests.fakes.audio import mean_volume, streams
from tests.fakes.replicate_files import START_IMAGE_INPUTS

TODAY = date(2026, 12, 7)
EXPECTED = {  # model -> (start-image input, durations for 2, 5, 9, 30 s asked)
    "google/veo-3.1-fast": ("image", (4, 4, 8, 8)),
    "bytedance/seedance-2.0": ("image", (4, 5, 9, 12)),
    "kwaivgi/kling-v3-video": ("start_image", (3, 5, 9, 12)),
    # issue 24's models that take reference images too
    "kwaivgi/kling-v3-omni-video": ("start_image", (3, 5, 9, 12)),
    "google/veo-3.1": ("image", (4, 4, 8, 8)),
}


@pytest.mark.parametrize("name", SOUND_MODELS)
def test_a_sound_model_asks_for_its_own_sound_and_takes_a_first_frame(name: str) -> None:
    model = get_model(name)
    start_input, durations = EXPECTED[name]
    inputs = model.inputs(ClipRequest("a seal", 5, "16:9", start_image="https://x/y.png"))
    assert model.sound and inputs["generate_audio"] is True
    assert model.start_image is not None and model.start_image.input == start_input
    assert inputs[start_input] == "https://x/y.png"
    assert START_IMAGE_INPUTS[name] == start_input  # the fake takes the same input
    got = tuple(model.inputs(ClipRequest("p", s))["duration"] for s in (2, 5, 9, 30))
    assert got == durations
    assert name in PRICES and PRICES[name].kind == "video"  # listed, even without a figure


def test_the_older_models_make_no_sound() -> None:
    assert {n for n, m in MODELS.items() if m.sound} == set(SOUND_MODELS)
    assert get_model("google/veo-3-fast").inputs(ClipRequest("p", 5))["generate_audio"] is False


@pytest.mark.parametrize("name", SOUND_MODELS)
async def test_the_start_up_check_knows_each_sound_model(name: str, make_settings, replicate_fake):  # type: ignore[no-untyped-def]
    replicate_fake.models = set(MODELS)  # the fake catalog answers 404 for any other model
    result = await check_configuration(make_settings(video_model=name), today=TODAY)
    assert [p for p in result.problems if p.setting == "VIDEO_MODEL"] == []


async def test_the_fake_serves_a_sound_models_clips_with_their_own_sound(
    tmp_path: Path,
    replicate_fake,  # type: ignore[no-untyped-def]
) -> None:
    client = replicate.Client(api_token="t", base_url=replicate_fake.base_url)
    inputs = get_model("bytedance/seedance-2.0").inputs(ClipRequest("scene 1", 5))
    prediction = await client.models.predictions.async_create(
        "bytedance/seedance-2.0", input=inputs
    )
    while prediction.status not in ("succeeded", "failed"):
        await asyncio.sleep(0.05)
        await prediction.async_reload()
    output = prediction.output
    url = output if isinstance(output, str) else output[0]
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        (tmp_path / "clip.mp4").write_bytes(await response.read())
    assert streams(tmp_path / "clip.mp4") == ["Video", "Audio"]
    assert mean_volume(tmp_path / "clip.mp4", 0.1, 0.9) > -40


def test_the_member_is_told_when_narration_covers_the_models_own_sound() -> None:
    from bot.pipeline.sound.notes import sound_note

    note = sound_note("bytedance/seedance-2.0", narrated=True)
    assert note is not None and "narration is laid over it" in note
    assert sound_note("bytedance/seedance-2.0", narrated=False) is None
    assert sound_note("bytedance/seedance-1-lite", narrated=True) is None  # silent clips
