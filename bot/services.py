"""Builds the pipeline's dependencies from the settings, inside one lifetime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from typing import Any

import aiohttp
import httpx
import httpx2
import replicate
from openai import AsyncOpenAI, DefaultAsyncHttpxClient
from replicate.client import RetryTransport

from bot.config import DEFAULT_OPENAI_MODEL, Settings
from bot.metrics.registry import Metrics
from bot.metrics.transport import CountingTransport, CountingTransport2
from bot.pipeline.analysis.writer import MODERATION_MODEL, Analyst
from bot.pipeline.checks.placeholders import is_placeholder, placeholder_text
from bot.pipeline.checks.preflight import (
    CHECK_SECONDS,
    MODERATION,
    OtherModel,
    PreflightResult,
    Problem,
    ReplicateModel,
    Severity,
    check_providers,
)
from bot.pipeline.clips.check import ClipCheck
from bot.pipeline.clips.maker import ClipMaker, MediaPolicy
from bot.pipeline.clips.predictions import AccountBudgets, Predictions
from bot.pipeline.clips.video_models import get_model
from bot.pipeline.director.cast import PORTRAIT_MODEL, Casting
from bot.pipeline.events import EventBus
from bot.pipeline.media import ENCODES
from bot.pipeline.run.lease import Leases
from bot.pipeline.run.retention import MediaRetention
from bot.pipeline.run.runner import Runner, RunnerConfig
from bot.pipeline.sound.music import MUSIC_MODEL, Composer
from bot.pipeline.sound.speakers import DEFAULT_TTS_MODEL
from bot.pipeline.sound.speech import Narrator
from bot.pipeline.spend.admission import Admission
from bot.retry import Retries
from storage.db import open_database
from storage.repository import Repository


@dataclass
class Services:
    """What one process runs on, opened and closed by `open_services`: the settings, the
    HTTP session, the repository, the event bus and the runner built over them."""

    settings: Settings
    http: aiohttp.ClientSession
    repo: Repository
    bus: EventBus
    runner: Runner
    leases: Leases | None = None  # this process's leases when several share the database


OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
OPENAI_RETRIES = 3  # the client's own retries of 429, 5xx and timeouts, with backoff
OPENAI_TIMEOUT = 90.0  # seconds per request
REPLICATE_DEFAULT_BASE_URL = "https://api.replicate.com"


def make_openai_client(settings: Settings, metrics: Metrics | None = None) -> AsyncOpenAI:
    """The OpenAI client. The base URL is always passed: the library would otherwise read
    `OPENAI_BASE_URL` itself and take an empty value (which counts as unset) literally. With
    `metrics`, its HTTP answers are counted (the SDK's own client, on a counting transport)."""
    key = settings.openai_api_key
    extra: dict[str, Any] = {}
    if metrics is not None:
        transport = CountingTransport2(
            httpx2.AsyncHTTPTransport(), "openai", metrics.provider_answer
        )
        extra["http_client"] = DefaultAsyncHttpxClient(transport=transport)
    return AsyncOpenAI(
        api_key=key.get_secret_value() if key else "missing",
        base_url=settings.openai_base_url or OPENAI_DEFAULT_BASE_URL,
        max_retries=OPENAI_RETRIES,
        timeout=OPENAI_TIMEOUT,
        **extra,
    )


def make_replicate_client(
    settings: Settings, transport: httpx.AsyncBaseTransport
) -> replicate.Client:
    """The Replicate client, with the base URL from the settings (or the library's), over a
    transport the caller closes (the client itself has no close)."""
    token = settings.replicate_api_token
    return replicate.Client(
        api_token=token.get_secret_value() if token else "missing",
        base_url=settings.replicate_base_url or REPLICATE_DEFAULT_BASE_URL,
        transport=transport,
    )


async def check_configuration(
    settings: Settings, *, today: date | None = None, timeout: float = CHECK_SECONDS
) -> PreflightResult:
    """The start-up check of the providers (free requests only), on clients of its own. Its
    configuration errors are recorded on `settings`, where `/generate` reads them."""
    placeholders = [
        name
        for name, key in (
            ("OPENAI_API_KEY", settings.openai_api_key),
            ("REPLICATE_API_TOKEN", settings.replicate_api_token),
        )
        if name == "OPENAI_API_KEY" or settings.enable_video_generation
        if key is not None and is_placeholder(key.get_secret_value())
    ]
    # a placeholder is an error found here: it is not sent to the provider
    usable_openai = settings.openai_api_key is not None and "OPENAI_API_KEY" not in placeholders
    openai_client = make_openai_client(settings) if usable_openai else None
    transport = httpx.AsyncHTTPTransport()
    check_video = (
        settings.enable_video_generation
        and settings.replicate_api_token is not None
        and "REPLICATE_API_TOKEN" not in placeholders
    )
    try:
        result = await check_providers(
            openai_client=openai_client,
            openai_model=settings.openai_model,
            replicate_client=make_replicate_client(settings, transport) if check_video else None,
            video_model=settings.video_model if check_video else None,
            suggested_model=DEFAULT_OPENAI_MODEL,
            today=today,
            timeout=timeout,
            others=(
                OtherModel(MODERATION, MODERATION_MODEL, MODERATION_MODEL),
                OtherModel("TTS_MODEL", settings.tts_model, DEFAULT_TTS_MODEL),
            ),
            replicate_others=(
                ReplicateModel(
                    MUSIC_MODEL, "MUSIC_DEFAULT", "a film asked with music goes out without it"
                ),
                ReplicateModel(
                    PORTRAIT_MODEL, "CAST_DEFAULT", "a film's characters get no portraits"
                ),
            ),
        )
    finally:
        if openai_client is not None:
            await openai_client.close()
        await transport.aclose()
    found = [Problem(Severity.ERROR, name, placeholder_text(name)) for name in placeholders]
    result = PreflightResult((*found, *result.problems))
    settings.record_provider_errors([p.text for p in result.generation_errors])
    settings.record_narration_errors([p.text for p in result.narration_errors])
    return result


def make_replicate_api(
    settings: Settings, transport: httpx.AsyncBaseTransport
) -> httpx.AsyncClient:
    """Plain HTTP to Replicate's API (the prediction list, reads, cancels) on the same transport:
    the base URL and token of `make_replicate_client`, and the SDK's public `RetryTransport`
    (429/503/504 on GETs retried with backoff), so that its answers are read entry by entry
    instead of through the SDK's models."""
    token = settings.replicate_api_token
    return httpx.AsyncClient(
        base_url=settings.replicate_base_url or REPLICATE_DEFAULT_BASE_URL,
        headers={
            "Authorization": f"Bearer {token.get_secret_value() if token else 'missing'}",
            "User-Agent": f"reelbot (replicate-python/{version('replicate')})",
        },
        timeout=httpx.Timeout(5.0, read=30.0, write=30.0, connect=5.0, pool=10.0),
        transport=RetryTransport(wrapped_transport=transport),
    )


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    metrics: Metrics | None = None,
    process_name: str | None = None,
    make_leases: Callable[[Repository], Leases] | None = None,
) -> AsyncIterator[Services]:
    """HTTP session, database, provider clients and the runner, closed in reverse order. With
    `metrics` (METRICS_PORT set), it hears the bus and counts the providers' answers.
    `process_name`: this process shares the work with others (the Discord bot): its leases
    are built here, before the runner and the clip maker, and given to both (`make_leases`
    builds other ones instead: a test's process that stalls)."""
    policy = MediaPolicy(settings.media_dir, settings.media_allowed_hosts)
    ENCODES.configure(settings.ffmpeg_concurrency)
    bus = EventBus()
    retries = Retries(wait_scale=settings.retry_wait_scale)
    if metrics is not None:
        bus.subscribe(metrics.handle)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=120)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        open_database(settings) as db,
    ):
        repo = Repository(db)
        openai_client = make_openai_client(settings, metrics)
        replicate_transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport()
        if metrics is not None:
            replicate_transport = CountingTransport(
                replicate_transport, "replicate", metrics.provider_answer
            )
        replicate_api = make_replicate_api(settings, replicate_transport)
        admission = Admission(settings)
        budgets = AccountBudgets()  # Replicate's, the account's: one set for every model here
        leases: Leases | None = None
        if make_leases is not None:
            leases = make_leases(repo)
        elif process_name is not None:
            leases = Leases(store=repo, name=process_name, seconds=settings.lease_seconds)
        clips = None
        if settings.enable_video_generation:
            clips = ClipMaker(
                repo=repo,
                predictions=Predictions(
                    make_replicate_client(settings, replicate_transport),
                    replicate_api,
                    model=settings.video_model,
                    budgets=budgets,
                    poll_interval=settings.replicate_poll_seconds,
                    cancel_after=settings.clip_timeout_seconds,
                    retries=retries,
                ),
                model=get_model(settings.video_model),
                http=http,
                policy=policy,
                bus=bus,
                concurrency=settings.clip_concurrency,
                timeout=settings.clip_timeout_seconds,
                retries=retries,
                check=ClipCheck(openai_client) if settings.clip_moderation else None,
                budget=lambda: (admission.video_limit(), admission.since()),
                leases=leases,
            )
        composer = None
        if settings.enable_video_generation:  # the score (issue 22): its own predictions
            composer = Composer(
                Predictions(
                    make_replicate_client(settings, replicate_transport),
                    replicate_api,
                    model=MUSIC_MODEL,
                    budgets=budgets,
                    poll_interval=settings.replicate_poll_seconds,
                    cancel_after=settings.clip_timeout_seconds,
                ),
                repo=repo,
                policy=policy,
                http=http,
                required=settings.music_required,
                timeout=settings.clip_timeout_seconds,
                worth=admission.music_worth,
            )
            bus.subscribe(composer.handle)
        casting = None
        if settings.enable_video_generation:  # the cast sheet (issue 24): its own predictions
            casting = Casting(
                Predictions(
                    make_replicate_client(settings, replicate_transport),
                    replicate_api,
                    model=PORTRAIT_MODEL,
                    budgets=budgets,
                    poll_interval=settings.replicate_poll_seconds,
                    cancel_after=settings.clip_timeout_seconds,
                ),
                repo=repo,
                policy=policy,
                http=http,
                bus=bus,
                model=get_model(settings.video_model),
                timeout=settings.clip_timeout_seconds,
            )
        runner = Runner(
            repo=repo,
            analyst=Analyst(
                openai_client,
                model=settings.openai_model,
                max_clips=settings.max_clips,
                retries=retries,
                timeout=settings.analysis_timeout_seconds,
            ),
            clips=clips,
            bus=bus,
            policy=policy,
            config=RunnerConfig(settings.user_concurrency, settings.enable_video_generation),
            admission=admission,
            leases=leases,
            retries=retries,
            narrator=Narrator(
                openai_client,
                repo=repo,
                policy=policy,
                bus=bus,
                model=settings.tts_model,
                required=settings.narration_required,
            ),
            composer=composer,
            casting=casting,
        )
        retention = MediaRetention(repo, policy.root, days=settings.media_retention_days)
        sweeps = retention.start()
        try:
            yield Services(settings, http, repo, bus, runner, leases)
        finally:
            if sweeps is not None:
                sweeps.cancel()
                await asyncio.wait([sweeps])
            await runner.close()
            if composer is not None:
                await composer.close()
            if casting is not None:
                await casting.close()
            await openai_client.close()
            await replicate_api.aclose()
            await replicate_transport.aclose()
