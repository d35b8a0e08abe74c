"""A clip's output: the prediction Replicate made and still keeps (made in another process, or
in an earlier run), and its video fetched into the generation's folder, tried again while a
failure may pass (the prediction is paid for: the download is repeated, not it)."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp

from bot.pipeline import media
from bot.pipeline.clips.predictions import PROVIDER_ERRORS, Predictions, describe
from bot.pipeline.clips.snapshot import Snapshot
from bot.retry import Retries
from storage.models import Clip, ClipStatus, Generation
from storage.repository import Repository

log = logging.getLogger(__name__)


class ClipOutputs:
    """Finds a clip's kept output at Replicate and fetches videos within the allowed hosts and
    size. Holds only the clients and limits it is given."""

    def __init__(
        self,
        *,
        repo: Repository,
        predictions: Predictions,
        http: aiohttp.ClientSession,
        allowed_hosts: tuple[str, ...],
        max_bytes: int,
        retries: Retries,
    ) -> None:
        self._repo = repo
        self._download = retries.download
        self._predictions = predictions
        self._http = http
        self._allowed_hosts = allowed_hosts
        self._max_bytes = max_bytes

    async def made_elsewhere(self, generation: Generation, clip: Clip) -> Snapshot | None:
        """A clip that succeeded in another process (taken over: its file is on the machine
        that made it): its prediction, downloaded again while Replicate keeps the output, so
        the scene is not paid for twice. None otherwise (its output removed: made again)."""
        if clip.status is not ClipStatus.SUCCEEDED or not clip.prediction_id:
            return None
        made = await self._kept(generation, clip, clip.prediction_id)
        if made is not None:
            log.info(
                "generation %s clip %s: made as prediction %s, its file is not here: "
                "downloading it",
                generation.id,
                clip.index + 1,
                made.id,
            )
        return made

    async def earlier(self, generation: Generation, clip: Clip) -> Snapshot | None:
        """A Retry of a clip whose prediction of an earlier run succeeded (its download failed,
        or it was cancelled before the download): that prediction, when Replicate still keeps
        its output, so it is downloaded again instead of paid for again. A Retry keeps the
        clip's last prediction id (`Repository.reopen`) and no attempt of this run has been
        made (attempts 0). None otherwise: the clip is made as usual."""
        clip = await self._repo.clip(clip.id)
        if clip.status is not ClipStatus.PENDING or not clip.prediction_id or clip.attempts:
            return None
        earlier = await self._kept(generation, clip, clip.prediction_id)
        if earlier is not None:
            log.info(
                "generation %s clip %s: prediction %s succeeded in an earlier run and Replicate "
                "still keeps its output: downloading it again, nothing new paid for",
                generation.id,
                clip.index + 1,
                earlier.id,
            )
        return earlier

    async def _kept(
        self, generation: Generation, clip: Clip, prediction_id: str
    ) -> Snapshot | None:
        """The prediction when it succeeded and Replicate still keeps its output (about an hour
        after it ended); None when it failed, was cancelled, its output was removed, or it
        cannot be read now: the clip is then made again."""
        try:
            made = await self._predictions.get(prediction_id)
        except PROVIDER_ERRORS as exc:
            log.warning(
                "generation %s clip %s: reading its prediction %s failed (%s); making it again",
                generation.id,
                clip.index + 1,
                prediction_id,
                describe(exc),
            )
            return None
        if made.status != "succeeded" or output_url(made.output) is None:
            return None
        return made

    async def fetch(self, generation: Generation, clip: Clip, url: str, dest: Path) -> None:
        """Download the clip's video to `dest`, trying again (a bounded number of times,
        backing off: `bot.retry`'s download policy) when the failure may pass. Raises
        MediaError."""
        await self._download.call(
            lambda: media.download(
                self._http,
                url,
                dest,
                allowed_hosts=self._allowed_hosts,
                max_bytes=self._max_bytes,
            ),
            "generation %s clip %s",
            generation.id,
            clip.index + 1,
        )


def output_removed(prediction: Snapshot) -> bool:
    """Succeeded, but Replicate has removed the output (its data is kept about an hour)."""
    return (
        prediction.status == "succeeded"
        and prediction.data_removed
        and output_url(prediction.output) is None
    )


def output_url(output: object) -> str | None:
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
