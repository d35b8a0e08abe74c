"""The sound-and-words options of a request (issue 22), checked the same way for Discord and the
terminal (`bot.pipeline.run.validation`)."""

from __future__ import annotations

from bot.config import Settings
from bot.pipeline.errors import GenerationError
from bot.pipeline.sound.fonts import font_files
from storage.models import Captions

CAPTION_CHOICES = tuple(c.value for c in Captions)


def parse(asked: str | None, default: str, *, narrated: bool) -> Captions:
    """The captions a generation gets: the one asked for, else `CAPTIONS_DEFAULT`. Captions show
    the narration's lines, so an explicit ask without narration is refused (nothing is spent);
    the default is quietly off for a film without narration."""
    value = (asked if asked is not None else default).strip().lower()
    if value not in CAPTION_CHOICES:
        raise GenerationError(
            f"captions must be one of {', '.join(CAPTION_CHOICES)}, not {asked!r}."
        )
    captions = Captions(value)
    if captions is Captions.BURNED and not font_files():
        raise GenerationError(
            "Burned captions need the caption font, which is not installed here "
            "(the operator installs `fontpkg-noto-sans`); captions:track works."
        )
    if captions is Captions.OFF or narrated:
        return captions
    if asked is None:
        return Captions.OFF
    raise GenerationError(
        "Captions show the narration's lines: ask for narration too (narration:True), "
        "or leave captions off."
    )


def music(asked: bool | None, settings: Settings) -> bool:
    """Whether the film gets a score: as asked, else `MUSIC_DEFAULT`. The default is ignored
    without video generation; an explicit ask is refused there (nothing to score)."""
    wanted = asked if asked is not None else settings.music_default
    if wanted and not settings.enable_video_generation:
        if asked is None:
            return False
        raise GenerationError("Music needs video generation, which is off here.")
    return wanted
