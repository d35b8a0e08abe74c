"""The text-to-video models we support, and how a clip request maps onto each one's inputs."""

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


@dataclass(frozen=True)
class VideoModel:
    """One Replicate model: its name, what it accepts, and its input builder."""

    name: str
    durations: tuple[int, ...]
    aspect_ratios: tuple[str, ...]
    build: Callable[[ClipRequest, int], dict[str, Any]]

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


MODELS: dict[str, VideoModel] = {
    m.name: m
    for m in (
        VideoModel("bytedance/seedance-1-lite", (5, 10), ASPECT_RATIOS, _seedance),
        VideoModel("wan-video/wan-2.2-t2v-fast", (5, 7), ("16:9", "9:16"), _wan),
        VideoModel("kwaivgi/kling-v1.6-standard", (5, 10), ASPECT_RATIOS, _kling),
        VideoModel("luma/ray-flash-2-540p", (5, 9), ASPECT_RATIOS, _ray),
        VideoModel("google/veo-3-fast", (4, 6, 8), ("16:9", "9:16"), _veo),
    )
}


def get_model(name: str) -> VideoModel:
    """The adapter for `name` (`owner/name`); KeyError names the supported ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown video model {name!r}; supported: {', '.join(MODELS)}") from None
