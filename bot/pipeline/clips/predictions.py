"""Replicate predictions: create without blocking waits, follow many with few requests, cancel.

Creating is never retried blindly: the client does not retry POSTs, and a 5xx or a dropped
connection may still have created the prediction, so an ambiguous failure is reconciled by
listing recent predictions before trying again.

Creating goes through `replicate.Client`; reading and cancelling go through a plain
`httpx.AsyncClient` on the same transport (the API's base URL and the token, built in
`bot/services.py`), so that each prediction Replicate describes is read on its own
(`bot.pipeline.clips.snapshot`): the list is the whole account's, and one entry the SDK's model
would
reject (an `aborted` status, an `error` object) must not stop every clip.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import replicate
from replicate.exceptions import ReplicateError

from bot.pipeline.clips.budget import RequestBudget
from bot.pipeline.clips.snapshot import UNREADABLE, Snapshot, entry_id, parse, timestamp
from bot.pipeline.clips.throttled import Throttled, throttled_wait, told_wait
from bot.retry import Retries
from bot.tasks import spawn

log = logging.getLogger(__name__)

CREATE_ATTEMPTS = 4
THROTTLED_FOR = 300.0  # seconds a create may spend told to wait (429s) before its clip fails
RECONCILE_SLACK = 120.0  # seconds of clock skew tolerated when matching a lost create
POLL_PAGES = 10
RECONCILE_PAGES = 10  # the list is the whole account's: other apps may have added many since
LIST_PATH = "/v1/predictions"
DEADLINE_MARGIN = 30.0  # seconds past the clip timeout before Replicate ends it by itself
_GIVEN_UP = frozenset({"failed", "canceled", "aborted", UNREADABLE})


Claimed = Callable[[Sequence[str]], Awaitable[set[str]]]
"""Which of these prediction ids already belong to a clip."""


class CreateFailed(Exception):
    """Replicate refused to create the prediction (not worth retrying with the same input)."""


class UnreadableAnswer(ValueError):
    """Replicate answered, but not with JSON of the documented shape."""


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a search for a lost create found: the prediction, and how many predictions of the
    model created in the window can no longer be matched (Replicate removed their input)."""

    prediction_id: str | None
    unmatchable: int = 0


def describe(exc: BaseException) -> str:
    """A short reason for a provider error, without secrets."""
    if isinstance(exc, ReplicateError):
        return f"Replicate answered {exc.status}: {exc.detail or exc.title or 'no detail'}"
    if isinstance(exc, httpx.TimeoutException):
        return "Replicate did not answer in time"
    if isinstance(exc, httpx.TransportError):
        return "could not reach Replicate"
    if isinstance(exc, ValueError | httpx.RequestError):  # e.g. the SDK's model refused it
        return "Replicate's answer could not be read"
    return type(exc).__name__


PROVIDER_ERRORS = (ReplicateError, httpx.RequestError, UnreadableAnswer)
"""What a request to Replicate may raise: an error answer, no answer, an unreadable answer."""


def deadline_header(seconds: float | None) -> dict[str, str]:
    """Replicate's prediction deadline: "Set a deadline by including a Cancel-After header when
    creating a prediction" (example `Cancel-After: 1m`); "Replicate sets the prediction's status
    to aborted if the deadline is reached before it starts running, and canceled if the deadline
    is reached while it's running. [...] you're only charged for predictions with a canceled
    status, not for aborted ones"
    (https://replicate.com/changelog/2025-10-16-prediction-deadlines). Whole seconds with the
    unit, as a duration (`900s`); a margin past the bot's own timeout, which starts when the
    wait does and is enforced by a cancel while the bot is up: the header ends what the bot,
    stopped, cannot."""
    if seconds is None or seconds <= 0:
        return {}
    return {"Cancel-After": f"{math.ceil(seconds + DEADLINE_MARGIN)}s"}


def _create_again(exc: BaseException) -> bool:
    """A create worth trying again: throttled, or ambiguous and not found (`_create_once`)."""
    return isinstance(exc, (*PROVIDER_ERRORS, ValueError)) and not isinstance(exc, CreateFailed)


