"""Cancelling predictions at Replicate, and again later when Replicate did not answer.

A cancelled generation must stop billing even when Replicate errors at that moment: each
clip's cancel is attempted on its own, and a prediction that could not be cancelled (or a
create whose answer was lost and whose prediction could not be looked up) is stored in
`pending_cancels` and tried again — at the next poll, backing off, and at start-up — until
Replicate confirms.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from bot.pipeline.clips.predictions import PROVIDER_ERRORS, Predictions, describe
from bot.tasks import spawn
from storage.models import Clip, ClipStatus
from storage.repository import Repository

log = logging.getLogger(__name__)

RETRY_MAX = 60.0  # seconds between tries of a cancel Replicate did not confirm, at most


class Cancels:
    """Cancels clips' predictions; keeps trying, through the database, those that failed."""

    def __init__(self, repo: Repository, predictions: Predictions) -> None:
        self._repo = repo
        self._predictions = predictions
        self._task: asyncio.Task[None] | None = None

    async def cancel(self, clip: Clip, inputs: dict[str, object] | None) -> None:
        """Cancel the clip's prediction at Replicate, finding it first if its create was lost.
        Replicate failing to answer does not stop it: the prediction is stored to be cancelled
        again later (`watch`), and the clip is cancelled all the same."""
        prediction_id = clip.prediction_id
        lost = prediction_id is None and clip.status is ClipStatus.CREATING and inputs is not None
        try:
            if lost:
                found = await self._predictions.find_created(
                    dict(inputs or {}),
                    since=clip.create_started_at or time.time(),
                    claimed=self._repo.claimed_prediction_ids,
                )
                prediction_id = found.prediction_id
            done = prediction_id is None or await self._predictions.cancel(prediction_id)
        except PROVIDER_ERRORS as exc:
            log.warning(
                "cancelling clip %s of generation %s: %s; trying again later",
                clip.index + 1,
                clip.generation_id,
                describe(exc),
            )
            done = False
        if not done:
            await self.later(clip, prediction_id, inputs, "cancelled by a member")
        if clip.status is not ClipStatus.SUCCEEDED:
            await self._repo.clip_ended(clip.id, ClipStatus.CANCELLED, "cancelled")

    async def now_or_later(self, clip: Clip, prediction_id: str, reason: str) -> None:
        if not await self._predictions.cancel(prediction_id):
            await self.later(clip, prediction_id, None, reason)

    async def later(
        self,
        clip: Clip,
        prediction_id: str | None,
        inputs: dict[str, object] | None,
        reason: str,
    ) -> None:
        """Store a prediction to cancel once Replicate answers, and make sure it is tried."""
        await self._repo.add_pending_cancel(
            clip.id,
            prediction_id=prediction_id,
            inputs=None if prediction_id is not None else json.dumps(inputs),
            create_started_at=clip.create_started_at,
            reason=reason,
        )
        self.watch()

    def watch(self, first_delay: float | None = None) -> None:
        """Try the stored cancels again — after `first_delay` (default: the next poll), then
        backing off — until none is left. Called at start-up and when a cancel fails."""
        if self._task is None or self._task.done():
            delay = self._predictions.poll_interval if first_delay is None else first_delay
            self._task = spawn(self._retry_loop(delay), name="replicate-cancels")

    async def _retry_loop(self, delay: float) -> None:
        while True:
            await asyncio.sleep(delay)
            if not await self.retry():
                return
            delay = min(max(delay, self._predictions.poll_interval) * 2, RETRY_MAX)

    async def retry(self) -> int:
        """One try at every stored cancel; returns how many are still pending."""
        pending = await self._repo.pending_cancels()
        left = 0
        for entry in pending:
            prediction_id = entry.prediction_id
            try:
                if prediction_id is None and entry.inputs:
                    found = await self._predictions.find_created(
                        json.loads(entry.inputs),
                        since=entry.create_started_at or entry.created_at,
                        claimed=self._repo.claimed_prediction_ids,
                    )
                    prediction_id = found.prediction_id  # None: never created, or long ended
                done = prediction_id is None or await self._predictions.cancel(prediction_id)
            except PROVIDER_ERRORS as exc:
                log.warning("cancelling again (clip %s): %s", entry.clip_id, describe(exc))
                done = False
            if done:
                await self._repo.drop_pending_cancel(entry.id)
                log.info(
                    "clip %s: prediction %s cancelled after an earlier failure (%s)",
                    entry.clip_id,
                    prediction_id or "(never created)",
                    entry.reason,
                )
            else:
                left += 1
        return left

    async def close(self) -> None:
        """Stop trying (the process is stopping): cancels still pending stay stored."""
        canceller, self._task = self._task, None
        if canceller is not None and not canceller.done():
            canceller.cancel()
            await asyncio.wait([canceller])
