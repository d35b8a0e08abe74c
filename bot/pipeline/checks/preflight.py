"""The start-up check of the providers: what can be checked without spending.

- OpenAI: `GET /v1/models/{OPENAI_MODEL}` proves the key (401 `invalid_api_key` otherwise) and
  that the model is served (404 `model_not_found` for an unknown or shut-down one); the model
  object's `shutdown_date` and the SDK's own list of deprecated models give its shutdown date.
  The same for every other OpenAI model the bot calls: the moderation model (built in) and the
  speech model (`TTS_MODEL`).
- Replicate: `GET /v1/account` proves the token (401 otherwise), `GET /v1/models/{owner}/{name}`
  that `VIDEO_MODEL` exists (404 otherwise).

A refused key or an unknown/shut-down model is a configuration ERROR: `/generate` answers with
it and `python -m bot generate` exits 2. An unknown/shut-down speech model stops only narration
(`NARRATION_SETTINGS`): a narrated `/generate` is refused before anything is spent. A deprecated
model, or a provider that cannot be reached or answers oddly, is a WARNING: the bot starts and
`/generate` still tries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

import httpx
import openai
import replicate
from openai import AsyncOpenAI
from replicate.exceptions import ReplicateError

from bot.pipeline.checks.deprecations import DEPRECATIONS_URL, all_shutdown_dates

log = logging.getLogger(__name__)

CHECK_SECONDS = 10.0  # per provider: a start-up check never holds the bot longer than this
# the label of the moderation model's problems (no setting chooses it: analysis.MODERATION_MODEL)
MODERATION = "MODERATION_MODEL"
NARRATION_SETTINGS = frozenset({"TTS_MODEL"})  # their errors stop narration, not the films


class Severity(StrEnum):
    ERROR = "error"  # /generate cannot work: it answers with this instead of starting
    WARNING = "warning"  # logged; /generate still tries


@dataclass(frozen=True)
class Problem:
    severity: Severity
    # the variable to look at: OPENAI_API_KEY, OPENAI_MODEL, TTS_MODEL, ... (MODERATION for the
    # built-in moderation model)
    setting: str
    text: str  # one sentence naming the setting, what the provider said and what to do

    @property
    def narration_only(self) -> bool:
        """Whether it stops only narration (the speech model), not the films."""
        return self.setting in NARRATION_SETTINGS

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class PreflightResult:
    """What the start-up check found: configuration errors and warnings, in provider order."""

    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def generation_errors(self) -> list[Problem]:
        """The errors that stop every film (all but the speech model's)."""
        return [p for p in self.errors if not p.narration_only]

    @property
    def narration_errors(self) -> list[Problem]:
        """The errors that stop narration only (the speech model shut down or unknown)."""
        return [p for p in self.errors if p.narration_only]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    def log(self, logger: logging.Logger = log) -> None:
        """One line per problem: errors at ERROR, warnings at WARNING."""
        for problem in self.problems:
            level = logging.ERROR if problem.severity is Severity.ERROR else logging.WARNING
            logger.log(level, "start-up check: %s", problem.text)


def _error(setting: str, text: str) -> Problem:
    return Problem(Severity.ERROR, setting, text)


def _warning(setting: str, text: str) -> Problem:
    return Problem(Severity.WARNING, setting, text)


async def check_providers(
    *,
    openai_client: AsyncOpenAI | None,
    openai_model: str,
    replicate_client: replicate.Client | None,
    video_model: str | None,
    suggested_model: str,
    today: date | None = None,
    timeout: float = CHECK_SECONDS,
    others: Sequence[OtherModel] = (),
    replicate_others: Sequence[ReplicateModel] = (),
) -> PreflightResult:
    """Check both providers at once; a None client is not checked (its key is not set).
    `others` are the further OpenAI models the bot calls (moderation, speech);
    `replicate_others` the further Replicate models (the score's, the portraits')."""
    today = today or datetime.now(UTC).date()
    shutdown_dates = await asyncio.to_thread(all_shutdown_dates)
    first = OtherModel("OPENAI_MODEL", openai_model, suggested_model)
    checks: list[Awaitable[list[Problem]]] = []
    if openai_client is not None:
        checks.append(
            _bounded(
                "OpenAI",
                "OPENAI_API_KEY",
                lambda: _check_openai(openai_client, [first, *others], today, shutdown_dates),
                timeout,
            )
        )
    else:  # no key: the SDK's list still tells whether the models are on their way out
        checks.append(
            _as_awaitable(
                [p for m in (first, *others) for p in _sdk_deprecation(m, shutdown_dates, today)]
            )
        )
    if replicate_client is not None and video_model is not None:
        checks.append(
            _bounded(
                "Replicate",
                "REPLICATE_API_TOKEN",
                lambda: _check_replicate(replicate_client, video_model, replicate_others),
                timeout,
            )
        )
    found = await asyncio.gather(*checks)
    return PreflightResult(tuple(p for problems in found for p in problems))


@dataclass(frozen=True)
class OtherModel:
    """An OpenAI model to check: the setting that chooses it, its id, and a current model to
    suggest instead."""

    setting: str
    model: str
    suggested: str


@dataclass(frozen=True)
class ReplicateModel:
    """A further Replicate model the bot calls: what it is for, the setting that turns that
    off, and what happens without it."""

    model: str
    setting: str
    without: str


async def _as_awaitable(problems: list[Problem]) -> list[Problem]:
    return problems


async def _bounded(
    provider: str, setting: str, check: Callable[[], Awaitable[list[Problem]]], timeout: float
) -> list[Problem]:
    try:
        async with asyncio.timeout(timeout):
            return await check()
    except TimeoutError:
        return [
            _warning(
                setting,
                f"{provider} did not answer the start-up check within {timeout:g} s; "
                "/generate will still try.",
            )
        ]


# -- OpenAI ----------------------------------------------------------------------------------


async def _check_openai(
    client: AsyncOpenAI,
    models: Sequence[OtherModel],
    today: date,
    shutdown_dates: dict[str, date],
) -> list[Problem]:
    """The first model proves the key too; the others are checked once it is accepted (and
    while OpenAI can be asked at all)."""
    problems: list[Problem] = []
    for i, checked in enumerate(models):
        found, stop = await _check_model(client, checked, today, shutdown_dates, i == 0)
        problems += found
        if stop:
            break
    return problems


async def _check_model(
    client: AsyncOpenAI,
    checked: OtherModel,
    today: date,
    shutdown_dates: dict[str, date],
    first: bool,
) -> tuple[list[Problem], bool]:
    """(problems, whether checking further models is pointless: the key refused, OpenAI out of
    reach, or no models route) for one model."""
    setting, model = checked.setting, checked.model
    named = _named(checked)
    try:
        # GET /v1/models/{model}: free; the client's own retries would outlast the check
        found = await client.with_options(max_retries=0).models.retrieve(model)
    except openai.AuthenticationError as exc:
        # the message quotes part of the key: only the status and code are repeated
        return [
            _error(
                "OPENAI_API_KEY",
                f"OpenAI refused OPENAI_API_KEY ({exc.status_code} {exc.code or 'unauthorized'}): "
                "put a valid key from platform.openai.com/api-keys in the environment or .env.",
            )
        ], True
    except openai.NotFoundError as exc:
        if exc.code != "model_not_found":  # e.g. a proxy at OPENAI_BASE_URL without this route
            return [
                _warning(
                    "OPENAI_BASE_URL",
                    f"OpenAI's endpoint has no GET /models/{model} (404 {exc.code or 'no code'}): "
                    "the model could not be checked; /generate will still try.",
                )
            ], True  # nor can the others
        return [
            _error(
                setting,
                f"OpenAI does not serve {named} (404 model_not_found): it is "
                f"unknown, shut down or not enabled for this project.{_instead(checked)}",
            )
        ], False
    except openai.PermissionDeniedError as exc:
        return [
            _error(
                "OPENAI_API_KEY" if first else setting,
                f"OpenAI denied OPENAI_API_KEY access to {named} "
                f"({exc.status_code} {exc.code or 'forbidden'}): check the project's model access.",
            )
        ], False
    except openai.APIStatusError as exc:
        return [
            _warning(
                "OPENAI_API_KEY",
                f"OpenAI answered the start-up check with {exc.status_code} (for {named}); "
                "/generate will still try.",
            )
        ], False
    except openai.APIConnectionError as exc:  # timeouts included
        return [
            _warning(
                "OPENAI_BASE_URL",
                f"OpenAI could not be reached at start-up at {client.base_url.host} "
                f"({_why(exc.__cause__ or exc)}); /generate will still try.",
            )
        ], True
    except openai.APIError as exc:  # an answer the client could not read
        return [
            _warning(
                "OPENAI_BASE_URL",
                f"OpenAI's answer to the start-up check was unreadable ({type(exc).__name__}); "
                "/generate will still try.",
            )
        ], False
    served = _parse_date(found.shutdown_date)
    if served is not None and served <= today:
        return [
            _error(
                setting,
                f"{named} was shut down on {served.isoformat()} "
                f"({DEPRECATIONS_URL}).{_instead(checked)}",
            )
        ], False
    if served is not None:
        return [_deprecated(checked, served)], False
    return _sdk_deprecation(checked, shutdown_dates, None), False


def _sdk_deprecation(
    checked: OtherModel, shutdown_dates: dict[str, date], today: date | None
) -> list[Problem]:
    """The SDK's note on the model: a warning before its date; an error after it when OpenAI
    could not be asked (`today` given: no key), since the SDK's date is then all there is."""
    when = shutdown_dates.get(checked.model)
    if when is None:
        return []
    if today is not None and when <= today:
        return [
            _error(
                checked.setting,
                f"{_named(checked)} was shut down on {when.isoformat()} "
                f"({DEPRECATIONS_URL}).{_instead(checked)}",
            )
        ]
    return [_deprecated(checked, when)]


def _deprecated(checked: OtherModel, when: date) -> Problem:
    after = {
        "OPENAI_MODEL": "every analysis fails",
        "TTS_MODEL": "narration is refused",
        MODERATION: "every prompt's moderation fails",
    }.get(checked.setting, "its feature fails")
    return _warning(
        checked.setting,
        f"{_named(checked)} is deprecated: OpenAI announced its shutdown for "
        f"{when.isoformat()} ({DEPRECATIONS_URL}); after that {after}.{_instead(checked)}",
    )


def _named(checked: OtherModel) -> str:
    if checked.setting == MODERATION:
        return f"the moderation model {checked.model}"
    return f"{checked.setting}={checked.model}"


def _instead(checked: OtherModel) -> str:
    if checked.setting == MODERATION:
        return " Upgrade Reelbot to a release that moderates with a current model."
    if checked.model == checked.suggested:
        return f" Set {checked.setting} to a current model (see the deprecations page)."
    return f" Set {checked.setting} to a current model such as {checked.suggested}."


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


# -- Replicate -------------------------------------------------------------------------------


async def _check_replicate(
    client: replicate.Client, model: str, others: Sequence[ReplicateModel] = ()
) -> list[Problem]:
    try:
        await client.accounts.async_current()  # GET /v1/account
    except ReplicateError as exc:
        if exc.status == 401:
            return [
                _error(
                    "REPLICATE_API_TOKEN",
                    "Replicate refused REPLICATE_API_TOKEN (401 Unauthenticated): put a valid "
                    "token from replicate.com/account/api-tokens in the environment or .env.",
                )
            ]
        return [_replicate_unchecked("REPLICATE_API_TOKEN", f"answered {exc.status}")]
    except (httpx.HTTPError, ValueError) as exc:  # unreachable, or an answer that does not parse
        return [_replicate_unchecked("REPLICATE_BASE_URL", _where(exc) + _why(exc))]
    try:
        await client.models.async_get(model)  # GET /v1/models/{owner}/{name}
    except ReplicateError as exc:
        if exc.status == 404:
            return [
                _error(
                    "VIDEO_MODEL",
                    f"Replicate has no model VIDEO_MODEL={model} (404 Not found): it was "
                    "removed, renamed or is private to another account. Choose another "
                    "VIDEO_MODEL (see .env.example).",
                )
            ]
        return [_replicate_unchecked("VIDEO_MODEL", f"answered {exc.status}")]
    except (httpx.HTTPError, ValueError) as exc:  # unreachable, or an answer that does not parse
        return [_replicate_unchecked("VIDEO_MODEL", _where(exc) + _why(exc))]
    return [p for other in others for p in await _check_other(client, other)]


async def _check_other(client: replicate.Client, other: ReplicateModel) -> list[Problem]:
    """A further model gone is a warning: the films go out without what it makes."""
    try:
        await client.models.async_get(other.model)  # GET /v1/models/{owner}/{name}
    except ReplicateError as exc:
        if exc.status == 404:
            return [
                _warning(
                    other.setting,
                    f"Replicate has no model {other.model} (404 Not found): {other.without}.",
                )
            ]
        return [_replicate_unchecked(other.setting, f"{other.model} answered {exc.status}")]
    except (httpx.HTTPError, ValueError) as exc:
        return [_replicate_unchecked(other.setting, _where(exc) + _why(exc))]
    return []


def _replicate_unchecked(setting: str, why: str) -> Problem:
    return _warning(
        setting, f"Replicate could not be checked at start-up ({why}); /generate will still try."
    )


def _where(exc: BaseException) -> str:
    """ "api.replicate.com: " for an error about a request, else nothing."""
    try:
        return f"{exc.request.url.host}: " if isinstance(exc, httpx.RequestError) else ""
    except RuntimeError:  # an error raised without its request
        return ""


def _why(exc: BaseException) -> str:
    """The error's type and its message on one line (no URL query or key is in either)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
