"""Narration: the voice-over lines of a shot list spoken (bot/pipeline/sound/speakers.py: the
Realtime
API by default, the speech endpoint for its models until their 2027-01-06 shutdown), stored
line by line, and mixed into the stitched film.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, date, datetime
from pathlib import Path

from openai import AsyncOpenAI

from bot.pipeline.analysis.shotlist import ShotList, fit_line
from bot.pipeline.checks.deprecations import DEPRECATIONS_URL, speech_shutdown_dates
from bot.pipeline.clips.maker import MediaPolicy
from bot.pipeline.errors import MediaError, NarrationError, public_reason
from bot.pipeline.events import EventBus, Narrated
from bot.pipeline.media._files import commit, discard, temp_sibling
from bot.pipeline.media.narrate import Line, mix_narration, pcm_seconds
from bot.pipeline.media.probe import probe
from bot.pipeline.sound.speakers import (
    DEFAULT_TTS_MODEL,
    DEFAULT_VOICE,
    KNOWN_VOICES,
    VOICES,
    Speaker,
    closest_voice,
    make_speaker,
    voices_for,
)
from storage.models import Generation, NarrationLine, NarrationStatus
from storage.repository import Repository

__all__ = [
    "DEFAULT_TTS_MODEL",
    "DEFAULT_VOICE",
    "KNOWN_VOICES",
    "VOICES",
    "Narrator",
    "closest_voice",
    "tts_shutdown_dates",
    "voices_for",
]

log = logging.getLogger(__name__)

SPEECH_CONCURRENCY = 4  # lines spoken at once, per process


@functools.cache
def tts_shutdown_dates() -> dict[str, date]:
    """Speech model id -> announced shutdown date, from the SDK's notes (speech endpoint and
    Realtime models: bot.pipeline.checks.deprecations; read once)."""
    return speech_shutdown_dates()


class Narrator:
    """Speaks a generation's narration lines and mixes them into its film.

    A line is done when its audio file is complete on disk (written atomically) and its row is
    stored: a restart speaks only the lines that are not, so a line is never paid for twice
    once it was answered. When speech fails, the film goes out without narration and the reason
    is stored (or, with ``required``, the generation fails)."""

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        repo: Repository,
        policy: MediaPolicy,
        bus: EventBus,
        model: str = DEFAULT_TTS_MODEL,
        required: bool = False,
        concurrency: int = SPEECH_CONCURRENCY,
        speaker: Speaker | None = None,
    ) -> None:
        self._speaker = speaker or make_speaker(client, model)
        self._repo = repo
        self._policy = policy
        self._bus = bus
        self._model = model
        self._required = required
        self._slots = asyncio.Semaphore(concurrency)
        self._warned = False

    async def wanted(self, generation_id: int) -> bool:
        """Whether the generation asked for narration."""
        return await self._repo.narration(generation_id) is not None

    # speaking ------------------------------------------------------------------------------

    async def speak(self, generation: Generation, shot_list: ShotList) -> None:
        """Speak every line not spoken yet (in parallel). A failure leaves the narration out
        (reason stored), or raises NarrationError when narration is required."""
        narration = await self._repo.narration(generation.id)
        if narration is None or narration.status is NarrationStatus.NARRATED:
            return
        if not self._warned:
            self._warned = True
            await self._warn_if_deprecated()
        if not any(scene.narration for scene in shot_list.scenes):
            await self._drop(generation, "the shot list came without narration lines")
            return
        done = {line.index for line in await self._spoken(generation.id)}
        todo = [  # fitted again: a shot list stored before the character cap may carry more
            (i, fit_line(scene.narration, scene.duration))
            for i, scene in enumerate(shot_list.scenes)
            if scene.narration and i not in done
        ]
        results = await asyncio.gather(
            *(self._line(generation, i, text, self.voice(narration.voice)) for i, text in todo),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures:
            if not isinstance(failure, NarrationError):
                raise failure  # a bug or a cancellation, not the provider's answer
        if failures:
            await self._drop(generation, str(failures[0]))
        elif narration.status is NarrationStatus.DROPPED:  # spoken this time (a Retry)
            await self._repo.set_narration_status(generation.id, NarrationStatus.WANTED)

    def voice(self, stored: str) -> str:
        """The voice a line is spoken with: the stored one, or the nearest the model has when
        it has not that one (fable, onyx and nova are not Realtime voices)."""
        return closest_voice(self._model, stored)

    def narrated(self, generation_id: int, stored: str, reason: str | None = None) -> Narrated:
        """The event that says how the film was voiced (and which voice stood in)."""
        spoken = self.voice(stored)
        return Narrated(generation_id, spoken, reason, None if spoken == stored else stored)

    async def _warn_if_deprecated(self) -> None:
        shutdown = (await asyncio.to_thread(tts_shutdown_dates)).get(self._model)
        if shutdown is None:
            return
        today = datetime.now(UTC).date()
        log.warning(
            "TTS_MODEL %s %s on %s (%s): narration is then refused",
            self._model,
            "was shut down" if shutdown <= today else "is deprecated and shuts down",
            shutdown.isoformat(),
            DEPRECATIONS_URL,
        )

    async def _spoken(self, generation_id: int) -> list[NarrationLine]:
        lines = await self._repo.narration_lines(generation_id)
        return [line for line in lines if Path(line.audio_path).exists()]

    async def _line(self, generation: Generation, index: int, text: str, voice: str) -> None:
        path = self._policy.folder(generation.id) / f"line-{index + 1}.pcm"
        if not path.exists():  # written by rename: when it exists it is whole
            async with self._slots:
                audio = await self._speaker.say(text, voice)
            await _write(path, audio)
        size = await asyncio.to_thread(lambda: path.stat().st_size)
        await self._repo.line_spoken(generation.id, index, text, str(path), pcm_seconds(size))

    async def _drop(self, generation: Generation, reason: str) -> None:
        reason = public_reason(reason)
        log.warning("generation %s: narration left out: %s", generation.id, reason)
        if self._required:
            raise NarrationError(f"narration is required and failed: {reason}")
        await self._repo.set_narration_status(generation.id, NarrationStatus.DROPPED, reason)

    # mixing --------------------------------------------------------------------------------

    async def mix(self, generation: Generation, film: Path, clips: list[Path]) -> Path:
        """The film with its voice-over mixed in (``film`` itself when not narrated, or when
        the narration was left out)."""
        narration = await self._repo.narration(generation.id)
        if narration is None:
            return film
        dest = film.with_name(f"{film.stem}-narrated.mp4")  # film-v2.mp4: a reroll's cut
        if narration.status is NarrationStatus.NARRATED and dest.exists():
            self._bus.publish(self.narrated(generation.id, narration.voice))
            return dest
        if narration.status is NarrationStatus.DROPPED:
            self._bus.publish(self.narrated(generation.id, narration.voice, narration.reason))
            return film
        try:
            lines = await self._lines(generation.id, clips)
            if not lines:
                raise NarrationError("no line was spoken")
            await mix_narration(film, lines, dest)
        except (MediaError, NarrationError) as exc:
            reason = f"the voice-over could not be mixed in: {exc.reason}"
            await self._drop(generation, reason)
            self._bus.publish(self.narrated(generation.id, narration.voice, public_reason(reason)))
            return film
        await self._repo.set_narration_status(generation.id, NarrationStatus.NARRATED)
        self._bus.publish(self.narrated(generation.id, narration.voice))
        return dest

    async def _lines(self, generation_id: int, clips: list[Path]) -> list[Line]:
        starts, start = [], 0.0
        for clip in clips:
            seconds = (await probe(clip)).duration
            starts.append((start, seconds))
            start += seconds
        return [
            Line(Path(line.audio_path), line.seconds, *starts[line.index])
            for line in await self._spoken(generation_id)
            if line.index < len(starts)
        ]


async def _write(path: Path, data: bytes) -> None:
    tmp = temp_sibling(path)
    try:
        await asyncio.to_thread(tmp.write_bytes, data)
        await commit(tmp, path)
    finally:
        discard(tmp)