def _ambiguous(exc: BaseException) -> bool:
    """Whether a failed create may have created the prediction anyway."""
    if isinstance(exc, ReplicateError):
        return exc.status is None or exc.status >= 500
    # ValueError: the SDK could not read the answer to a create that succeeded (e.g. a status
    # its model does not know): the prediction exists
    return isinstance(exc, httpx.TransportError | ValueError)


@dataclass(eq=False, slots=True)
class _InLine:
    """A create waiting for the create budget, and whom to tell about its wait."""

    held: Callable[[int, float], None] | None


@dataclass(eq=False)
class AccountBudgets:
    """Replicate's request budgets, which are the account's (every model the bot calls, the
    clips, the score, the portraits): one set per process, given to each model's `Predictions`
    so together they stay under them. `in_line`: the creates waiting for `creates`, first
    first (what a held clip is told: `Predictions.create`)."""

    # Replicate: "You can create predictions at 600 requests per minute. All other endpoints
    # you can call at 3000 requests per minute" (docs/topics/predictions/rate-limits). The
    # create bucket lets through at most its burst (20) + 560 in any 60 s, 580: the cap with
    # room for requests that arrive late, and 0.93 of it sustained (the benchmark's `sustained`
    # scenario; 480 held it to 0.80).
    reads: RequestBudget = field(default_factory=lambda: RequestBudget(2400, burst=20))
    creates: RequestBudget = field(default_factory=lambda: RequestBudget(560, burst=20))
    in_line: list[_InLine] = field(default_factory=list)

    def share(self, parts: int) -> None:
        """With `parts` processes on one token, this one keeps a `parts`-th of each budget
        (`bot.pipeline.run.lease` counts the live ones)."""
        self.reads.share(parts)
        self.creates.share(parts)


