"""The shot list the analysis model writes, and the rules that bound it whatever it says."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.pipeline.director.characters import CHARACTERS, LOOK, NAME, SHOWN, cast_of, with_looks
from bot.pipeline.text import one_line

# A natural speaking rate is about 150 words a minute, 2.5 words a second. The analysis is asked
# for 2 words a second of the scene (room for breath and pauses); a line is cut, at a word, to
# the natural rate when the model writes more (the speech may still run a little over; the
# mixer then speeds it up slightly or lets it run on, never cuts it: bot/pipeline/media/narrate.py).
WORDS_PER_SECOND = 2.5
ASKED_WORDS_PER_SECOND = 2.0
# Words are counted by spaces, and Chinese and Japanese have none (a 4,200-character Chinese line
# was one "word"; issue 19): a line is capped by characters per second too, at a rate per
# script. Mandarin is read at about 4-5 syllables a second, one character each; Japanese at 7-8
# morae a second (a kanji is often two): about 5 mixed characters; Korean at 5-7 syllable blocks.
# Thai, Lao, Khmer and Burmese write several letters per syllable without spaces: about 12 a
# second. Other scripts at 150 words a minute, about 15 characters a second with the spaces.
CJK_CHARS_PER_SECOND = 5.0
SEA_CHARS_PER_SECOND = 12.0
CHARS_PER_SECOND = 15.0
ASKED_CJK_CHARS_PER_SECOND = 4.0
# the longest text one speech request takes (openapi.json CreateSpeechRequest.input: maxLength
# 4096); the rates above keep a 10-second scene's line far below it
SPEECH_INPUT_LIMIT = 4096
_NARRATION = (
    "The narrator's line for this scene, spoken over it, in the language of the idea; at most "
    f"{ASKED_WORDS_PER_SECOND:g} words per second of the scene's duration (in Chinese, Japanese "
    f"or Korean at most {ASKED_CJK_CHARS_PER_SECOND:g} characters per second)."
)
_CJK = (
    (0x1100, 0x11FF), (0x3040, 0x30FF), (0x3130, 0x318F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x3FFFF),
)  # fmt: skip
_SEA = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF))  # Thai, Lao, Burmese, Khmer
_BREAKS = " 、。，！？；：,.!?;:"


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


MUSIC = (
    "One line of musical direction for an instrumental score under the whole film: mood, "
    "instruments, tempo (in English, no lyrics)."
)


class ShotList(BaseModel):
    """A short film's plan: title, visual style and continuity notes, its named characters
    (each with a fixed look), and its scenes."""

    model_config = ConfigDict(frozen=True)

    title: str = Field(description="A short title for the film.")
    style: str = Field(description="Visual style and continuity notes shared by every scene.")
    characters: list[Character] = Field(default_factory=list, description=CHARACTERS)
    scenes: list[Scene] = Field(description="The scenes, in order.")
    music: str = Field(default="", description=MUSIC)  # issue 22: the score's direction


MIN_SCENE_SECONDS = 2
MAX_SCENE_SECONDS = 10
MAX_PROMPT_CHARS = 1500
MAX_TITLE_CHARS = 100
MAX_MUSIC_CHARS = 300  # the score's direction: one line


def clamp(shot_list: ShotList, *, wanted: int | None, max_clips: int) -> ShotList:
    """Bound what the model answered: at most `wanted` (or `max_clips`) scenes, blank scenes
    dropped, durations and lengths limited, every text on one line without control characters
    (terminal escapes: it is shown in terminals too). Every scene that shows a named character
    carries that character's look word for word (`bot.pipeline.director.characters`), whatever the
    model
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
    music = one_line(shot_list.music)[:MAX_MUSIC_CHARS]
    return ShotList(title=title, style=style, characters=characters, scenes=scenes, music=music)


def narrated(shot_list: ShotList) -> bool:
    """Whether the shot list carries a narration line for at least one scene."""
    return any(scene.narration for scene in shot_list.scenes)


def _seconds(duration: int) -> int:
    return max(MIN_SCENE_SECONDS, min(MAX_SCENE_SECONDS, duration))


def narration_budget(duration: int) -> int:
    """The most words a line for a scene of `duration` seconds may have (the natural rate)."""
    return max(1, int(duration * WORDS_PER_SECOND))


def fit_line(text: str, duration: int) -> str:
    """`text` on one line, cut to what can be spoken in `duration` seconds: at most the word
    budget (at a word), and at most the characters its scripts are read at in that time (at a
    space or a punctuation mark when one is near); never more than one request takes."""
    words = one_line(text).split()
    line = " ".join(words[: narration_budget(duration)])
    return _fit_chars(line, float(duration))[:SPEECH_INPUT_LIMIT].strip()


def char_seconds(ch: str) -> float:
    """How long one character takes to say, by its script."""
    code = ord(ch)
    if any(lo <= code <= hi for lo, hi in _CJK):
        return 1 / CJK_CHARS_PER_SECOND
    if any(lo <= code <= hi for lo, hi in _SEA):
        return 1 / SEA_CHARS_PER_SECOND
    return 1 / CHARS_PER_SECOND


def speaking_seconds(text: str) -> float:
    """About how long `text` takes to say (characters, by script)."""
    return sum(char_seconds(ch) for ch in text)


def _fit_chars(line: str, seconds: float) -> str:
    spent = 0.0
    for i, ch in enumerate(line):
        spent += char_seconds(ch)
        if spent > seconds + 1e-9:
            head = line[:i]
            cut = max(head.rfind(b) for b in _BREAKS)
            if cut >= len(head) // 2:  # a break in the second half: cut there
                head = head[: cut + 1] if head[cut] != " " else head[:cut]
            return head.rstrip(" ,;:、，；：")
    return line


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
    music: str = Field(description=MUSIC)


class NarratedShotListPlan(BaseModel):
    title: str = Field(description="A short title for the film.")
    style: str = Field(description="Visual style and continuity notes shared by every scene.")
    characters: list[_Character] = Field(description=CHARACTERS)
    scenes: list[_NarratedShot] = Field(description="The scenes, in order.")
    music: str = Field(description=MUSIC)
