"""The start-up check of the providers: what can be checked without spending.

- OpenAI: `GET /v1/models/{OPENAI_MODEL}` proves the key (401 `invalid_api_key` otherwise) and
  that the model is served (404 `model_not_found` for an unknown or shut-down one); the model
  object's `shutdown_date` and the SDK's own list of deprecated models give its shutdown date.
- Replicate: `GET /v1/account` proves the token (401 otherwise), `GET /v1/models/{owner}/{name}`
  that `VIDEO_MODEL` exists (404 otherwise).

A refused key or an unknown/shut-down model is a configuration ERROR: `/generate` answers with
it and `python -m bot generate` exits 2. A deprecated model, or a provider that cannot be reached
or answers oddly, is a WARNING: the bot starts and `/generate` still tries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

import httpx
import openai
import replicate
from openai import AsyncOpenAI
from replicate.exceptions import ReplicateError

from bot.pipeline.deprecations import DEPRECATIONS_URL, sdk_shutdown_dates

log = logging.getLogger(__name__)

CHECK_SECONDS = 10.0  # per provider: a start-up check never holds the bot longer than this


class Severity(StrEnum):
    ERROR = "error"  # /generate cannot work: it answers with this instead of starting
    WARNING = "warning"  # logged; /generate still tries


@dataclass(frozen=True)
class Problem:
    severity: Severity
    setting: str  # the variable to look at: OPENAI_API_KEY, OPENAI_MODEL, ...
    text: str  # one sentence naming the setting, what the provider said and what to do

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
) -> PreflightResult:
    """Check both providers at once; a None client is not checked (its key is not set)."""
    today = today or datetime.now(UTC).date()
    shutdown_dates = await asyncio.to_thread(sdk_shutdown_dates)
    checks: list[Awaitable[list[Problem]]] = []
    if openai_client is not None:
        checks.append(
            _bounded(
                "OpenAI",
                "OPENAI_API_KEY",
                lambda: _check_openai(
                    openai_client, openai_model, today, shutdown_dates, suggested_model
                ),
                timeout,
            )
        )
    else:  # no key: the SDK's list still tells whether the model is on its way out
        checks.append(
            _as_awaitable(_sdk_deprecation(openai_model, shutdown_dates, suggested_model))
        )
    if replicate_client is not None and video_model is not None:
        checks.append(
            _bounded(
                "Replicate",
                "REPLICATE_API_TOKEN",
                lambda: _check_replicate(replicate_client, video_model),
                timeout,
            )
        )
    found = await asyncio.gather(*checks)
    return PreflightResult(tuple(p for problems in found for p in problems))


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
    model: str,
    today: date,
    shutdown_dates: dict[str, date],
    suggested: str,
) -> list[Problem]:
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
        ]
    except openai.NotFoundError as exc:
        if exc.code != "model_not_found":  # e.g. a proxy at OPENAI_BASE_URL without this route
            return [
                _warning(
                    "OPENAI_BASE_URL",
                    f"OpenAI's endpoint has no GET /models/{model} (404 {exc.code or 'no code'}): "
                    "the model could not be checked; /generate will still try.",
                )
            ]
        return [
            _error(
                "OPENAI_MODEL",
                f"OpenAI does not serve OPENAI_MODEL={model} (404 model_not_found): it is "
                f"unknown, shut down or not enabled for this project.{_instead(model, suggested)}",
            )
        ]
    except openai.PermissionDeniedError as exc:
        return [
            _error(
                "OPENAI_API_KEY",
                f"OpenAI denied OPENAI_API_KEY access to OPENAI_MODEL={model} "
                f"({exc.status_code} {exc.code or 'forbidden'}): check the project's model access.",
            )
        ]
    except openai.APIStatusError as exc:
        return [
            _warning(
                "OPENAI_API_KEY",
                f"OpenAI answered the start-up check with {exc.status_code}; "
                "/generate will still try.",
            )
        ]
    except openai.APIConnectionError as exc:  # timeouts included
        return [
            _warning(
                "OPENAI_BASE_URL",
                f"OpenAI could not be reached at start-up at {client.base_url.host} "
                f"({_why(exc.__cause__ or exc)}); /generate will still try.",
            )
        ]
    except openai.APIError as exc:  # an answer the client could not read
        return [
            _warning(
                "OPENAI_BASE_URL",
                f"OpenAI's answer to the start-up check was unreadable ({type(exc).__name__}); "
                "/generate will still try.",
            )
        ]
    served = _parse_date(found.shutdown_date)
    if served is not None and served <= today:
        return [
            _error(
                "OPENAI_MODEL",
                f"OPENAI_MODEL={model} was shut down on {served.isoformat()} "
                f"({DEPRECATIONS_URL}).{_instead(model, suggested)}",
            )
        ]
    if served is not None:
        return [_deprecated(model, served, suggested)]
    return _sdk_deprecation(model, shutdown_dates, suggested)


def _sdk_deprecation(model: str, shutdown_dates: dict[str, date], suggested: str) -> list[Problem]:
    when = shutdown_dates.get(model)
    return [] if when is None else [_deprecated(model, when, suggested)]


def _deprecated(model: str, when: date, suggested: str) -> Problem:
    return _warning(
        "OPENAI_MODEL",
        f"OPENAI_MODEL={model} is deprecated: OpenAI announced its shutdown for "
        f"{when.isoformat()} ({DEPRECATIONS_URL}); after that every analysis fails."
        f"{_instead(model, suggested)}",
    )


def _instead(model: str, suggested: str) -> str:
    if model == suggested:
        return " Set OPENAI_MODEL to a current model (see the deprecations page)."
    return f" Set OPENAI_MODEL to a current model such as {suggested}."


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


# -- Replicate -------------------------------------------------------------------------------


async def _check_replicate(client: replicate.Client, model: str) -> list[Problem]:
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
