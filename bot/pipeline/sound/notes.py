"""What a member is told about the film's sound when a run starts (issue 22): when an option
they chose covers the video model's own sound (dialogue, effects, ambience)."""

from __future__ import annotations

from bot.pipeline.clips.video_models import MODELS


def sound_note(video_model: str, *, narrated: bool) -> str | None:
    """A line for the reply, or None when there is nothing to say. With a model that renders
    its own sound, narration is laid over that sound and lowers it while the voice speaks
    (side-chain ducking: bot/pipeline/media/narrate.py), so the clips' own dialogue is mostly
    lost under the voice."""
    model = MODELS.get(video_model)
    if model is None or not model.sound or not narrated:
        return None
    return (
        f"Sound: {model.name} renders its own sound; the narration is laid over it and "
        "lowers it while the voice speaks, so the clips' own dialogue is mostly covered."
    )
