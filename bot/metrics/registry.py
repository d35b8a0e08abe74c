"""What the process measures, in Prometheus's terms (the `prometheus-client` library), on a
registry of its own (no module-level state).

Most figures come from the pipeline's event bus (`handle` subscribes to it): generations ended,
clips started, completed and failed, and each clip's render time. The HTTP exchanges with the
providers are counted by a transport wrapper (bot/metrics/transport.py), the commands and reply
edits by the Discord side, lease takeovers by the lease keeper. What is shared by every process
on one database (generations by state, the queue, today's spend) is read from the database at
each scrape (`refresh`). Every metric is listed in docs/metrics.md.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.config import Settings
from bot.pipeline.events import (
    Cancelled,
    ClipCompleted,
    ClipFailed,
    ClipStarted,
    Event,
    Failed,
    Finished,
)
from bot.pipeline.spend.prices import video_dollars
from storage.tables.usage_rows import UsageRows

log = logging.getLogger(__name__)

CLIP_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900)
COMMAND_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
# Discord allows 5 message edits per 5 s in a channel (cogs/generate/lanes.py)
CHANNEL_EDITS_PER_SECOND = 1.0


class Metrics:
    """Owns the registry and every metric on it, and the start times of the clips rendering
    (to observe how long each took)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.generations = Gauge(
            "reelbot_generations",
            "Generations not yet ended, by state (all processes on the database)",
            ["state"],
            registry=r,
        )
        self.ended = Counter(
            "reelbot_generations_ended",
            "Generations that ended in this process, by final state",
            ["state"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "reelbot_queue_depth",
            "Generations waiting to start, by member class (discord member, terminal)",
            ["member_class"],
            registry=r,
        )
        self.clips = Counter(
            "reelbot_clips", "Clip predictions, by outcome", ["outcome"], registry=r
        )
        self.clip_seconds = Histogram(
            "reelbot_clip_render_seconds",
            "From a clip's prediction created to its video downloaded",
            buckets=CLIP_BUCKETS,
            registry=r,
        )
        self.video_seconds = Gauge(
            "reelbot_video_seconds_asked_today",
            "Seconds of video asked of Replicate since midnight UTC (all processes)",
            registry=r,
        )
        self.video_dollars = Gauge(
            "reelbot_video_dollars_asked_today",
            "Those seconds in dollars at the price table's rate (NaN: price unknown)",
            registry=r,
        )
        self.command_seconds = Histogram(
            "reelbot_command_ack_seconds",
            "From a slash command reaching the bot to its callback done (its answer sent)",
            ["command"],
            buckets=COMMAND_BUCKETS,
            registry=r,
        )
        self.reply_edits = Counter(
            "reelbot_reply_edits", "Edits of the replies, by result", ["result"], registry=r
        )
        self.edit_budget = Gauge(
            "reelbot_reply_edit_budget_per_channel_per_second",
            "Discord's edit budget of one channel (5 per 5 s)",
            registry=r,
        )
        self.edit_budget.set(CHANNEL_EDITS_PER_SECOND)
        self.provider_responses = Counter(
            "reelbot_provider_responses",
            "HTTP answers of the providers, by provider and status code",
            ["provider", "status"],
            registry=r,
        )
        self.provider_errors = Counter(
            "reelbot_provider_errors",
            "Provider errors: HTTP 4xx/5xx answers and requests that got no answer",
            ["provider", "kind"],
            registry=r,
        )
        self.throttled = Counter(
            "reelbot_provider_throttled",
            "HTTP 429 answers (rate limited), by provider",
            ["provider"],
            registry=r,
        )
        self.takeovers = Counter(
            "reelbot_lease_takeovers",
            "Generations taken over from a process that stopped",
            registry=r,
        )
        self.gateway_up = Gauge(
            "reelbot_gateway_connected", "1 when every gateway shard is connected", registry=r
        )
        self.database_up = Gauge(
            "reelbot_database_up", "1 when the database answered the last check", registry=r
        )
        for state in ("done", "failed", "cancelled"):
            self.ended.labels(state)
        for outcome in ("started", "completed", "failed"):
            self.clips.labels(outcome)
        for result in ("sent", "failed"):
            self.reply_edits.labels(result)
        self._rendering: dict[tuple[int, int], float] = {}

    # -- the event bus ------------------------------------------------------------------------
    def handle(self, event: Event) -> None:
        """Subscribed to the pipeline's bus: never blocks, never raises for an odd event."""
        match event:
            case ClipStarted(generation_id=g, index=i):
                self.clips.labels("started").inc()
                self._rendering[(g, i)] = time.monotonic()
            case ClipCompleted(generation_id=g, index=i):
                self.clips.labels("completed").inc()
                started = self._rendering.pop((g, i), None)
                if started is not None:
                    self.clip_seconds.observe(time.monotonic() - started)
            case ClipFailed(generation_id=g, index=i):
                self.clips.labels("failed").inc()
                self._rendering.pop((g, i), None)
            case Finished():
                self._ended(event.generation_id, "done")
            case Failed():
                self._ended(event.generation_id, "failed")
            case Cancelled():
                self._ended(event.generation_id, "cancelled")

    def _ended(self, generation_id: int, state: str) -> None:
        self.ended.labels(state).inc()
        for key in [k for k in self._rendering if k[0] == generation_id]:
            del self._rendering[key]

    # -- the rest of the process --------------------------------------------------------------
    def provider_answer(self, provider: str, status: int | None) -> None:
        """One HTTP exchange with a provider; `status` None: no answer (a transport error)."""
        if status is None:
            self.provider_errors.labels(provider, "no_answer").inc()
            return
        self.provider_responses.labels(provider, str(status)).inc()
        if status == 429:
            self.throttled.labels(provider).inc()
        if status >= 400:
            self.provider_errors.labels(provider, f"http_{status // 100}xx").inc()

    def command_done(self, command: str, seconds: float) -> None:
        self.command_seconds.labels(command).observe(seconds)

    def reply_edit(self, *, sent: bool) -> None:
        self.reply_edits.labels("sent" if sent else "failed").inc()

    def taken_over(self, count: int) -> None:
        self.takeovers.inc(count)

    async def refresh(self, store: UsageRows, settings: Settings, since: float) -> None:
        """The figures every process shares, read from the database (at each scrape)."""
        counts = await store.open_generations()
        for state in ("queued", "analysing", "rendering", "stitching", "delivering", "rerolling"):
            self.generations.labels(state).set(
                sum(n for (status, _), n in counts.items() if status == state)
            )
        for member_class in ("discord", "terminal"):
            self.queue_depth.labels(member_class).set(
                sum(
                    n
                    for (status, source), n in counts.items()
                    if status == "queued" and (source == "discord") == (member_class == "discord")
                )
            )
        seconds = await store.seconds_since(since)
        self.video_seconds.set(seconds)
        dollars = video_dollars(settings.video_model, seconds, settings.prices)
        self.video_dollars.set(float("nan") if dollars is None else dollars)
