"""The model registry: our clip request mapped onto each model's input names."""

from __future__ import annotations

import pytest

from bot.pipeline.clips.video_models import (
    ASPECT_RATIOS,
    MODELS,
    ClipRequest,
    NoStartImage,
    get_model,
    with_references,
    with_start_image,
)

# model -> (duration input for 2, 5, 6, 9 and 30 seconds asked)
EXPECTED_DURATIONS = {
    "bytedance/seedance-1-lite": (5, 5, 5, 10, 10),
    "kwaivgi/kling-v1.6-standard": (5, 5, 5, 10, 10),
    "luma/ray-flash-2-540p": (5, 5, 5, 9, 9),
    "google/veo-3-fast": (4, 4, 6, 8, 8),
    "google/veo-3.1-fast": (4, 4, 6, 8, 8),
    "bytedance/seedance-2.0": (4, 5, 6, 9, 12),
    "kwaivgi/kling-v3-video": (3, 5, 6, 9, 12),
}
ASKED = (2, 5, 6, 9, 30)


def test_at_least_three_models_are_supported() -> None:
    assert len(MODELS) >= 3
    for name, model in MODELS.items():
        assert model.name == name and name.count("/") == 1
        assert model.durations and model.aspect_ratios
        assert set(model.aspect_ratios) <= set(ASPECT_RATIOS)


@pytest.mark.parametrize(
    ("name", "ratio"),
    [(name, ratio) for name, model in MODELS.items() for ratio in model.aspect_ratios],
)
def test_every_supported_ratio_maps_to_inputs(name: str, ratio: str) -> None:
    model = MODELS[name]

    inputs = model.inputs(ClipRequest("a seal at dawn", 5, ratio, seed=3))

    assert inputs["prompt"] == "a seal at dawn"
    assert inputs["aspect_ratio"] == ratio
    assert all(value is not None for value in inputs.values())
    if name in (
        "bytedance/seedance-1-lite",
        "wan-video/wan-2.2-t2v-fast",
        "google/veo-3-fast",
        "google/veo-3.1-fast",
        "bytedance/seedance-2.0",
    ):
        assert inputs["seed"] == 3


@pytest.mark.parametrize("name", sorted(EXPECTED_DURATIONS))
def test_durations_map_to_the_nearest_supported(name: str) -> None:
    model = MODELS[name]

    got = tuple(model.inputs(ClipRequest("p", seconds))["duration"] for seconds in ASKED)

    assert got == EXPECTED_DURATIONS[name]
    assert set(got) <= set(model.durations)


def test_wan_asks_for_frames_not_seconds() -> None:
    model = MODELS["wan-video/wan-2.2-t2v-fast"]

    frames = [model.inputs(ClipRequest("p", s))["num_frames"] for s in (2, 5, 7, 30)]
    first = model.inputs(ClipRequest("p", 5))

    assert frames == [81, 81, 113, 113]
    assert first["frames_per_second"] == 16 and "duration" not in first


def test_seedance_inputs_in_full() -> None:
    inputs = get_model("bytedance/seedance-1-lite").inputs(ClipRequest("a seal", 6, "1:1", 9))

    assert inputs == {
        "prompt": "a seal",
        "duration": 5,
        "aspect_ratio": "1:1",
        "resolution": "480p",
        "fps": 24,
        "seed": 9,
        "camera_fixed": False,
    }


def test_no_seed_is_left_out_rather_than_sent_as_null() -> None:
    for model in MODELS.values():
        assert "seed" not in model.inputs(ClipRequest("p", 5, model.aspect_ratios[0]))


@pytest.mark.parametrize(
    "name", ["wan-video/wan-2.2-t2v-fast", "google/veo-3-fast", "google/veo-3.1-fast"]
)
def test_an_unsupported_ratio_raises(name: str) -> None:
    with pytest.raises(ValueError, match="does not render 1:1"):
        MODELS[name].inputs(ClipRequest("p", 5, "1:1"))


def test_an_unknown_model_names_the_supported_ones() -> None:
    with pytest.raises(KeyError, match="bytedance/seedance-1-lite"):
        get_model("acme/nope")


# -- start images (issue 11 §2) ------------------------------------------------------------

