"""The HTTP endpoints, in the bot's own process and event loop (aiohttp), on METRICS_PORT:

- `GET /healthz`: 200 `{"status": "ok", ...}` when the gateway is connected and the database
  answers (within HEALTH_SECONDS), else 503 with what is wrong; for Docker's HEALTHCHECK and
  orchestrators;
- `GET /metrics`: every metric of `Metrics` in Prometheus's text format
  (`prometheus_client.generate_latest`, content type `CONTENT_TYPE_LATEST`).

Nothing listens when METRICS_PORT is unset (`serve` yields None).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.config import Settings
from bot.metrics.registry import Metrics
from bot.pipeline.spend.admission import day_start
from storage.tables.usage_rows import UsageRows

log = logging.getLogger(__name__)

HEALTH_SECONDS = 2.0  # a database slower than this to answer counts as down


@dataclass
class Health:
    """What the endpoints read: whether the gateway is connected, the database, the settings."""

    gateway: Callable[[], bool]
    store: UsageRows
    settings: Settings


async def _database_ok(store: UsageRows) -> str | None:
    """None when the database answers in time, else why not (short)."""
    try:
        async with asyncio.timeout(HEALTH_SECONDS):
            await store.ping()
    except TimeoutError:
        return f"no answer in {HEALTH_SECONDS:g} s"
    except Exception as exc:  # any failure of the database is the answer, not a crash
        return type(exc).__name__
    return None


def make_app(metrics: Metrics, health: Health) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        gateway = health.gateway()
        problem = await _database_ok(health.store)
        metrics.gateway_up.set(1 if gateway else 0)
        metrics.database_up.set(0 if problem else 1)
        body = {
            "status": "ok" if gateway and problem is None else "unhealthy",
            "gateway": "connected" if gateway else "disconnected",
            "database": problem or "ok",
        }
        return web.json_response(body, status=200 if body["status"] == "ok" else 503)

    async def scrape(request: web.Request) -> web.Response:
        metrics.gateway_up.set(1 if health.gateway() else 0)
        problem = await _database_ok(health.store)
        metrics.database_up.set(0 if problem else 1)
        if problem is None:
            try:
                await metrics.refresh(health.store, health.settings, day_start(time.time()))
            except Exception:  # the other figures are still worth serving
                log.warning("metrics: reading the database failed", exc_info=True)
        return web.Response(
            body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", scrape)
    return app


@asynccontextmanager
async def serve(
    settings: Settings, metrics: Metrics | None, health: Health
) -> AsyncIterator[str | None]:
    """Listen on METRICS_HOST:METRICS_PORT while the block runs; yields the base URL, or None
    (nothing listens) when METRICS_PORT is unset (and there are no `metrics`)."""
    if settings.metrics_port is None or metrics is None:
        yield None
        return
    runner = web.AppRunner(make_app(metrics, health), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.metrics_host, settings.metrics_port)
        await site.start()
        url = f"http://{settings.metrics_host}:{settings.metrics_port}"
        log.info("health and metrics on %s/healthz and %s/metrics", url, url)
        yield url
    finally:
        await runner.cleanup()
