"""The film's sound and words laid over the stitched film in one step (`finish`)."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.run.crew import Crew
from bot.pipeline.sound.captioner import caption
from bot.pipeline.sound.scoring import scored
from storage.models import Generation


async def finish(crew: Crew, generation: Generation, film: Path, clips: list[Path]) -> Path:
    """The stitched `film` (of `clips`, in order) with its voice-over and its captions."""
    if crew.narrator is not None:  # the voice-over (bot/pipeline/speech)
        film = await crew.narrator.mix(generation, film, clips)
    if crew.composer is not None:  # the score under everything (bot/pipeline/sound/music)
        film = await scored(crew.composer, generation, film)
    return await caption(crew.repo, generation, film, clips)
