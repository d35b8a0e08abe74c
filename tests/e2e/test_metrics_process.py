"""Issue 20, health and metrics, through the real process (`python -m bot`,
tests/fakes/botprocess.py): with METRICS_PORT set, `/healthz` answers 200 and `/metrics`
(Prometheus text, read with prometheus_client's own parser) moves while a film renders and when
it ends; without it the process listens on no TCP port at all."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.test_admission import IDEA, live


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics: (name, labels) → value."""
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_move_while_a_film_renders_and_healthz_answers(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with live(tmp_path, metrics_port=port) as run:
        # 503 until discord.py is READY (it waits for the guilds), then 200
        answers = []
        async with aiohttp.ClientSession() as session:

            async def healthy() -> bool:
                async with session.get(f"{url}/healthz") as health:
                    answers.append((health.status, await health.json()))
                return health.status == 200

            for _ in range(200):  # 20 s at most
                if await healthy():
                    break
                await asyncio.sleep(0.1)
        assert answers[-1][1] == {"status": "ok", "gateway": "connected", "database": "ok"}
        assert all(
            body == {"status": "unhealthy", "gateway": "disconnected", "database": "ok"}
            for status, body in answers[:-1]
        ), answers
        before = await scrape(url)
        assert value(before, "reelbot_clips_total", outcome="started") == 0
        assert value(before, "reelbot_reply_edit_budget_per_channel_per_second") == 1

        run.replicate.auto_complete = False  # the clips render until the test says
        answer = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        )
        reply_id = await run.discord.wait_for(lambda: answer.reply_id)
        await run.discord.wait_for(lambda: len(run.replicate.predictions) == 2, timeout=15)

        rendering = await scrape(url)
        assert value(rendering, "reelbot_generations", state="rendering") == 1
        assert value(rendering, "reelbot_clips_total", outcome="started") == 2
        asked = sum(p.input["duration"] for p in run.replicate.predictions.values())
        assert value(rendering, "reelbot_video_seconds_asked_today") == asked
        assert value(rendering, "reelbot_video_dollars_asked_today") == asked * 0.018
        assert (
            value(rendering, "reelbot_provider_responses_total", provider="replicate", status="201")
            == 2
        )
        assert (
            value(rendering, "reelbot_provider_responses_total", provider="openai", status="200")
            >= 1
        )
        assert value(rendering, "reelbot_command_ack_seconds_count", command="generate") == 1
        assert value(rendering, "reelbot_queue_depth", member_class="discord") == 0

        run.replicate.list_status = 429  # the poller's reads are throttled for a while
        for _ in range(150):  # 15 s at most
            throttled = await scrape(url)
            if value(throttled, "reelbot_provider_throttled_total", provider="replicate"):
                break
            await asyncio.sleep(0.1)
        assert value(throttled, "reelbot_provider_throttled_total", provider="replicate") >= 1
        assert (
            value(throttled, "reelbot_provider_errors_total", provider="replicate", kind="http_4xx")
            >= 1
        )
        run.replicate.list_status = None
        for prediction_id in list(run.replicate.predictions):
            run.replicate.complete(prediction_id)
        assert (await run.reply_final(reply_id)).embeds

        after = await scrape(url)
        assert value(after, "reelbot_generations", state="rendering") == 0
        assert value(after, "reelbot_generations_ended_total", state="done") == 1
        assert value(after, "reelbot_clips_total", outcome="completed") == 2
        assert value(after, "reelbot_clip_render_seconds_count") == 2
        assert value(after, "reelbot_clip_render_seconds_sum") > 0
        assert value(after, "reelbot_reply_edits_total", result="sent") >= 1
        assert value(after, "reelbot_provider_throttled_total", provider="replicate") >= 1
        assert (
            value(after, "reelbot_provider_errors_total", provider="replicate", kind="http_4xx")
            >= 1
        )
        assert value(after, "reelbot_gateway_connected") == 1
        assert value(after, "reelbot_database_up") == 1
        assert "Traceback" not in run.process_log.read_text("utf-8")


def listening_ports(pid: int) -> set[int]:
    """The TCP ports the process `pid` listens on: its socket inodes matched against the
    LISTEN (0A) entries of /proc/net/tcp and tcp6."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


async def test_nothing_listens_when_metrics_port_is_unset(tmp_path: Path) -> None:
    port = free_port()
    async with live(tmp_path, metrics_port=port) as run:  # the probe sees a listener...
        assert port in listening_ports(run.process.pid)
    (tmp_path / "off").mkdir()
    async with live(tmp_path / "off") as run:  # ...and none at all without METRICS_PORT
        assert listening_ports(run.process.pid) == set()
