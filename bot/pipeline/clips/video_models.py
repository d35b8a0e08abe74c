"""The text-to-video models we support, and how a clip request maps onto each one's inputs.

A model that can start from an image declares it with a `StartImage`: the name of its input
(each model's own schema on Replicate) and the image sizes it takes. A request with a start
image for a model without one raises `NoStartImage` rather than sending an input the model
would drop or refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ASPECT_RATIOS = ("16:9", "9:16", "1:1")


@dataclass(frozen=True)
class ClipRequest:
    """What we ask of one clip, whatever the model."""

    prompt: str
    duration: int
    aspect_ratio: str = "16:9"
    seed: int | None = None
    start_image: str | None = None  # the first frame: a URL Replicate can fetch (our upload)


# Kling's image-to-video reference: ".jpg/.jpeg/.png. Image size cannot exceed 10MB, dimensions
# not less than 300px, aspect ratio between 1:2.5 ~ 2.5:1" (KlingAI API docs, `image`; Tencent
# Cloud's VOD API repeats it for Kling). Replicate's schema pages state no limits for the other
# models, so the same bounds are used for them: an image inside them suits every model here.
MIN_IMAGE_SIDE = 300
MAX_IMAGE_RATIO = 2.5


@dataclass(frozen=True)
class StartImage:
    """How a model takes a first frame: its input's name and the images it accepts."""

    input: str
    min_side: int = MIN_IMAGE_SIDE  # pixels, the shorter side
    max_ratio: float = MAX_IMAGE_RATIO  # longer side / shorter side


class NoStartImage(ValueError):
    """A start image was asked of a model that has no start-image input."""


@dataclass(frozen=True)
class VideoModel:
    """One Replicate model: its name, what it accepts, and its input builder."""

    name: str
    durations: tuple[int, ...]
    aspect_ratios: tuple[str, ...]
    build: Callable[[ClipRequest, int], dict[str, Any]]
    start_image: StartImage | None = None
    sound: bool = False  # its clips carry their own sound (asked for with its audio input)

    def nearest_duration(self, seconds: int) -> int:
        """The supported duration closest to `seconds` (the shorter one on a tie)."""
        return min(self.durations, key=lambda d: (abs(d - seconds), d))

    def inputs(self, request: ClipRequest) -> dict[str, Any]:
        """The prediction input for `request`; unsupported aspect ratios raise ValueError."""
        if request.aspect_ratio not in self.aspect_ratios:
            raise ValueError(
                f"{self.name} does not render {request.aspect_ratio}; "
                f"it supports {', '.join(self.aspect_ratios)}"
            )
        inputs = self.build(request, self.nearest_duration(request.duration))
        if request.start_image is not None:
            if self.start_image is None:
                raise NoStartImage(
                    f"{self.name} cannot start from an image; "
                    f"models that can: {', '.join(with_start_image())}"
                )
            inputs[self.start_image.input] = request.start_image
        return {key: value for key, value in inputs.items() if value is not None}


def _seedance(r: ClipRequest, duration: int) -> dict[str, Any]:
    return {
        "prompt": r.prompt,
        "duration": duration,
        "aspect_ratio": r.aspect_ratio,
        "resolution": "480p",
        "fps": 24,
        "seed": r.seed,
        "camera_fixed": False,
    }


def _wan(r: ClipRequest, duration: int) -> dict[str, Any]:
    fps = 16
    return {
        "prompt": r.prompt,
        "num_frames": min(121, max(81, duration * fps + 1)),
        "frames_per_second": fps,
        "aspect_ratio": r.aspect_ratio,
        "resolution": "480p",
        "seed": r.seed,
        "go_fast": True,
    }


def _kling(r: ClipRequest, duration: int) -> dict[str, Any]:
    return {"prompt": r.prompt, "duration": duration, "aspect_ratio": r.aspect_ratio}


def _ray(r: ClipRequest, duration: int) -> dict[str, Any]:
    return {"prompt": r.prompt, "duration": duration, "aspect_ratio": r.aspect_ratio, "loop": False}


def _veo(r: ClipRequest, duration: int) -> dict[str, Any]:
    return {
        "prompt": r.prompt,
        "duration": duration,
        "aspect_ratio": r.aspect_ratio,
        "resolution": "720p",
        "generate_audio": False,
        "seed": r.seed,
    }


def _veo_sound(r: ClipRequest, duration: int) -> dict[str, Any]:
    return {**_veo(r, duration), "generate_audio": True}


def _seedance_2(r: ClipRequest, duration: int) -> dict[str, Any]:
    return {
        "prompt": r.prompt,
        "duration": duration,
        "aspect_ratio": r.aspect_ratio,
        "resolution": "480p",
        "generate_audio": True,
        "seed": r.seed,
    }