# each model's first-frame input, from its schema on Replicate (bot/pipeline/clips/video_models.py)
START_IMAGE_INPUTS = {
    "bytedance/seedance-1-lite": "image",
    "kwaivgi/kling-v1.6-standard": "start_image",
    "luma/ray-flash-2-540p": "start_image_url",
    "google/veo-3-fast": "image",
    # issue 22's models with their own sound (tests/pipeline/sound/test_sound_models.py)
    "google/veo-3.1-fast": "image",
    "bytedance/seedance-2.0": "image",
    "kwaivgi/kling-v3-video": "start_image",
    # issue 24's models with reference images (their schemas: bot/pipeline/clips/video_models.py)
    "kwaivgi/kling-v3-omni-video": "start_image",
    "google/veo-3.1": "image",
}


@pytest.mark.parametrize(("name", "input_name"), sorted(START_IMAGE_INPUTS.items()))
def test_a_start_image_goes_in_the_models_own_input(name: str, input_name: str) -> None:
    model = get_model(name)
    url = "https://api.replicate.com/v1/files/abc"

    inputs = model.inputs(ClipRequest("a seal", 5, model.aspect_ratios[0], start_image=url))

    assert inputs[input_name] == url
    assert not {"image", "start_image", "start_image_url"} - {input_name} & inputs.keys()
    assert input_name not in model.inputs(ClipRequest("a seal", 5, model.aspect_ratios[0]))


def test_a_text_only_model_refuses_a_start_image_naming_those_that_take_one() -> None:
    wan = get_model("wan-video/wan-2.2-t2v-fast")

    with pytest.raises(NoStartImage) as refused:
        wan.inputs(ClipRequest("a seal", 5, "16:9", start_image="https://x/y.png"))

    assert wan.start_image is None
    assert with_start_image() == sorted(START_IMAGE_INPUTS, key=list(MODELS).index)
    for name in START_IMAGE_INPUTS:
        assert name in str(refused.value)


# -- reference images (issue 24) -----------------------------------------------------------

ADA, BO = ("Ada", "https://r/ada.png"), ("Bo", "https://r/bo.png")


def test_the_models_with_reference_images_are_the_ones_their_schemas_say() -> None:
    assert with_references() == [
        "bytedance/seedance-2.0",
        "kwaivgi/kling-v3-omni-video",
        "google/veo-3.1",
    ]
    assert get_model("google/veo-3.1-fast").references is None  # its schema has none


def test_kling_omni_takes_the_references_with_a_start_image_and_names_them_in_the_prompt() -> None:
    model = get_model("kwaivgi/kling-v3-omni-video")
    request = ClipRequest(
        "Scene 1: a seal", 5, "16:9", start_image="https://r/s.png", references=(ADA, BO)
    )
    inputs = model.inputs(request)
    assert inputs["reference_images"] == [ADA[1], BO[1]]
    assert inputs["start_image"] == "https://r/s.png"
    assert inputs["prompt"] == "Scene 1: a seal Ada is <<<image_1>>>. Bo is <<<image_2>>>."


def test_seedance_2_takes_no_references_with_a_start_frame() -> None:
    model = get_model("bytedance/seedance-2.0")
    alone = model.inputs(ClipRequest("a seal", 5, references=(ADA,)))
    assert alone["reference_images"] == [ADA[1]] and alone["prompt"].endswith("Ada is [Image1].")
    started = model.inputs(ClipRequest("a seal", 5, start_image="https://r/s", references=(ADA,)))
    assert "reference_images" not in started and started["prompt"] == "a seal"
    assert started["image"] == "https://r/s"  # the start frame wins


@pytest.mark.parametrize(
    ("seconds", "ratio", "takes"),
    [(8, "16:9", True), (10, "16:9", True), (5, "16:9", False), (8, "9:16", False)],
)
def test_veo_3_1_takes_references_only_for_8_second_landscape_clips(
    seconds: int, ratio: str, takes: bool
) -> None:
    model = get_model("google/veo-3.1")
    inputs = model.inputs(ClipRequest("a seal", seconds, ratio, references=(ADA,)))
    assert ("reference_images" in inputs) is takes
    refusal = model.reference_refusal(ClipRequest("a seal", seconds, ratio))
    assert (refusal is None) is takes


def test_references_are_cut_to_the_models_most_and_absent_on_other_models() -> None:
    many = tuple((f"C{i}", f"https://r/{i}") for i in range(5))
    veo = get_model("google/veo-3.1").inputs(ClipRequest("p", 8, references=many))
    assert veo["reference_images"] == [url for _, url in many[:3]]
    plain = get_model("bytedance/seedance-1-lite").inputs(ClipRequest("p", 5, references=many))
    assert "reference_images" not in plain and plain["prompt"] == "p"
