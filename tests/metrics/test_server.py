"""/healthz's 503s, and the dashboard naming only metrics that exist (in-process: the endpoints
of bot/metrics/server.py on 127.0.0.1, a real SQLite database)."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.metrics.registry import Metrics
from bot.metrics.server import Health, serve
from bot.pipeline.events import ClipCompleted, ClipStarted, Finished
from storage.db import open_database
from storage.repository import Repository

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


class Broken(Repository):
    """A database that fails every read."""

    async def ping(self) -> None:
        raise OSError("disk gone")


async def test_healthz_is_503_with_the_gateway_down_or_the_database_failing(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(metrics_port=free_port())
    connected = False
    async with open_database(settings) as db:
        metrics = Metrics()
        health = Health(lambda: connected, Repository(db), settings)
        async with serve(settings, metrics, health) as url:
            assert url is not None
            status, body = await get(f"{url}/healthz")
            assert status == 503
            assert json.loads(body) == {
                "status": "unhealthy",
                "gateway": "disconnected",
                "database": "ok",
            }
            connected = True
            assert (await get(f"{url}/healthz"))[0] == 200
            health.store = Broken(db)
            status, body = await get(f"{url}/healthz")
            assert status == 503 and json.loads(body)["database"] == "OSError"
            status, text = await get(f"{url}/metrics")  # still served, the database marked down
            assert status == 200 and "reelbot_database_up 0.0" in text


async def test_nothing_listens_without_a_port(settings: Settings) -> None:
    async with open_database(settings) as db:
        health = Health(lambda: True, Repository(db), settings)
        async with serve(settings, Metrics(), health) as url:
            assert url is None


def test_events_drive_the_clip_figures() -> None:
    metrics = Metrics()
    metrics.handle(ClipStarted(1, 0, "p1"))
    metrics.handle(ClipCompleted(1, 0, Path("clip.mp4")))
    metrics.handle(Finished(1, Path("film.mp4")))
    value = metrics.registry.get_sample_value
    assert value("reelbot_clips_total", {"outcome": "started"}) == 1
    assert value("reelbot_clip_render_seconds_count") == 1
    assert value("reelbot_generations_ended_total", {"state": "done"}) == 1


def test_the_dashboard_names_only_metrics_that_exist() -> None:
    names: set[str] = set()
    for family in Metrics().registry.collect():  # labelled metrics have no sample yet
        names.add(family.name)
        if family.type == "counter":
            names.add(f"{family.name}_total")
        if family.type == "histogram":
            names |= {f"{family.name}_{part}" for part in ("bucket", "count", "sum")}
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"reelbot_[a-z_]+", target["expr"])
    }
    assert used and used <= names, used - names
    assert len(dashboard["panels"]) >= 10


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_bad_port_is_a_settings_error(port: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import SettingsError, load_settings

    monkeypatch.setenv("METRICS_PORT", port)
    with pytest.raises(SettingsError, match="METRICS_PORT"):
        load_settings()
