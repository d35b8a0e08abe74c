"""The one retry mechanism: named tenacity policies.

A `Policy` says which failures may pass (`transient`), how many attempts (`attempts`, None
for "until it works or the task is cancelled"), the backoff (`first_wait` seconds before the
second attempt, doubled each time up to `max_wait`) and logs one line before each sleep.
Use it in one of two ways::

    # a call: returns its result, or raises its last exception (a non-transient one at once)
    message = await retries.discord_post.call(
        lambda: channel.send(...), "posting %s of generation %s", key, generation_id
    )

    # a block of several statements (each attempt runs the whole block again)
    async for attempt in retries.download.attempts_of("generation %s clip %s", gid, index):
        with attempt:
            await media.download(...)

The context (a %-format and its arguments) is formatted lazily by `logging`, into
"<context>: <error>; trying again (attempt 2/4) in 1 s".

The named policies are the fields of `Retries`, built once per process from the
`RETRY_WAIT_SCALE` setting and passed to each object at construction: every wait is
multiplied by it (1 in production; tests pass `Retries(wait_scale=0)` or a small scale, so no
test patches a client or a module constant to make waits short). The policies:

- `provider_call`: a request to Replicate or OpenAI that fails for a moment (HTTP 429 or
  5xx, a dropped connection, a timeout): 4 attempts, 1 s then doubled.
- `discord_post`: a message, thread or DM sent to Discord (same failures): 4 attempts, 1 s.
- `discord_edit`: the final edit of a live reply: 3 attempts, 2 s then 4 s.
- `download`: a clip's video fetched from Replicate's CDN (`MediaUnavailable`): 3 attempts,
  0.5 s then 1 s (the prediction is paid for: the download is repeated, not it).
- `database_write`: a write that must land (a generation's end): `storage.backend`'s
  transient errors and OSError (a full disk), until it does, 0.5 s doubled up to 30 s.
- `structured_answer`: an AI answer that was cut off, empty or not in the asked shape
  (ValueError, pydantic's ValidationError included): asked once more at once.

A policy may also be `paced(...)`: a failure that says itself how long to wait (a provider's
"429, try again in 30 s") waits that long instead of the backoff, and is not counted against
`attempts` (being told to wait is not a failed attempt); such waits are bounded in total by
`paced_for` seconds (each counted as at least 1 s), after which the last failure is raised.
The wait comes from the exception (tenacity's `wait` gets the retry state), is the provider's
own figure and so is not scaled.

A film that is still too big after a transcode is not retried through a policy:
`media.transcode.fit_to_size` encodes a second time with a bitrate computed from the first
result, a refinement rather than the same call repeated after a passing failure (nothing to
wait for, nothing transient).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
import httpx
from tenacity import (
    AsyncRetrying,
    AttemptManager,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_never,
    wait_exponential,
)

from bot.pipeline.errors import MediaUnavailable
from storage.backend import TransientError

log = logging.getLogger(__name__)

T = TypeVar("T")

Transient = Callable[[BaseException], bool]


def http_transient(exc: BaseException) -> bool:
    """A request that failed for a moment: HTTP 429 or 5xx (the integer `status` that
    `discord.HTTPException`, `replicate.exceptions.ReplicateError` and
    `openai.APIStatusError` carry; `status_code` on the last), a dropped connection or a
    timeout."""
    status = getattr(exc, "status", None)
    if not isinstance(status, int):
        status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status >= 500 or status == 429
    return isinstance(exc, aiohttp.ClientError | httpx.TransportError | OSError | TimeoutError)


def _media_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, MediaUnavailable)


def _store_failed(exc: BaseException) -> bool:
    return isinstance(exc, (*TransientError, OSError))


def _unusable_answer(exc: BaseException) -> bool:
    return isinstance(exc, ValueError)


@dataclass(frozen=True)
class Policy:
    """One named way of trying again (see the module docstring)."""

    name: str
    transient: Transient
    attempts: int | None  # None: until it succeeds or the task is cancelled
    first_wait: float = 1.0  # seconds before the second attempt; doubled after
    max_wait: float = 30.0
    level: int = logging.WARNING  # of the line logged before each sleep
    wait_scale: float = 1.0  # every wait multiplied by it (0: no waits, for tests)
    again: str = "trying again"  # the log line's verb: "downloading again"
    # the wait a failure asks for itself (None: not such a failure): see `paced`
    told: Callable[[BaseException], float | None] | None = None
    paced_for: float = 300.0  # seconds of such waits in all before giving up

    def scaled(self, factor: float) -> Policy:
        return dataclasses.replace(self, wait_scale=self.wait_scale * factor)

    def when(self, transient: Transient) -> Policy:
        """The same policy, trying again on the failures `transient` accepts instead."""
        return dataclasses.replace(self, transient=transient)

    def once(self) -> Policy:
        """The same policy with a single attempt (its failure raised as it is)."""
        return dataclasses.replace(self, attempts=1)

    def paced(self, told: Callable[[BaseException], float | None], *, within: float) -> Policy:
        """The same policy, where a failure for which `told` gives seconds waits those seconds
        (unscaled: the provider's figure), is not counted as an attempt, and such waits stop
        after `within` seconds in all (module docstring)."""
        return dataclasses.replace(self, told=told, paced_for=within)

    def retrying(self, context: str = "", *args: object) -> AsyncRetrying:
        """The tenacity controller of this policy; `context` % `args` names the work in the
        log line (lazily). One controller per run of the work (each call builds its own)."""
        scale = self.wait_scale
        stop: Callable[[RetryCallState], bool] = (
            stop_never if self.attempts is None else stop_after_attempt(self.attempts)
        )
        wait: Callable[[RetryCallState], float] = wait_exponential(
            multiplier=self.first_wait * scale, min=0, max=self.max_wait * scale
        )
        paced = None
        if self.told is not None:
            first, most = self.first_wait * scale, self.max_wait * scale
            paced = _Paced(
                self.told, self.attempts, self.paced_for, lambda n: min(most, first * 2 ** (n - 1))
            )
            stop, wait = paced.stop_and_wait()
        return AsyncRetrying(
            retry=retry_if_exception(self.transient),
            stop=stop,
            wait=wait,
            before_sleep=self._log_before_sleep(context or self.name, args, paced),
            reraise=True,
        )

    def attempts_of(self, context: str = "", *args: object) -> AsyncIterator[AttemptManager]:
        """`async for attempt in policy.attempts_of(...): with attempt: ...`"""
        return self.retrying(context, *args).__aiter__()

    async def call(self, fn: Callable[[], Awaitable[T]], context: str = "", *args: object) -> T:
        """`fn()` (called anew for each attempt) until it returns; a non-transient failure is
        raised at once, the last transient one when the attempts run out."""

        async def attempt() -> T:  # tenacity calls a plain function (a lambda) without awaiting
            return await fn()

        return await self.retrying(context, *args)(attempt)

    def _log_before_sleep(
        self, context: str, args: tuple[object, ...], paced: _Paced | None = None
    ) -> Callable[[RetryCallState], None]:
        total = "∞" if self.attempts is None else str(self.attempts)
        level = self.level
        # lazy %-formatting below: "<context>: <error>; trying again (attempt 2/4) in 1 s"
        line = context + ": %s; " + self.again + " (attempt %d/%s) in %.2g s"

        def before_sleep(state: RetryCallState) -> None:
            outcome = state.outcome
            exc = outcome.exception() if outcome is not None else None
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            log.log(
                level,
                line,
                *args,
                _describe(exc),
                state.attempt_number + 1 - (paced.paced if paced is not None else 0),
                total,
                wait,
            )

        return before_sleep


@dataclass
class _Paced:
    """The stop and wait of a paced policy over one run: the failures that said how long to
    wait are counted apart (their waits summed), the others against `attempts` with the
    backoff counted in them alone."""

    told: Callable[[BaseException], float | None]
    attempts: int | None
    within: float
    backoff: Callable[[int], float]  # the wait after the n-th counted failure
    paced: int = 0  # attempts that failed saying how long to wait
    waited: float = 0.0  # what those said, in all
    last: float | None = None  # what the latest failure said (None: it said nothing)
    seen: int = 0  # the attempt `last` is about

    def stop_and_wait(
        self,
    ) -> tuple[Callable[[RetryCallState], bool], Callable[[RetryCallState], float]]:
        return self._stop, self._wait

    def _stop(self, state: RetryCallState) -> bool:
        told = self._told(state)
        if told is not None:
            return self.waited > self.within
        counted = state.attempt_number - self.paced
        return self.attempts is not None and counted >= self.attempts

    def _wait(self, state: RetryCallState) -> float:
        told = self._told(state)
        if told is not None:
            return told
        return self.backoff(max(1, state.attempt_number - self.paced))  # as if paced ones were not

    def _told(self, state: RetryCallState) -> float | None:
        """What the failure of this attempt said to wait, counted once (tenacity asks `wait`
        and `stop` after each failure, in an order of its own)."""
        if self.seen != state.attempt_number:
            self.seen = state.attempt_number
            outcome = state.outcome
            exc = outcome.exception() if outcome is not None else None
            self.last = self.told(exc) if exc is not None else None
            if self.last is not None:
                self.paced += 1
                self.waited += max(1.0, self.last)  # "0 s" again and again ends too
        return self.last


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no error"
    reason = getattr(exc, "reason", None)  # the pipeline's errors carry a public-safe reason
    return str(reason) if isinstance(reason, str) else (str(exc) or type(exc).__name__)


PROVIDER_CALL = Policy("a provider call", http_transient, attempts=4, first_wait=1.0)
DISCORD_POST = Policy(
    "a Discord post", http_transient, attempts=4, first_wait=1.0, level=logging.INFO
)
DISCORD_EDIT = Policy("a reply's final edit", http_transient, attempts=3, first_wait=2.0)
DOWNLOAD = Policy(
    "a download", _media_unavailable, attempts=3, first_wait=0.5, again="downloading again"
)
DATABASE_WRITE = Policy(
    "a database write", _store_failed, attempts=None, first_wait=0.5, max_wait=30.0
)
STRUCTURED_ANSWER = Policy(
    "a structured answer", _unusable_answer, attempts=2, first_wait=0.0, again="asking again"
)


@dataclass(frozen=True)
class Retries:
    """The named policies of one process, every wait multiplied by `wait_scale` (the
    `RETRY_WAIT_SCALE` setting; 0 makes every retry immediate)."""

    wait_scale: float = 1.0
    provider_call: Policy = PROVIDER_CALL
    discord_post: Policy = DISCORD_POST
    discord_edit: Policy = DISCORD_EDIT
    download: Policy = DOWNLOAD
    database_write: Policy = DATABASE_WRITE
    structured_answer: Policy = STRUCTURED_ANSWER

    def __post_init__(self) -> None:
        if self.wait_scale != 1.0:
            for field in dataclasses.fields(self):
                value = getattr(self, field.name)
                if isinstance(value, Policy):
                    object.__setattr__(self, field.name, value.scaled(self.wait_scale))