class Predictions:
    """The Replicate side of clip rendering: creates over a `replicate.Client`, reads and
    cancels over `api` (an `httpx.AsyncClient` with the API's base URL and the token). Follows
    every awaited prediction with one poller that lists a hundred a request."""

    def __init__(
        self,
        client: replicate.Client,
        api: httpx.AsyncClient,
        *,
        model: str,
        budgets: AccountBudgets | None = None,  # None: its own (one model alone)
        poll_interval: float = 1.0,
        cancel_after: float | None = None,
        retries: Retries | None = None,
    ) -> None:
        self._client = client
        # a throttled or ambiguous create is tried again (4 attempts, 1 s doubled); anything
        # else Replicate refused is not (`_create_once` raises CreateFailed). A 429 that says
        # when waits that long and is no attempt, up to THROTTLED_FOR seconds in all
        self._create_policy = dataclasses.replace(
            (retries or Retries()).provider_call,
            transient=_create_again,
            attempts=CREATE_ATTEMPTS,
        ).paced(throttled_wait, within=THROTTLED_FOR)
        self._api = api
        self._model = model
        self._cancel_after = cancel_after

        self._budgets = budgets or AccountBudgets()
        self._reads = self._budgets.reads
        self._creates = self._budgets.creates
        self._in_line = self._budgets.in_line  # creates waiting for `_creates`, first first
        self._interval = poll_interval
        self._waiters: dict[str, list[asyncio.Future[Snapshot]]] = {}
        self._waiting_since: dict[str, float] = {}
        self._poller: asyncio.Task[None] | None = None
        self._odd_statuses: set[str] = set()

    @property
    def api(self) -> httpx.AsyncClient:
        """The plain HTTP client to Replicate's API (base URL and token) it was built with."""
        return self._api

    @property
    def poll_interval(self) -> float:
        return self._interval

    def share_budget(self, parts: int) -> None:
        """Replicate's limits are per account: with `parts` processes on one token, this one
        keeps a `parts`-th of each budget (`bot.pipeline.run.lease` counts the live ones)."""
        self._budgets.share(parts)

    # create ------------------------------------------------------------------------------

    def create_wait(self) -> tuple[int, float]:
        """For a create about to be asked for: the creates waiting ahead of it for this
        process's create budget, and the seconds until its turn (`RequestBudget.eta`)."""
        ahead = self._creates.waiting
        return ahead, self._creates.eta(ahead + 1)

    async def create(
        self,
        inputs: dict[str, Any],
        *,
        since: float,
        claimed: Claimed,
        held: Callable[[int, float], None] | None = None,
    ) -> str:
        """Create one prediction, retrying throttling and ambiguous failures without duplicates
        (`bot.retry`'s provider-call policy; an ambiguous failure is first looked for among the
        recent predictions); returns its id. `since` is when the first attempt began; `claimed`
        are ids that belong to other clips; `held(ahead, seconds)` is told before each attempt
        waits for the create budget (`create_wait`). Raises CreateFailed."""
        tries = 0
        try:
            async for attempt in self._create_policy.attempts_of(
                "creating a prediction of %s", self._model
            ):
                with attempt:
                    tries += 1
                    found = await self._create_once(inputs, since, claimed, tries, held)
                    if found is not None:
                        return found
        except (*PROVIDER_ERRORS, ValueError) as exc:  # ValueError: the SDK's model
            raise CreateFailed(describe(exc)) from exc
        raise AssertionError("unreachable: the policy raises its last failure")

    async def _create_once(
        self,
        inputs: dict[str, Any],
        since: float,
        claimed: Claimed,
        throttled: int,
        held: Callable[[int, float], None] | None,
    ) -> str | None:
        """One create; a failure Replicate may have acted on anyway is looked for, and raised
        again (to be tried again) when it is not found. CreateFailed when it is not worth it."""
        await self._take_create(held)
        try:
            return await self._post_create(inputs)
        except (*PROVIDER_ERRORS, ValueError) as exc:
            if isinstance(exc, ReplicateError) and exc.status == 429:
                # every create of this process waits: the budget is the account's. As long as
                # Replicate said (the policy waits as much), else the backoff
                told = throttled_wait(exc)
                backoff = self._create_policy.first_wait * 2 ** (throttled - 1)
                self._creates.pause(told if told is not None else backoff)
                self._announce_line()  # every create waiting now waits longer
                if held is not None:  # and this one joins the line once the pause is over
                    behind = len(self._in_line)
                    held(behind, self._creates.eta(behind + 1))
                raise
            if not _ambiguous(exc):
                raise CreateFailed(describe(exc)) from exc
            found = await self.find_created(inputs, since=since, claimed=claimed)
            if found.prediction_id is None:
                raise
            log.info(
                "create of %s failed (%s) but it exists: %s",
                self._model,
                describe(exc),
                found.prediction_id,
            )
            return found.prediction_id

    async def _take_create(self, held: Callable[[int, float], None] | None) -> None:
        """Wait for the create budget, `held` told where in the line and for how long (and
        again whenever a 429 pauses the line)."""
        entry = _InLine(held)
        if held is not None:
            held(*self.create_wait())
        self._in_line.append(entry)  # in the order `take()` serves: it is entered right now
        try:
            await self._creates.take()
        finally:
            self._in_line.remove(entry)

    def _announce_line(self) -> None:
        for place, waiting in enumerate(self._in_line):
            if waiting.held is not None:
                waiting.held(place, self._creates.eta(place + 1))

    async def _post_create(self, inputs: dict[str, Any]) -> str:
        """One create through the bot's own HTTP client: the SDK cannot send `Cancel-After`.
        Raises `ReplicateError` for an error answer, `UnreadableAnswer` for an answer without
        an id (the prediction may exist: reconciled like a lost answer)."""
        if ":" in self._model:  # owner/name:version
            path, body = "/v1/predictions", {"version": self._model, "input": inputs}
        else:
            path, body = f"/v1/models/{self._model}/predictions", {"input": inputs}
        response = await self._api.post(
            path, json=body, headers=deadline_header(self._cancel_after)
        )
        if response.status_code == 429:
            throttled = Throttled.from_response(response)
            assert isinstance(throttled, Throttled)
            throttled.retry_after = told_wait(response)
            raise throttled
        if response.status_code >= 400:
            raise ReplicateError.from_response(response)
        try:
            created = parse(response.json())
        except ValueError as exc:
            raise UnreadableAnswer(f"HTTP {response.status_code} without JSON") from exc
        if created is None:
            raise UnreadableAnswer("the create's answer has no prediction id")
        return created.id

    async def find_created(
        self, inputs: dict[str, Any], *, since: float, claimed: Claimed
    ) -> Lookup:
        """A recent prediction of our model with exactly `inputs`, created after `since`, that
        no clip has claimed: the result of a create whose answer was lost. One that already
        failed, was cancelled or aborted is never adopted: it may be an earlier attempt at the
        same clip (whose id the clip gave up), and adopting it would only spend an attempt.
        Raises what the list request raises (`PROVIDER_ERRORS`)."""
        url: str | None = LIST_PATH
        removed: list[str] = []
        for _ in range(RECONCILE_PAGES):
            if url is None:
                break
            results, url = await self._list_page(url)
            recent = [
                s
                for s in map(parse, results)
                if s is not None
                and s.model == self._model
                and timestamp(s.created_at) >= since - RECONCILE_SLACK
            ]
            matches = [s for s in recent if s.status not in _GIVEN_UP and s.input == inputs]
            taken = await claimed([s.id for s in matches])
            for snapshot in reversed(matches):  # the oldest unclaimed one
                if snapshot.id not in taken:
                    return Lookup(snapshot.id)
            removed += [s.id for s in recent if s.data_removed]
            stamps = [timestamp(r.get("created_at")) for r in results if isinstance(r, dict)]
            if min(stamps, default=0.0) < since - RECONCILE_SLACK:
                break
        unclaimed = set(removed) - await claimed(removed)
        return Lookup(None, len(unclaimed))

    # follow ------------------------------------------------------------------------------

    async def wait(self, prediction_id: str, *, timeout: float) -> Snapshot | None:
        """The prediction once it has ended (or once its entry proved unreadable); None if it
        was still running after `timeout`."""
        future: asyncio.Future[Snapshot] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(prediction_id, []).append(future)
        self._waiting_since.setdefault(prediction_id, time.time())
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
                self._waiting_since.pop(prediction_id, None)

    async def _poll(self) -> None:
        """One loop for every prediction in flight: a page of the list covers a hundred."""
        while self._waiters:
            await asyncio.sleep(self._interval)
            try:
                await self._poll_once()
            except PROVIDER_ERRORS as exc:
                log.warning("polling Replicate failed: %s", describe(exc))
                if isinstance(exc, ReplicateError) and exc.status == 429:
                    self._reads.pause(5)
            except Exception:  # a bug must not strand every waiter: logged, polled again
                log.exception("polling Replicate failed unexpectedly")

    async def _poll_once(self) -> None:
        wanted = set(self._waiters)
        ended: dict[str, Snapshot] = {}
        listed: set[str] = set()
        url: str | None = LIST_PATH
        # other apps' predictions push ours down the list: page on while the pages are newer
        # than the first wait began (bounded), then read the rest one by one
        earliest = min((self._waiting_since.get(p, 0.0) for p in wanted), default=0.0)
        for page in range(POLL_PAGES):
            if url is None:
                break
            results, url = await self._list_page(url)
            stamps = [timestamp(r.get("created_at")) for r in results if isinstance(r, dict)]
            for raw in results:
                prediction_id = entry_id(raw)
                if prediction_id not in wanted:
                    continue  # other clips', other apps': never read, never in the way
                assert prediction_id is not None
                listed.add(prediction_id)
                snapshot = parse(raw)
                if snapshot is not None:
                    self._note(snapshot, ended)
            if wanted <= listed or (
                page >= len(wanted) // 100 + 1
                and min(stamps, default=0.0) < earliest - RECONCILE_SLACK
            ):
                break
        for prediction_id in list(wanted - listed)[:10]:  # older than the list reaches
            found = await self._read_one(prediction_id)
            if found is not None:
                self._note(found, ended)
        for snapshot in ended.values():
            if snapshot.status == UNREADABLE or (
                snapshot.status == "succeeded" and not snapshot.output and not snapshot.data_removed
            ):  # the list may leave output out, or one entry be odd: read it alone to confirm
                confirmed = await self._read_one(snapshot.id)
                if confirmed is not None and not confirmed.ended:
                    continue
                snapshot = confirmed or snapshot
            for future in self._waiters.get(snapshot.id, []):
                if not future.done():
                    future.set_result(snapshot)

    def _note(self, snapshot: Snapshot, ended: dict[str, Snapshot]) -> None:
        if snapshot.ended:
            ended[snapshot.id] = snapshot
        elif snapshot.status not in ("starting", "processing", *self._odd_statuses):
            self._odd_statuses.add(snapshot.status)  # a status newer than this code: said once
            log.warning(
                "Replicate reports a status this bot does not know (%r, prediction %s): "
                "waiting on as if it were running",
                snapshot.status,
                snapshot.id,
            )

    async def _list_page(self, url: str) -> tuple[list[Any], str | None]:
        """One page of the list as plain JSON, and the next page's URL — only when it is on the
        API's own origin, since the token goes with every request."""
        body = await self._request("GET", url)
        if not isinstance(body, dict):
            raise UnreadableAnswer("the prediction list is not an object")
        results = body.get("results")
        following = body.get("next")
        return (
            list(results) if isinstance(results, list) else [],
            self._same_origin(following) if isinstance(following, str) and following else None,
        )

    def _same_origin(self, url: str) -> str | None:
        """`url` if it is on the API's origin (scheme, host and port), else None (logged)."""
        base = self._api.base_url
        try:
            target = base.join(url)
        except httpx.InvalidURL:
            target = None
        if target is not None and (target.scheme, target.host, target.port) == (
            base.scheme,
            base.host,
            base.port,
        ):
            return str(target)
        shown = target.host if target is not None else "an invalid URL"
        log.warning("not following the prediction list to %s: it is not Replicate's API", shown)
        return None

    async def _read_one(self, prediction_id: str) -> Snapshot | None:
        """One prediction, or None (logged) when it cannot be read: one unreadable id must not
        keep the others' results from their waiters."""
        try:
            return await self.get(prediction_id)
        except PROVIDER_ERRORS as exc:
            log.warning("reading prediction %s failed: %s", prediction_id, describe(exc))
            return None

    async def get(self, prediction_id: str) -> Snapshot:
        snapshot = parse(await self._request("GET", f"/v1/predictions/{prediction_id}"))
        if snapshot is None:
            raise UnreadableAnswer(f"Replicate's answer about prediction {prediction_id} has no id")
        return snapshot

    async def cancel(self, prediction_id: str) -> bool:
        """Cancel at Replicate (one that has already ended stays as it is). False when it could
        not be done now and should be tried again later (logged)."""
        try:
            await self._request("POST", f"/v1/predictions/{prediction_id}/cancel")
        except ReplicateError as exc:
            if exc.status == 404:
                log.info("prediction %s is unknown to Replicate: nothing to cancel", prediction_id)
                return True
            log.warning("cancelling prediction %s failed: %s", prediction_id, describe(exc))
            return False
        except (httpx.RequestError, UnreadableAnswer) as exc:
            log.warning("cancelling prediction %s failed: %s", prediction_id, describe(exc))
            return False
        return True

    async def _request(self, method: str, url: str) -> Any:
        """One API request; its JSON body. Raises `PROVIDER_ERRORS`."""
        await self._reads.take()
        response = await self._api.request(method, url)
        if response.status_code >= 400:
            raise ReplicateError.from_response(response)
        try:
            return response.json()
        except ValueError as exc:
            raise UnreadableAnswer(f"HTTP {response.status_code} without JSON") from exc

    async def close(self) -> None:
        """Stop following predictions (the process is stopping; nothing changes at Replicate)."""
        poller, self._poller = self._poller, None
        if poller is not None and not poller.done():
            poller.cancel()
            await asyncio.wait([poller])
