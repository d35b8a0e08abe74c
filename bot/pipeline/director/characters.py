"""Named characters: each has one fixed line for their look, and every scene that shows them
repeats that line word for word, so the video model draws the same person in every clip.

The analysis model is asked for that, but strict structured outputs only guarantee the answer's
shape, not its wording (https://platform.openai.com/docs/guides/structured-outputs: the model
"will always generate responses that adhere to your supplied JSON Schema"): a model often
writes the look once and then only the name. So the look is put in here, after the model
answered, wherever it was left out: right after the character's name when the prompt names
them, else as a sentence at the end. Pure functions, used by `shotlist.clamp` (and by anything
that rewrites a scene prompt later).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.pipeline.text import one_line

MAX_CHARACTERS = 5
MAX_NAME_CHARS = 40
MAX_LOOK_CHARS = 160

NAME = "The character's name, as the scene prompts call them."
LOOK = (
    "One line that fixes how the character looks (build, face, hair, clothes), as a noun "
    "phrase, for example 'a tall woman with silver hair in a green wool coat'."
)
CHARACTERS = (
    f"The named characters of the film (at most {MAX_CHARACTERS}), each with one fixed look; "
    "empty when the film has none."
)
SHOWN = "The names of the characters this scene shows (empty when it shows none)."

Cast = Sequence[tuple[str, str]]
"""The characters as (name, look) pairs, cleaned by `cast_of`."""


def cast_of(characters: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The characters the model named, on one line each and bounded: names and looks cut at a
    word, blank or repeated names (case-insensitively) dropped, at most `MAX_CHARACTERS`."""
    cast: list[tuple[str, str]] = []
    seen: set[str] = set()
    for raw_name, raw_look in characters:
        name, look = (
            _cut(one_line(raw_name), MAX_NAME_CHARS),
            _cut(one_line(raw_look), MAX_LOOK_CHARS),
        )
        if not name or not look or name.casefold() in seen:
            continue
        seen.add(name.casefold())
        cast.append((name, look))
        if len(cast) == MAX_CHARACTERS:
            break
    return cast


def shown_in(prompt: str, named: Sequence[str], cast: Cast) -> list[tuple[str, str]]:
    """The characters a scene shows, in cast order: those the model listed for it (names
    compared case-insensitively) and those its prompt names (as a whole word, case as written:
    "Sky" the character, not "the sky")."""
    listed = {one_line(n).casefold() for n in named}
    return [(n, look) for n, look in cast if n.casefold() in listed or _mention(prompt, n)]


def with_looks(
    prompt: str, named: Sequence[str], cast: Cast, *, limit: int
) -> tuple[str, list[str]]:
    """`prompt` with the look of every character it shows, word for word, and at most `limit`
    characters long (the model's own words are cut, at a word, to make room; never a look).
    Returns the prompt and the names of the characters it shows."""
    shown = shown_in(prompt, named, cast)
    room = limit
    while True:
        base = _cut(prompt, room)
        missing = [(n, look) for n, look in shown if look not in base]
        extra = sum(len(_addition(base, n, look)) for n, look in missing)
        if len(base) + extra <= limit or room <= 0:
            break
        room = max(0, limit - extra)
    for name, look in missing:
        base = _add(base, name, look)
    return base[:limit], [n for n, _ in shown]


def _mention(prompt: str, name: str) -> re.Match[str] | None:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", prompt)


def _addition(prompt: str, name: str, look: str) -> str:
    if _mention(prompt, name):
        return f" ({look})"
    stop = "" if not prompt or prompt.endswith((".", "!", "?")) else "."
    return f"{stop} {name} is {look}."


def _add(prompt: str, name: str, look: str) -> str:
    """The look right after the first mention of the name, or a sentence at the end."""
    found = _mention(prompt, name)
    if found is None:
        return (prompt + _addition(prompt, name, look)).strip()
    return f"{prompt[: found.end()]} ({look}){prompt[found.end() :]}"


def _cut(text: str, limit: int) -> str:
    """`text` cut at a word to at most `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut[:limit].rstrip()
