"""The score (issue 22): the analysis's one line of musical direction rendered by a music model
on Replicate while the clips render, its track downloaded, fitted to the film and mixed under
everything (`bot.pipeline.sound.mix`).

The model is `google/lyria-2`: inputs `prompt`, `negative_prompt`, `seed`; output one URI
(https://replicate.com/google/lyria-2/versions/a7e8d3fd.../api); a 48 kHz WAV of 32.8 s,
instrumental, whatever the prompt (Google's model card, cloud.google.com/vertex-ai/generative-ai/
docs/models/lyria/lyria-002: "Audio length per clip: 32.8 seconds"). A film longer than that
loops it with a cross-fade, a shorter one trims it with a fade.

The prediction is created without waiting (`Predictions.create`) as soon as the shot list is
stored (`Composer.handle` hears `AnalysisDone`), its id stored at once: a restart re-attaches
to it and never pays for a second. A failed score is handled like a failed voice: the film goes
out without music (reason stored), or with `MUSIC_REQUIRED` the generation fails.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import aiohttp

from bot.pipeline.clips.maker import MediaPolicy
from bot.pipeline.clips.output import output_url
from bot.pipeline.clips.predictions import PROVIDER_ERRORS, CreateFailed, Predictions, describe
from bot.pipeline.errors import GenerationError, MediaError, public_reason
from bot.pipeline.events import AnalysisDone
from bot.pipeline.media.download import download
from bot.tasks import spawn
from storage.models import Generation, Score, ScoreStatus
from storage.repository import Repository

log = logging.getLogger(__name__)

MUSIC_MODEL = "google/lyria-2"
TRACK_SECONDS = 32.8  # what lyria-2 renders per prediction (its model card)
MAX_TRACK_BYTES = 64 * 1024 * 1024  # 32.8 s of 48 kHz 16-bit stereo WAV is 6.3 MB
NEGATIVE = "vocals, singing, speech, lyrics"  # a score under a voice-over: no words


class MusicError(GenerationError):
    """The score was required (MUSIC_REQUIRED) and could not be made."""


def music_seconds(film_seconds: float) -> float:
    """Seconds of music a film needs rendered: whole tracks (one is looped to a longer film)."""
    del film_seconds  # one track serves any length (looped): one prediction's output
    return TRACK_SECONDS


class Composer:
    """Renders a generation's score at Replicate and keeps its track on disk."""

    def __init__(
        self,
        predictions: Predictions,
        *,
        repo: Repository,
        policy: MediaPolicy,
        http: aiohttp.ClientSession,
        required: bool = False,
        timeout: float = 600.0,
        worth: Callable[[], float] = lambda: TRACK_SECONDS,
    ) -> None:
        self._predictions = predictions
        self._worth = worth  # what the score counts against the member's day (Admission)
        self._repo = repo
        self._policy = policy
        self._http = http
        self._required = required
        self._timeout = timeout

    def handle(self, event: object) -> None:
        """Bus subscriber: a stored shot list starts the score's prediction (once)."""
        if isinstance(event, AnalysisDone):
            direction = getattr(event.shot_list, "music", "") or ""
            spawn(self.start(event.generation_id, direction), name="score-start")

    async def start(self, generation_id: int, direction: str) -> None:
        """Create the score's prediction unless it was created already or not asked for."""
        score = await self._repo.score(generation_id)
        if score is None or score.status is not ScoreStatus.WANTED or score.prediction_id:
            return
        if not direction.strip():
            await self._drop(generation_id, "the shot list came without musical direction")
            return
        # charged (reserved with the run) in the database before it is made: a run that ended
        # meanwhile is refused, and nothing is created
        if not await self._repo.score_charged(generation_id, self._worth()):
            log.info("generation %s: its run ended before the score was made", generation_id)
            return
        inputs = {"prompt": direction, "negative_prompt": NEGATIVE}
        try:
            prediction_id = await self._predictions.create(
                inputs, since=time.time(), claimed=_nothing_claimed
            )
        except (CreateFailed, *PROVIDER_ERRORS) as exc:
            await self._drop(generation_id, f"the music model refused: {describe(exc)}")
            return
        except Exception:
            log.exception("generation %s: the score could not be started", generation_id)
            await self._drop(generation_id, "the score could not be started")
            return
        await self._repo.set_score(
            generation_id, ScoreStatus.WANTED, direction=direction, prediction_id=prediction_id
        )
        log.info("generation %s: score prediction %s created", generation_id, prediction_id)

    async def track(self, generation: Generation) -> Path | None:
        """The score's track on disk (waiting for its prediction), or None when the generation
        has none or it was left out. Raises `MusicError` when it is required and failed."""
        score = await self._repo.score(generation.id)
        if score is None:
            return None
        if score.status is ScoreStatus.DROPPED:
            return self._left_out(score.reason)
        if score.audio_path and Path(score.audio_path).is_file():
            return Path(score.audio_path)
        if not score.prediction_id:  # the shot list's event is being handled: give it a moment
            created = await self._await_created(generation.id)
            if created is None:
                return self._left_out((await self._repo.score(generation.id) or score).reason)
            score = created
        assert score.prediction_id is not None
        snapshot = await self._predictions.wait(score.prediction_id, timeout=self._timeout)
        if snapshot is None:
            return self._left_out(await self._drop(generation.id, "the music model took too long"))
        url = output_url(snapshot.output)
        if snapshot.status != "succeeded" or url is None:
            why = snapshot.error or f"the prediction ended {snapshot.status}"
            reason = await self._drop(generation.id, f"the music model failed: {why}")
            return self._left_out(reason)
        dest = self._policy.folder(generation.id) / "score.wav"
        try:
            await download(
                self._http,
                url,
                dest,
                allowed_hosts=self._policy.allowed_hosts,
                max_bytes=MAX_TRACK_BYTES,
                what="score",
            )
        except MediaError as exc:
            return self._left_out(await self._drop(generation.id, exc.reason))
        await self._repo.set_score(generation.id, ScoreStatus.READY, audio_path=str(dest))
        return dest

    async def _await_created(self, generation_id: int) -> Score | None:
        for _ in range(600):  # the create is retried with backoff: at most about a minute
            score = await self._repo.score(generation_id)
            if score is None or score.status is ScoreStatus.DROPPED:
                return None
            if score.prediction_id:
                return score
            await asyncio.sleep(0.1)
        await self._drop(generation_id, "the score's prediction was never created")
        return None

    async def left_out(self, generation_id: int, reason: str) -> str:
        """The score could not be used after all: stored as left out (raises `MusicError`
        when music is required)."""
        reason = await self._drop(generation_id, reason)
        self._left_out(reason)
        return reason

    def _left_out(self, reason: str | None) -> Path | None:
        """A score that was left out: the film goes on without it, unless it is required."""
        if self._required:
            raise MusicError(f"music is required and failed: {reason or 'it was left out'}")
        return None

    async def _drop(self, generation_id: int, reason: str) -> str:
        """Store the score as left out (and why); returns the public reason."""
        reason = public_reason(reason)
        log.warning("generation %s: score left out: %s", generation_id, reason)
        await self._repo.set_score(generation_id, ScoreStatus.DROPPED, reason=reason)
        return reason

    async def close(self) -> None:
        await self._predictions.close()


async def _nothing_claimed(ids: Sequence[str]) -> set[str]:
    """No score shares a prediction with another (its inputs hold its own direction)."""
    del ids
    return set()
