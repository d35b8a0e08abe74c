"""What a generation request must satisfy, checked the same way for Discord and the terminal."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.pipeline.clips.video_models import ASPECT_RATIOS, get_model
from bot.pipeline.director import cast_options as cast_rules
from bot.pipeline.director import continuity as continuity_rules
from bot.pipeline.errors import GenerationError
from bot.pipeline.sound import options as captions_rules
from bot.pipeline.sound.speakers import CLOSEST, closest_voice, voices_for
from bot.pipeline.text import one_line

MAX_PROMPT_CHARS = 1000
MAX_SEED = 2**31 - 1


def validate_request(
    prompt: str,
    *,
    clips: int | None,
    aspect_ratio: str | None,
    seed: int | None,
    settings: Settings,
    narration: bool | None = None,
    voice: str | None = None,
    continuity: str | None = None,
    captions: str | None = None,
    music: bool | None = None,
    cast: str | None = None,
    cast_picture: bool = False,
    cast_name: str | None = None,
) -> dict[str, Any]:
    """The cleaned request (prompt, clips_requested, aspect_ratio, seed, narration, voice),
    or a `GenerationError` saying what is wrong and how to fix it. Narration defaults to
    `NARRATION_DEFAULT`; a voice given without `narration` asks for it. `continuity` chained
    needs a video model that starts from an image (`bot.pipeline.director.continuity.check`)."""
    # control characters (terminal escapes, NUL, bidi overrides) are dropped; whitespace runs
    # become one space. Markup is escaped where the prompt is shown, not in what is stored.
    text = one_line(prompt) if prompt else ""
    if not any(ch.isprintable() and not ch.isspace() for ch in text):  # nothing visible
        raise GenerationError("The prompt is empty: describe the film in one sentence.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise GenerationError(
            f"The prompt is {len(prompt)} characters long; the limit is {MAX_PROMPT_CHARS}."
        )
    if clips is not None and not 1 <= clips <= settings.max_clips:
        raise GenerationError(f"clips must be between 1 and {settings.max_clips}, not {clips}.")
    ratio = aspect_ratio or "16:9"
    if ratio not in ASPECT_RATIOS:
        raise GenerationError(f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}.")
    model = get_model(settings.video_model)
    if settings.enable_video_generation and ratio not in model.aspect_ratios:
        raise GenerationError(
            f"The video model {model.name} renders only {', '.join(model.aspect_ratios)}."
        )
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise GenerationError(f"seed must be between 0 and {MAX_SEED}.")
    narrated, chosen = _narration(narration, voice, settings)
    follows = continuity_rules.parse(continuity)
    continuity_rules.check(follows, model, video_enabled=settings.enable_video_generation)
    shown = captions_rules.parse(captions, settings.captions_default, narrated=narrated)
    return {
        "prompt": text,
        "clips_requested": clips,
        "aspect_ratio": ratio,
        "seed": seed,
        "narration": narrated,
        "voice": chosen,
        "continuity": follows,
        "captions": shown,
        "music": captions_rules.music(music, settings),
        # issue 24: the cast sheet, and the character a member's own picture shows
        "cast": cast_rules.cast(cast, settings, picture=cast_picture, name=cast_name),
        "cast_name": cast_rules.cast_name(cast_name),
    }


def _narration(
    narration: bool | None, voice: str | None, settings: Settings
) -> tuple[bool, str | None]:
    """(narrated, voice): the voice checked against the TTS model's voices (TTS_VOICE, when it
    names a voice the model lacks, gives way to the nearest one). Refused when the start-up
    check found the speech model shut down or unknown: nothing is spent on a film whose voice
    would be dropped."""
    wanted = (
        narration if narration is not None else (voice is not None or settings.narration_default)
    )
    if not wanted:
        return False, None
    voices = voices_for(settings.tts_model)
    chosen = (
        voice.strip().lower()
        if voice is not None
        else closest_voice(settings.tts_model, settings.tts_voice)
    )
    if chosen not in voices:
        near = closest_voice(settings.tts_model, chosen) if chosen in CLOSEST else None
        hint = f" ({settings.tts_model} has no {chosen}; the closest is {near})" if near else ""
        raise GenerationError(f"voice must be one of {', '.join(voices)}, not {voice!r}{hint}.")
    if not settings.enable_video_generation:  # the default is ignored; an explicit ask is not
        if narration is None and voice is None:
            return False, None
        raise GenerationError("Narration needs video generation, which is off here.")
    if problems := settings.narration_config_errors():
        asked = "" if narration is not None or voice is not None else " (on by default here)"
        raise GenerationError(
            f"Narration{asked} is not available: {'; '.join(problems)}. Nothing was started; "
            "ask again without narration, or once the operator has fixed it."
        )
    return True, chosen