def _kling_3(r: ClipRequest, duration: int) -> dict[str, Any]:
    return {
        "prompt": r.prompt,
        "duration": duration,
        "aspect_ratio": r.aspect_ratio,
        "mode": "standard",
        "generate_audio": True,
    }


# This season's models that render sound with the picture (issue 22), each input from its
# schema on Replicate:
# - google/veo-3.1-fast: `prompt`, `duration` (4, 6, 8 s, as Veo 3 Fast and Google's Veo 3.1
#   docs), `aspect_ratio` 16:9 | 9:16, `resolution` 720p | 1080p, `image` ("Input image to start
#   generating from"), `last_frame`, `seed`, `generate_audio` (default true) -- the Replicate
#   model's inputs as listed at https://api.core.today/v1/models/google/veo-3.1-fast/llms.txt
#   ("Provider: replicate"; no copy of replicate.com's own page was available).
# - bytedance/seedance-2.0: `prompt`, `image` ("Input image for image-to-video generation (first
#   frame)"), `duration` (integer, -1 or up to 15; 4 to 12 used here), `resolution` (480p
#   used, as in Replicate's example prediction https://replicate.com/p/jza4d1rvm5rmw0cxv1vrtv5jjr),
#   `aspect_ratio`, `generate_audio` (default true: "dialogue ..., sound effects, and background
#   music"), `seed` (https://replicate.com/bytedance/seedance-2.0/versions/d456b64a.../api).
# - kwaivgi/kling-v3-video: `prompt`, `start_image` ("First frame image ... min 300px, aspect
#   ratio 1:2.5 to 2.5:1"), `mode` standard (720p) | pro (1080p), `aspect_ratio` ("Ignored when
#   start_image is provided"), `duration` 3 to 15, `generate_audio` (default false, so asked),
#   no seed (https://replicate.com/kwaivgi/kling-v3-video/versions/4a8ba274.../api).
SOUND_MODELS = ("google/veo-3.1-fast", "bytedance/seedance-2.0", "kwaivgi/kling-v3-video")

# Start-image inputs, from each model's schema on Replicate (the "API" tab of its page):
# - seedance: `image` (bytedance/seedance-1-lite's schema as public Replicate callers list it:
#   `image`, "Input image URL"; the family's page, https://replicate.com/bytedance/seedance-2.0/
#   versions/d456b64a.../api: `image`, "Input image for image-to-video generation (first frame)").
# - wan-2.2-t2v-fast: text-to-video only, no image input (Replicate has a separate i2v model).
# - kling: `start_image`, "First frame of the video" (https://replicate.com/kwaivgi/kling-v1.6-pro/
#   versions/03b02153.../api; kling-v2.0 the same); "aspect_ratio ... Ignored if start_image is
#   provided".
# - ray-flash-2-540p: `start_image_url`, "URL of an image to use as the starting frame"
#   (https://replicate.com/luma/ray-flash-2-540p/versions/4f9b34fa.../api; the 720p model
#   renames it `start_image`).
# - veo-3-fast: `image`, "Input image to start generating from. Ideal images are 16:9 or 9:16 and
#   1280x720 or 720x1280" (https://replicate.com/google/veo-3-fast/versions/368d4063.../api).
MODELS: dict[str, VideoModel] = {
    m.name: m
    for m in (
        VideoModel(
            "bytedance/seedance-1-lite", (5, 10), ASPECT_RATIOS, _seedance, StartImage("image")
        ),
        VideoModel("wan-video/wan-2.2-t2v-fast", (5, 7), ("16:9", "9:16"), _wan),
        VideoModel(
            "kwaivgi/kling-v1.6-standard",
            (5, 10),
            ASPECT_RATIOS,
            _kling,
            StartImage("start_image"),
        ),
        VideoModel(
            "luma/ray-flash-2-540p", (5, 9), ASPECT_RATIOS, _ray, StartImage("start_image_url")
        ),
        VideoModel("google/veo-3-fast", (4, 6, 8), ("16:9", "9:16"), _veo, StartImage("image")),
        VideoModel(
            "google/veo-3.1-fast",
            (4, 6, 8),
            ("16:9", "9:16"),
            _veo_sound,
            StartImage("image"),
            sound=True,
        ),
        VideoModel(
            "bytedance/seedance-2.0",
            tuple(range(4, 13)),
            ASPECT_RATIOS,
            _seedance_2,
            StartImage("image"),
            sound=True,
        ),
        VideoModel(
            "kwaivgi/kling-v3-video",
            tuple(range(3, 13)),
            ASPECT_RATIOS,
            _kling_3,
            StartImage("start_image"),
            sound=True,
        ),
    )
}


def with_start_image() -> list[str]:
    """The models that can start from an image, by name."""
    return [name for name, model in MODELS.items() if model.start_image is not None]


def get_model(name: str) -> VideoModel:
    """The adapter for `name` (`owner/name`); KeyError names the supported ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown video model {name!r}; supported: {', '.join(MODELS)}") from None
