"""One clip, start to finish: a fair slot, a prediction (created once), its output on disk."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from replicate.prediction import Prediction

from bot.pipeline import media
from bot.pipeline.errors import ClipError, MediaError, MediaUnavailable
from bot.pipeline.events import ClipCompleted, ClipFailed, ClipStarted, EventBus
from bot.pipeline.fairness import FairQueue
from bot.pipeline.predictions import CreateFailed, Predictions, predict_seconds
from bot.pipeline.video_models import ClipRequest, VideoModel
from storage.models import Clip, ClipStatus, Generation
from storage.repository import Repository

log = logging.getLogger(__name__)

CLIP_ATTEMPTS = 3
DOWNLOAD_ATTEMPTS = 3  # the prediction is paid for: a flaky download is tried again, not it
DOWNLOAD_BACKOFF = 0.5  # seconds before the second attempt, doubled after
MAX_CLIP_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class MediaPolicy:
    """Where clips go and where they may come from."""

    root: Path
    allowed_hosts: tuple[str, ...]
    max_clip_bytes: int = MAX_CLIP_BYTES

    def folder(self, generation_id: int) -> Path:
        path = self.root / str(generation_id)
        path.mkdir(parents=True, exist_ok=True)
        return path


class ClipMaker:
    """Renders clips under a process-wide fair limit (`CLIP_CONCURRENCY` slots, round-robin
    between members), storing the prediction id the moment it exists."""

    def __init__(
        self,
        *,
        repo: Repository,
        predictions: Predictions,
        model: VideoModel,
        http: aiohttp.ClientSession,
        policy: MediaPolicy,
        bus: EventBus,
        concurrency: int,
        timeout: float,
    ) -> None:
        self._repo = repo
        self._predictions = predictions
        self._model = model
        self._http = http
        self._policy = policy
        self._bus = bus
        self._slots: FairQueue[int] = FairQueue(capacity=concurrency)
        self._timeout = timeout

    def inputs(self, generation: Generation, clip: Clip, style: str) -> dict[str, object]:
        prompt = f"{clip.prompt} {style}".strip() if style else clip.prompt
        seed = None if generation.seed is None else generation.seed + clip.index
        request = ClipRequest(prompt, clip.duration, generation.aspect_ratio, seed)
        return self._model.inputs(request)

    async def make(self, generation: Generation, clip: Clip, style: str) -> Path:
        """The clip's file, rendering it if needed; raises ClipError after its retries."""
        if (
            clip.status is ClipStatus.SUCCEEDED
            and clip.output_path
            and Path(clip.output_path).exists()
        ):
            return Path(clip.output_path)
        if clip.status is ClipStatus.FAILED:  # failed for good before a restart: retries spent
            raise ClipError(clip.index, clip.error or "the clip failed")
        inputs = self.inputs(generation, clip, style)
        async with self._slots.slot(generation.owner_id):
            while True:
                prediction_id = await self._attach_or_create(generation, clip, inputs)
                prediction = await self._predictions.wait(prediction_id, timeout=self._timeout)
                reason = await self._outcome(generation, clip, prediction_id, prediction)
                if reason is None and prediction is not None:
                    break
                reason = reason or "no result"
                clip = await self._repo.clip(clip.id)
                will_retry = clip.attempts < CLIP_ATTEMPTS
                log.warning("generation %s clip %s: %s", generation.id, clip.index + 1, reason)
                await self._repo.clip_ended(
                    clip.id, ClipStatus.PENDING if will_retry else ClipStatus.FAILED, reason
                )
                self._bus.publish(ClipFailed(generation.id, clip.index, reason, will_retry))
                if not will_retry:
                    raise ClipError(clip.index, reason)
        return await self._download(generation, clip, prediction)

    async def _attach_or_create(
        self, generation: Generation, clip: Clip, inputs: dict[str, object]
    ) -> str:
        clip = await self._repo.clip(clip.id)
        if clip.status is ClipStatus.RUNNING and clip.prediction_id:
            return clip.prediction_id  # re-attach: never a second prediction for this scene
        since = clip.create_started_at or time.time()
        if clip.status is ClipStatus.CREATING:  # a create was in flight when we stopped
            found = await self._predictions.find_created(
                inputs, since=since, claimed=self._repo.claimed_prediction_ids
            )
            if found is not None:
                await self._started(generation, clip, found.id)
                return found.id
        await self._repo.clip_creating(clip.id)
        try:
            prediction = await self._predictions.create(
                inputs, since=time.time(), claimed=self._repo.claimed_prediction_ids
            )
        except CreateFailed as exc:
            await self._repo.clip_ended(clip.id, ClipStatus.FAILED, str(exc))
            self._bus.publish(ClipFailed(generation.id, clip.index, str(exc), False))
            raise ClipError(clip.index, str(exc)) from exc
        await self._started(generation, clip, prediction.id)
        return prediction.id

    async def _started(self, generation: Generation, clip: Clip, prediction_id: str) -> None:
        await self._repo.clip_started(clip.id, prediction_id)
        self._bus.publish(ClipStarted(generation.id, clip.index, prediction_id))

    async def _outcome(
        self, generation: Generation, clip: Clip, prediction_id: str, prediction: Prediction | None
    ) -> str | None:
        """None when the prediction succeeded with an output, else the reason it did not."""
        if prediction is None:
            await self._predictions.cancel(prediction_id)
            return f"the prediction was still running after {self._timeout:g} s and was cancelled"
        if prediction.status == "failed":
            return f"Replicate failed the prediction: {prediction.error or 'no error message'}"
        if prediction.status == "canceled":
            return "the prediction was cancelled at Replicate"
        if not _output_url(prediction.output):
            return "Replicate returned no video (the output was empty, possibly filtered)"
        return None

    async def _download(self, generation: Generation, clip: Clip, prediction: Prediction) -> Path:
        folder = self._policy.folder(generation.id)
        url = _output_url(prediction.output)
        assert url is not None
        dest = folder / f"clip-{clip.index + 1}.mp4"
        try:
            await self._fetch(generation, clip, url, dest)
            thumb = await media.thumbnail(dest, folder / f"clip-{clip.index + 1}.jpg")
        except MediaError as exc:
            await self._repo.clip_ended(clip.id, ClipStatus.FAILED, exc.reason)
            self._bus.publish(ClipFailed(generation.id, clip.index, exc.reason, False))
            raise ClipError(clip.index, exc.reason) from exc
        await self._repo.clip_succeeded(
            clip.id,
            output_path=str(dest),
            thumbnail_path=str(thumb),
            predict_seconds=predict_seconds(prediction),
        )
        self._bus.publish(ClipCompleted(generation.id, clip.index, dest, thumb))
        return dest

    async def _fetch(self, generation: Generation, clip: Clip, url: str, dest: Path) -> None:
        """Download the clip, trying again (a bounded number of times, backing off) when the
        failure may pass."""
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:
                await media.download(
                    self._http,
                    url,
                    dest,
                    allowed_hosts=self._policy.allowed_hosts,
                    max_bytes=self._policy.max_clip_bytes,
                )
                return
            except MediaUnavailable as exc:
                if attempt == DOWNLOAD_ATTEMPTS:
                    raise
                log.warning(
                    "generation %s clip %s: %s; downloading again (attempt %d/%d)",
                    generation.id,
                    clip.index + 1,
                    exc.reason,
                    attempt + 1,
                    DOWNLOAD_ATTEMPTS,
                )
                await asyncio.sleep(DOWNLOAD_BACKOFF * 2 ** (attempt - 1))

    async def close(self) -> None:
        """Stop following predictions: called once no clip is being made any more."""
        await self._predictions.close()

    async def cancel(self, clip: Clip, inputs: dict[str, object] | None) -> None:
        """Cancel the clip's prediction at Replicate, finding it first if its create was lost."""
        prediction_id = clip.prediction_id
        if prediction_id is None and clip.status is ClipStatus.CREATING and inputs is not None:
            found = await self._predictions.find_created(
                inputs,
                since=clip.create_started_at or time.time(),
                claimed=self._repo.claimed_prediction_ids,
            )
            prediction_id = found.id if found else None
        if prediction_id is not None:
            await self._predictions.cancel(prediction_id)
        if clip.status is not ClipStatus.SUCCEEDED:
            await self._repo.clip_ended(clip.id, ClipStatus.CANCELLED, "cancelled")


def _output_url(output: object) -> str | None:
    """The video URL in a prediction's output: a string, or the first of a list."""
    if isinstance(output, str) and output:
        return output
    if isinstance(output, list | tuple) and output and isinstance(output[0], str) and output[0]:
        return output[0]
    if isinstance(output, dict):
        for key in ("video", "output", "url"):
            if isinstance(output.get(key), str) and output[key]:
                return str(output[key])
    return None
