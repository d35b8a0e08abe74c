"""The shot list the analysis model writes, and the rules that bound it whatever it says."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.pipeline.characters import CHARACTERS, LOOK, NAME, SHOWN, cast_of, with_looks
from bot.pipeline.text import one_line

# A natural speaking rate is about 150 words a minute, 2.5 words a second. The analysis is asked
# for 2 words a second of the scene (room for breath and pauses); a line is cut, at a word, to
# the natural rate when the model writes more (the speech may still run a little over; the
# mixer then speeds it up slightly or lets it run on, never cuts it: bot/pipeline/media/narrate.py).
WORDS_PER_SECOND = 2.5
ASKED_WORDS_PER_SECOND = 2.0
_NARRATION = (
    "The narrator's line for this scene, spoken over it, in the language of the idea; at most "
    f"{ASKED_WORDS_PER_SECOND:g} words per second of the scene's duration."
)


class Scene(BaseModel):
    """One scene: a self-contained visual prompt and how long it lasts."""

    model_config = ConfigDict(frozen=True)

    prompt: str = Field(description="A self-contained visual description of this shot.")
    duration: int = Field(description="Length of the shot in whole seconds (4 to 10).")
    narration: str = Field(default="", description=_NARRATION)
    characters: list[str] = Field(default_factory=list, description=SHOWN)


class Character(BaseModel):
    """A named character and the one line that fixes their look in every scene."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description=NAME)
    look: str = Field(description=LOOK)


class ShotList(BaseModel):
    """A short film's plan: title, visual style and continuity notes, its named characters
    (each with a fixed look), and its scenes."""

    model_config = ConfigDict(frozen=True)

    title: str = Field(description="A short title for the film.")
    style: str = Field(description="Visual style and continuity notes shared by every scene.")
    characters: list[Character] = Field(default_factory=list, description=CHARACTERS)
    scenes: list[Scene] = Field(description="The scenes, in order.")


MIN_SCENE_SECONDS = 2
MAX_SCENE_SECONDS = 10
MAX_PROMPT_CHARS = 1500
MAX_TITLE_CHARS = 100


def clamp(shot_list: ShotList, *, wanted: int | None, max_clips: int) -> ShotList:
    """Bound what the model answered: at most `wanted` (or `max_clips`) scenes, blank scenes
    dropped, durations and lengths limited, every text on one line without control characters
    (terminal escapes: it is shown in terminals too). Every scene that shows a named character
    carries that character's look word for word (`bot.pipeline.characters`), whatever the model
    wrote. Raises ValueError when nothing usable is left or when exactly `wanted` scenes were
    asked for and fewer came back."""
    limit = min(wanted or max_clips, max_clips)
    cast = cast_of((c.name, c.look) for c in shot_list.characters)
    scenes: list[Scene] = []
    for s in shot_list.scenes:
        if len(scenes) == limit:
            break
        if not (prompt := one_line(s.prompt)):
            continue
        prompt, shown = with_looks(prompt, s.characters, cast, limit=MAX_PROMPT_CHARS)
        seconds = _seconds(s.duration)
        narration = fit_line(s.narration, seconds)
        scenes.append(Scene(prompt=prompt, duration=seconds, narration=narration, characters=shown))
    if not scenes:
        raise ValueError("the shot list has no usable scene")
    if wanted is not None and len(scenes) < limit:
        raise ValueError(f"asked for exactly {limit} scenes, got {len(scenes)}")
    title = one_line(shot_list.title)[:MAX_TITLE_CHARS] or "Untitled"
    style = one_line(shot_list.style)[:MAX_PROMPT_CHARS]
    characters = [Character(name=name, look=look) for name, look in cast]
    return ShotList(title=title, style=style, characters=characters, scenes=scenes)


def narrated(shot_list: ShotList) -> bool:
    """Whether the shot list carries a narration line for at least one scene."""
    return any(scene.narration for scene in shot_list.scenes)


def _seconds(duration: int) -> int:
    return max(MIN_SCENE_SECONDS, min(MAX_SCENE_SECONDS, duration))


def narration_budget(duration: int) -> int:
    """The most words a line for a scene of `duration` seconds may have (the natural rate)."""
    return max(1, int(duration * WORDS_PER_SECOND))


def fit_line(text: str, duration: int) -> str:
    """`text` on one line, cut at a word to the scene's budget (never mid-word)."""
    words = one_line(text).split()
    return " ".join(words[: narration_budget(duration)])


# The JSON schemas the analysis model answers in (strict mode makes every property required,
# so the narrated one is a schema of its own; both parse into `ShotList`).


class _Character(BaseModel):
    name: str = Field(description=NAME)
    look: str = Field(description=LOOK)


class _Shot(BaseModel):
    prompt: str = Field(description="A self-contained visual description of this shot.")
    duration: int = Field(description="Length of the shot in whole seconds (4 to 10).")
    characters: list[str] = Field(description=SHOWN)


class _NarratedShot(_Shot):
    narration: str = Field(description=_NARRATION)


class ShotListPlan(BaseModel):
    title: str = Field(description="A short title for the film.")
    style: str = Field(description="Visual style and continuity notes shared by every scene.")
    characters: list[_Character] = Field(description=CHARACTERS)
    scenes: list[_Shot] = Field(description="The scenes, in order.")


class NarratedShotListPlan(BaseModel):
    title: str = Field(description="A short title for the film.")
    style: str = Field(description="Visual style and continuity notes shared by every scene.")
    characters: list[_Character] = Field(description=CHARACTERS)
    scenes: list[_NarratedShot] = Field(description="The scenes, in order.")
