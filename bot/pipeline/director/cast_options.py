"""The cast options of a request (issue 24), checked the same way for Discord and the terminal
(`bot.pipeline.run.validation`): `cast` auto | off (default `CAST_DEFAULT`), and the name of the
character a member's own picture shows."""

from __future__ import annotations

from bot.config import Settings
from bot.pipeline.clips.video_models import get_model, with_references
from bot.pipeline.director.characters import MAX_NAME_CHARS
from bot.pipeline.errors import GenerationError
from bot.pipeline.text import one_line

CAST_CHOICES = ("auto", "off")


def cast(asked: str | None, settings: Settings, *, picture: bool, name: str | None) -> bool:
    """Whether the generation gets a cast sheet: `auto` (as asked, else `CAST_DEFAULT`) makes
    one when the video model takes reference images (quietly none on another: its looks stay
    words-only, as before). A member's own picture of a character needs the cast on and such a
    model: refused otherwise, before anything is stored or spent."""
    value = (asked if asked is not None else settings.cast_default).strip().lower()
    if value not in CAST_CHOICES:
        raise GenerationError(f"cast must be one of {', '.join(CAST_CHOICES)}, not {asked!r}.")
    takes = (
        settings.enable_video_generation and get_model(settings.video_model).references is not None
    )
    if picture or name:
        if value == "off":
            raise GenerationError(
                "A picture of a character is used on the cast sheet: leave cast on (cast:auto)."
            )
        if not takes:
            raise GenerationError(
                f"The video model {settings.video_model} takes no reference images, so a "
                f"picture of a character cannot be used; models that can: "
                f"{', '.join(with_references())}."
            )
        if name and not picture:
            raise GenerationError("cast_name names the character of cast_image: attach one too.")
    return value == "auto" and takes


def cast_name(name: str | None) -> str | None:
    """The character a member's picture shows, on one line and bounded (None: the first)."""
    cleaned = one_line(name or "")[:MAX_NAME_CHARS].strip()
    return cleaned or None
