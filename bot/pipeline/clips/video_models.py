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
    # issue 24: the portraits of the characters the scene shows, (name, URL of our upload)
    references: tuple[tuple[str, str], ...] = ()


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


@dataclass(frozen=True)
class ReferenceImages:
    """How a model takes reference images of the characters (issue 24): its input's name (an
    array of URIs), how many at most, and the clips it takes them with. `durations` and
    `aspect_ratios` (None: any the model renders) bound the clips they work with; without
    `with_start_image` a clip that starts from an image takes none (the start frame wins).
    `tag` names the n-th image in the prompt as the model's schema says ("" when it says
    nothing)."""

    input: str
    max_count: int
    durations: tuple[int, ...] | None = None
    aspect_ratios: tuple[str, ...] | None = None
    with_start_image: bool = False
    tag: str = ""  # e.g. "[Image{n}]", formatted with n = 1, 2, ...

    def fits(self, duration: int, aspect_ratio: str, *, start_image: bool) -> str | None:
        """None when a clip of `duration` s (as the model renders it) at `aspect_ratio` can
        take reference images; else why not, in words a member can read."""
        if start_image and not self.with_start_image:
            return "it starts from an image, and the model takes no reference images with one"
        if self.durations is not None and duration not in self.durations:
            listed = ", ".join(f"{d} s" for d in self.durations)
            return f"the model takes reference images only for clips of {listed}"
        if self.aspect_ratios is not None and aspect_ratio not in self.aspect_ratios:
            return f"the model takes reference images only at {', '.join(self.aspect_ratios)}"
        return None


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
    references: ReferenceImages | None = None  # issue 24: the characters' portraits

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
        if request.references and self.reference_refusal(request) is None:
            assert self.references is not None
            refs = request.references[: self.references.max_count]
            inputs[self.references.input] = [url for _, url in refs]
            if self.references.tag:  # the schema's way to point at the n-th image
                named = " ".join(
                    f"{name} is {self.references.tag.format(n=n)}."
                    for n, (name, _) in enumerate(refs, start=1)
                )
                inputs["prompt"] = f"{inputs['prompt']} {named}"
        return {key: value for key, value in inputs.items() if value is not None}

    def reference_refusal(self, request: ClipRequest) -> str | None:
        """None when `request`'s clip can take reference images on this model; else why not."""
        if self.references is None:
            return "the video model takes no reference images"
        return self.references.fits(
            self.nearest_duration(request.duration),
            request.aspect_ratio,
            start_image=request.start_image is not None,
        )


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


def _kling_omni(r: ClipRequest, duration: int) -> dict[str, Any]:
    return {
        "prompt": r.prompt,
        "duration": duration,
        "aspect_ratio": r.aspect_ratio,
        "mode": "standard",
        "generate_audio": True,
    }


# Reference images (issue 24), from each model's schema on Replicate:
# - bytedance/seedance-2.0: `reference_images`, an array of URIs, "Reference images (up to 9) for
#   character consistency... Cannot be used together with first/last frame images. You can
#   reference them in your prompt as [Image1], [Image2]"; `image` (the first frame) "Cannot be
#   combined with reference images" (https://replicate.com/bytedance/seedance-2.0/versions/
#   d456b64a.../api). So a scene that starts from an image (chained, a member's first frame,
#   Extend's first scene) gets no references on it: the start frame wins.
# - kwaivgi/kling-v3-omni-video: `reference_images`, an array, ".jpg/.jpeg/.png. Max 7 without
#   video, 4 with video", referred to in the prompt as <<<image_1>>>; `start_image` (URI, min
#   300 px, ratio 1:2.5..2.5:1); `duration` 3..15; `generate_audio` (default false, so asked);
#   `mode` standard (720p) | pro (1080p); `aspect_ratio` 16:9 | 9:16 | 1:1
#   (https://replicate.com/kwaivgi/kling-v3-omni-video/versions/1d449e25.../api). The schema says
#   nothing against a start image with references: both are sent.
# - google/veo-3.1: `reference_images`, "1 to 3 reference images for subject-consistent
#   generation... Reference images only work with 16:9 aspect ratio and 8-second duration. Last
#   frame is ignored if reference images are provided" (https://replicate.com/google/veo-3.1/
#   versions/ed5b1767.../api); Google's GenerateVideosConfig.referenceImages: "The image, video,
#   or last_frame field are not supported" alongside them. durations 4/6/8, 16:9 | 9:16,
#   `generate_audio` default true. google/veo-3.1-fast's schema has no reference input.
SEEDANCE_REFERENCES = ReferenceImages("reference_images", 9, tag="[Image{n}]")
KLING_OMNI_REFERENCES = ReferenceImages(
    "reference_images", 7, with_start_image=True, tag="<<<image_{n}>>>"
)
VEO_REFERENCES = ReferenceImages("reference_images", 3, durations=(8,), aspect_ratios=("16:9",))

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
SOUND_MODELS = (
    "google/veo-3.1-fast",
    "bytedance/seedance-2.0",
    "kwaivgi/kling-v3-video",
    "kwaivgi/kling-v3-omni-video",
    "google/veo-3.1",
)

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
            references=SEEDANCE_REFERENCES,
        ),
        VideoModel(
            "kwaivgi/kling-v3-video",
            tuple(range(3, 13)),
            ASPECT_RATIOS,
            _kling_3,
            StartImage("start_image"),
            sound=True,
        ),
        VideoModel(
            "kwaivgi/kling-v3-omni-video",
            tuple(range(3, 13)),
            ASPECT_RATIOS,
            _kling_omni,
            StartImage("start_image"),
            sound=True,
            references=KLING_OMNI_REFERENCES,
        ),
        VideoModel(
            "google/veo-3.1",
            (4, 6, 8),
            ("16:9", "9:16"),
            _veo_sound,
            StartImage("image"),
            sound=True,
            references=VEO_REFERENCES,
        ),
    )
}


def with_start_image() -> list[str]:
    """The models that can start from an image, by name."""
    return [name for name, model in MODELS.items() if model.start_image is not None]


def with_references() -> list[str]:
    """The models that take reference images of the characters, by name."""
    return [name for name, model in MODELS.items() if model.references is not None]


def get_model(name: str) -> VideoModel:
    """The adapter for `name` (`owner/name`); KeyError names the supported ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown video model {name!r}; supported: {', '.join(MODELS)}") from None
