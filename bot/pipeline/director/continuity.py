"""Continuity between scenes: `parallel` (every scene rendered at once, the default) or
`chained` (scene N+1 starts from the last frame of scene N, so the scenes render one after
another: `bot.pipeline.director.chain`). Here: who may ask for chained, and what the member is told
about
the wait (pure)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from bot.pipeline.clips.video_models import VideoModel, with_start_image
from bot.pipeline.errors import GenerationError
from storage.models import Continuity

# The render time of one scene when this deployment has rendered none yet: video models on
# Replicate take about 30 to 120 s a clip (e.g. https://theneuralbase.com/replicate/learn/
# intermediate/wan-2-2-kling-other-models/: "30-120 seconds per output"); the upper half is
# assumed, so the wait announced is rarely shorter than the real one.
DEFAULT_RENDER_SECONDS = 90.0
RECENT_CLIPS = 20  # the typical render time is the median of this many recent clips


def parse(value: str | None) -> Continuity:
    """The continuity asked for (None: parallel); GenerationError names the choices."""
    if value is None:
        return Continuity.PARALLEL
    try:
        return Continuity(value.strip().lower())
    except ValueError:
        choices = ", ".join(c.value for c in Continuity)
        raise GenerationError(f"continuity must be one of {choices}, not {value!r}.") from None


def check(continuity: Continuity, model: VideoModel, *, video_enabled: bool) -> None:
    """Raise GenerationError (shown privately; nothing is started or spent) when `chained`
    cannot be done here: the video model has no start-image input, or video is off."""
    if continuity is not Continuity.CHAINED:
        return
    if not video_enabled:
        raise GenerationError("Chained scenes need video generation, which is off here.")
    if model.start_image is None:
        raise GenerationError(
            f"{cannot_chain(model)} Use continuity: parallel, or ask the operator to change "
            "VIDEO_MODEL."
        )


def cannot_chain(model: VideoModel) -> str:
    """Why `model` cannot chain scenes, naming the models that can."""
    models = ", ".join(with_start_image()) or "none"
    return (
        "Chained scenes start each scene from the last frame of the one before, and the video "
        f"model here ({model.name}) cannot start from an image. Models that can: {models}."
    )


def typical_render_seconds(recent: Sequence[float]) -> float:
    """One scene's typical render time: the median of the recent clips' render times (what
    Replicate billed, `metrics.predict_time`), or `DEFAULT_RENDER_SECONDS` without any."""
    measured = [s for s in recent if s > 0]
    return statistics.median(measured) if measured else DEFAULT_RENDER_SECONDS


@dataclass(frozen=True, slots=True)
class ChainedRender:
    """A chained generation's render, as the member is told: its scenes and the expected
    wait (scenes × the typical render time; None when not known, e.g. rebuilt from rows)."""

    scenes: int
    expected_seconds: float | None = None

    def notice(self) -> str:
        text = (
            "🔗 Chained: the scenes render one after another, each starting from the last "
            "frame of the one before"
        )
        if self.expected_seconds is None or self.scenes <= 0:
            return text + "."
        each = self.expected_seconds / self.scenes
        return (
            f"{text} — expect about {duration(self.expected_seconds)} "
            f"({self.scenes} scene{'s' if self.scenes != 1 else ''} × ~{duration(each)})."
        )


def expected(scenes: int, recent: Sequence[float]) -> ChainedRender:
    return ChainedRender(scenes, scenes * typical_render_seconds(recent))


def duration(seconds: float) -> str:
    """ "45 s", "3 min", "2 min 30 s" (rounded to 5 s above a minute)."""
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    seconds = 5 * round(seconds / 5)
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "")
