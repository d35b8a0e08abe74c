"""The shot list the analysis model writes, and the rules that bound it whatever it says."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.pipeline.text import one_line


class Scene(BaseModel):
    """One scene: a self-contained visual prompt and how long it lasts."""

    model_config = ConfigDict(frozen=True)

    prompt: str = Field(description="A self-contained visual description of this shot.")
    duration: int = Field(description="Length of the shot in whole seconds (4 to 10).")


class ShotList(BaseModel):
    """A short film's plan: title, visual style and continuity notes, and its scenes."""

    model_config = ConfigDict(frozen=True)

    title: str = Field(description="A short title for the film.")
    style: str = Field(description="Visual style and continuity notes shared by every scene.")
    scenes: list[Scene] = Field(description="The scenes, in order.")


MIN_SCENE_SECONDS = 2
MAX_SCENE_SECONDS = 10
MAX_PROMPT_CHARS = 1500
MAX_TITLE_CHARS = 100


def clamp(shot_list: ShotList, *, wanted: int | None, max_clips: int) -> ShotList:
    """Bound what the model answered: at most `wanted` (or `max_clips`) scenes, blank scenes
    dropped, durations and lengths limited, every text on one line without control characters
    (terminal escapes: it is shown in terminals too). Raises ValueError when nothing usable is
    left or when exactly `wanted` scenes were asked for and fewer came back."""
    limit = min(wanted or max_clips, max_clips)
    scenes = [
        Scene(prompt=prompt[:MAX_PROMPT_CHARS], duration=_seconds(s.duration))
        for s in shot_list.scenes
        if (prompt := one_line(s.prompt))
    ][:limit]
    if not scenes:
        raise ValueError("the shot list has no usable scene")
    if wanted is not None and len(scenes) < limit:
        raise ValueError(f"asked for exactly {limit} scenes, got {len(scenes)}")
    title = one_line(shot_list.title)[:MAX_TITLE_CHARS] or "Untitled"
    style = one_line(shot_list.style)[:MAX_PROMPT_CHARS]
    return ShotList(title=title, style=style, scenes=scenes)


def _seconds(duration: int) -> int:
    return max(MIN_SCENE_SECONDS, min(MAX_SCENE_SECONDS, duration))
