"""Replicate predictions: create without blocking waits, follow many with few requests, cancel.

Creating is never retried blindly: the client does not retry POSTs, and a 5xx or a dropped
connection may still have created the prediction, so an ambiguous failure is reconciled by
listing recent predictions before trying again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import httpx
import replicate
from replicate.exceptions import ReplicateError
from replicate.prediction import Prediction

from bot.pipeline.budget import RequestBudget
from bot.tasks import spawn

log = logging.getLogger(__name__)

TERMINAL = frozenset({"succeeded", "failed", "canceled"})
CREATE_ATTEMPTS = 4
RECONCILE_SLACK = 120.0  # seconds of clock skew tolerated when matching a lost create
RECONCILE_PAGES = 3


Claimed = Callable[[Sequence[str]], Awaitable[set[str]]]
"""Which of these prediction ids already belong to a clip."""


class CreateFailed(Exception):
    """Replicate refused to create the prediction (not worth retrying with the same input)."""


def describe(exc: BaseException) -> str:
    """A short reason for a provider error, without secrets."""
    if isinstance(exc, ReplicateError):
        return f"Replicate answered {exc.status}: {exc.detail or exc.title or 'no detail'}"
    if isinstance(exc, httpx.TimeoutException):
        return "Replicate did not answer in time"
    if isinstance(exc, httpx.TransportError):
        return "could not reach Replicate"
    return type(exc).__name__


def _ambiguous(exc: BaseException) -> bool:
    """Whether a failed create may have created the prediction anyway."""
    if isinstance(exc, ReplicateError):
        return exc.status is None or exc.status >= 500
    return isinstance(exc, httpx.TransportError)


def _timestamp(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


class Predictions:
    """The Replicate side of clip rendering, over a `replicate.Client` passed in."""

    def __init__(
        self,
        client: replicate.Client,
        *,
        model: str,
        reads_per_minute: float = 2400,
        creates_per_minute: float = 480,
        poll_interval: float = 1.0,
    ) -> None:
        self._client = client
        self._model = model
        self._reads = RequestBudget(reads_per_minute, burst=20)
        self._creates = RequestBudget(creates_per_minute, burst=20)
        self._interval = poll_interval
        self._waiters: dict[str, list[asyncio.Future[Prediction]]] = {}
        self._poller: asyncio.Task[None] | None = None

    # create ------------------------------------------------------------------------------

    async def create(self, inputs: dict[str, Any], *, since: float, claimed: Claimed) -> Prediction:
        """Create one prediction, retrying throttling and ambiguous failures without duplicates.
        `since` is when the first attempt began; `claimed` are ids that belong to other clips."""
        delay = 1.0
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            await self._creates.take()
            try:
                return await self._client.predictions.async_create(model=self._model, input=inputs)
            except (ReplicateError, httpx.TransportError) as exc:
                if isinstance(exc, ReplicateError) and exc.status == 429:
                    self._creates.pause(delay)
                elif _ambiguous(exc):
                    found = await self.find_created(inputs, since=since, claimed=claimed)
                    if found is not None:
                        log.info(
                            "create of %s failed (%s) but it exists: %s",
                            self._model,
                            describe(exc),
                            found.id,
                        )
                        return found
                else:
                    raise CreateFailed(describe(exc)) from exc
                if attempt == CREATE_ATTEMPTS:
                    raise CreateFailed(describe(exc)) from exc
                log.warning(
                    "create attempt %d/%d failed: %s", attempt, CREATE_ATTEMPTS, describe(exc)
                )
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    async def find_created(
        self, inputs: dict[str, Any], *, since: float, claimed: Claimed
    ) -> Prediction | None:
        """A recent prediction of our model with exactly `inputs`, created after `since`, that
        no clip has claimed: the result of a create whose answer was lost. One that already
        failed or was cancelled is never adopted: it may be an earlier attempt at the same
        clip (whose id the clip gave up), and adopting it would only spend an attempt."""
        cursor: Any = ...
        for _ in range(RECONCILE_PAGES):
            await self._reads.take()
            page = await self._client.predictions.async_list(cursor)
            matches = [
                p
                for p in page.results
                if p.model == self._model
                and p.status not in ("failed", "canceled")
                and p.input == inputs
                and _timestamp(p.created_at) >= since - RECONCILE_SLACK
            ]
            taken = await claimed([p.id for p in matches])
            for prediction in reversed(matches):  # the oldest unclaimed one
                if prediction.id not in taken:
                    return prediction
            oldest = min((_timestamp(p.created_at) for p in page.results), default=0.0)
            if not page.next or oldest < since - RECONCILE_SLACK:
                return None
            cursor = page.next
        return None

    # follow ------------------------------------------------------------------------------

    async def wait(self, prediction_id: str, *, timeout: float) -> Prediction | None:
        """The prediction once it has ended; None if it was still running after `timeout`."""
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(prediction_id, []).append(future)
        if self._poller is None or self._poller.done():
            self._poller = spawn(self._poll(), name="replicate-poller")
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            waiting = self._waiters.get(prediction_id, [])
            if future in waiting:
                waiting.remove(future)
            if not waiting:
                self._waiters.pop(prediction_id, None)

    async def _poll(self) -> None:
        """One loop for every prediction in flight: a page of the list covers a hundred."""
        while self._waiters:
            await asyncio.sleep(self._interval)
            try:
                await self._poll_once()
            except (ReplicateError, httpx.TransportError) as exc:
                log.warning("polling Replicate failed: %s", describe(exc))
                if isinstance(exc, ReplicateError) and exc.status == 429:
                    self._reads.pause(5)
            except Exception:  # an odd answer must not strand every waiter: log, poll again
                log.exception("polling Replicate failed unexpectedly")

    async def _poll_once(self) -> None:
        wanted = set(self._waiters)
        seen: dict[str, Prediction] = {}
        listed: set[str] = set()
        cursor: Any = ...
        for _ in range(len(wanted) // 100 + 2):
            results, cursor = await self._list_page(cursor)
            for raw in results:
                prediction_id = raw.get("id")
                if prediction_id in wanted:
                    listed.add(prediction_id)
                    if raw.get("status") in TERMINAL:  # only these become models
                        seen[prediction_id] = Prediction(**raw)
            if wanted <= listed or not cursor:
                break
        for prediction_id in list(wanted - listed)[:10]:  # older than the list reaches
            found = await self._read_one(prediction_id)
            if found is not None:
                seen[prediction_id] = found
        for prediction in seen.values():
            if prediction.status in TERMINAL:
                if prediction.status == "succeeded" and not prediction.output:
                    # the list may leave output out: confirm
                    prediction = await self._read_one(prediction.id) or prediction
                for future in self._waiters.get(prediction.id, []):
                    if not future.done():
                        future.set_result(prediction)

    async def _list_page(self, cursor: Any) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the prediction list as plain JSON, and the next page's cursor. Turning a
        page into a hundred `Prediction` models costs ~4 ms of CPU (pydantic, twice over) where
        the JSON alone costs 0.3 ms, and only the few that ended are needed as models; so the
        page is fetched with the client's own request method (auth, retries, errors as
        `ReplicateError`) instead of `predictions.async_list`."""
        await self._reads.take()
        response = await self._client._async_request(
            "GET", "/v1/predictions" if cursor is ... else cursor
        )
        page = response.json()
        return list(page.get("results") or []), page.get("next")

    async def _read_one(self, prediction_id: str) -> Prediction | None:
        """One prediction, or None (logged) when it cannot be read: one unreadable id must not
        keep the others' results from their waiters."""
        await self._reads.take()
        try:
            return await self._client.predictions.async_get(prediction_id)
        except (ReplicateError, httpx.TransportError) as exc:
            log.warning("reading prediction %s failed: %s", prediction_id, describe(exc))
            return None

    async def close(self) -> None:
        """Stop following predictions (the process is stopping; nothing changes at Replicate)."""
        poller, self._poller = self._poller, None
        if poller is not None and not poller.done():
            poller.cancel()
            await asyncio.wait([poller])

    async def get(self, prediction_id: str) -> Prediction:
        await self._reads.take()
        return await self._client.predictions.async_get(prediction_id)

    async def cancel(self, prediction_id: str) -> None:
        """Cancel at Replicate; a prediction that has already ended stays as it is."""
        await self._reads.take()
        try:
            await self._client.predictions.async_cancel(prediction_id)
        except (ReplicateError, httpx.TransportError) as exc:
            log.warning("cancelling prediction %s failed: %s", prediction_id, describe(exc))


def predict_seconds(prediction: Prediction) -> float:
    """Replicate's billed time for the prediction, or its wall time when not reported."""
    metrics = prediction.metrics or {}
    if isinstance(metrics.get("predict_time"), int | float):
        return float(metrics["predict_time"])
    started, completed = _timestamp(prediction.started_at), _timestamp(prediction.completed_at)
    return max(0.0, completed - started) if started and completed else 0.0


def now() -> float:
    return time.time()
