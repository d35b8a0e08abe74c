"""The `sustained` scenario's figures, read out of one finished run (`bench/sustained.py`)."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.figures import Figure, figure, percentile, summary
from bench.measure import EDIT_BUDGET_PER_5S
from bench.rig import FINAL_MARKS, Rig, status_of

HELD = 5.0  # seconds from the command to its first create beyond which a run was held back
_ESTIMATE_WORDS = ("estimat", "~", "about", "expected", "eta")
# a place in a line: the member's own queue ("position 2 in your queue") or Replicate's create
# budget ("Replicate is busy: 12 scenes ahead of yours, about 40 s"; "yours is next")
_POSITION_WORDS = ("position", "ahead of yours", "yours is next")


@dataclass
class Run:
    name: str  # "sqlite" or "postgres"
    opts_minutes: float
    rate: float
    clips: int
    cap: int
    rig: Rig
    members: list[int]  # the member of each interaction, in order
    offered_until: float
    drained_seconds: float
    cpu: list[tuple[float, float, float]]  # (loop time, the bot's CPU s, its children's)
    rss_bytes: int
    clip_rows: list[tuple[int, str]]  # (reply message id, prediction id)
    finished: dict[int, float]  # reply message id -> finished_at (wall clock)
    database_work: dict[str, int] | None  # PostgreSQL's counters over the run
    fakes_cpu_seconds: float = 0.0  # the bench's own process (fakes, driver) over the run


def _buckets(run: Run) -> list[tuple[float, float]]:
    """The offered span in whole minutes from the first command (one shorter bucket when the
    run is under a minute)."""
    t0 = run.rig.interactions[0].sent_at
    span = run.opts_minutes * 60.0
    length = min(60.0, span)
    count = max(1, int(span // length))
    return [(t0 + i * length, t0 + (i + 1) * length) for i in range(count)]


def _cpu_at(samples: list[tuple[float, float, float]], at: float, which: int = 1) -> float:
    """CPU seconds at `at` (the last sample before it): the bot's own (1) or its children's,
    ffmpeg (2)."""
    before = [sample[which] for sample in samples if sample[0] <= at]
    return before[-1] if before else samples[0][which]


def _per_generation(run: Run) -> list[dict[str, Any]]:
    """Per command: member, sent, first create, first clip done (loop clock)."""
    by_message: dict[int, list[str]] = defaultdict(list)
    for message_id, prediction_id in run.clip_rows:
        by_message[message_id].append(prediction_id)
    out = []
    for member, interaction in zip(run.members, run.rig.interactions, strict=True):
        records = [
            run.rig.replicate.predictions[p]
            for p in by_message.get(interaction.reply_id or 0, [])
            if p in run.rig.replicate.predictions
        ]
        done = [r.completed for r in records if r.status == "succeeded" and r.completed]
        out.append(
            {
                "member": member,
                "message_id": interaction.reply_id,
                "sent": interaction.sent_at,
                "ack": interaction.latency,
                "first_create": min((r.created for r in records), default=None),
                "first_clip": min(done, default=None),
            }
        )
    return out


def _queue_shown(run: Run, gens: list[dict[str, Any]]) -> dict[str, Any]:
    """What the replies of runs held back before their first create showed meanwhile."""
    held = position = estimate = 0
    longest = 0.0
    for gen in gens:
        if gen["first_create"] is None or gen["message_id"] is None:
            continue
        wait = gen["first_create"] - gen["sent"]
        if wait < HELD:
            continue
        held += 1
        longest = max(longest, wait)
        message = run.rig.discord.message(gen["message_id"])
        # the reply as first sent, then each edit, until the run's first create
        shown = [status_of(e.body) or "" for e in message.history if e.at <= gen["first_create"]]
        position += any(w in s for s in shown for w in _POSITION_WORDS)
        estimate += any(w in s.lower() for s in shown for w in _ESTIMATE_WORDS)
    return {"held": held, "position": position, "estimate": estimate, "longest": longest}


def _channels(run: Run) -> list[dict[str, float]]:
    """Per channel: reply edits, the budget from its first edit to its last (5 at once, then
    5 per 5 s), their ratio, and the most edits in any 5 s."""
    by_channel: dict[int, list[float]] = defaultdict(list)
    for message in run.rig.replies():
        by_channel[message.channel_id] += [e.at for e in message.edits]
    out = []
    for at in by_channel.values():
        at.sort()
        budget = EDIT_BUDGET_PER_5S + (at[-1] - at[0]) * EDIT_BUDGET_PER_5S / 5
        first = peak = 0
        for last, t in enumerate(at):
            while t - at[first] >= 5.0:
                first += 1
            peak = max(peak, last - first + 1)
        out.append({"edits": len(at), "budget": budget, "used": len(at) / budget, "peak": peak})
    return out


def _final_lags(run: Run) -> list[float]:
    lags = []
    for message in run.rig.replies():
        ended = run.finished.get(int(message.id))
        shown = next(
            (e for e in message.edits if (status_of(e.body) or "").startswith(FINAL_MARKS)), None
        )
        if ended is not None and shown is not None:
            lags.append(datetime.fromisoformat(shown.timestamp).timestamp() - ended)
    return lags


def figures(run: Run) -> tuple[list[Figure], dict[str, Any]]:
    w, name = run.rig, f"sustained ({run.name})"
    buckets = _buckets(run)
    length = buckets[0][1] - buckets[0][0]
    created = [r.created for r in w.replicate.predictions.values()]
    per_minute = [sum(a <= t < b for t in created) * 60.0 / length for a, b in buckets]
    fractions = [c / run.cap for c in per_minute]
    first_end = buckets[0][1]
    late = [t for t, kind in w.replicate.throttled_at if kind == "create" and t >= first_end]
    gens = _per_generation(run)
    # a command never answered (Discord refuses an answer after 3 s) counts as infinitely slow
    for g in gens:
        g["ack"] = math.inf if g["ack"] is None else g["ack"]
    lost = sum(1 for g in gens if g["ack"] == math.inf)
    acks = [[g["ack"] for g in gens if a <= g["sent"] < b] for a, b in buckets]
    ack_p99 = [percentile(a, 99) for a in acks if a]
    channels = _channels(run)
    by_member: dict[int, list[float]] = defaultdict(list)
    for g in gens:
        if g["first_clip"] is not None:
            by_member[g["member"]].append(g["first_clip"] - g["sent"])
    member_medians = [statistics.median(v) for v in by_member.values()]
    queue = _queue_shown(run, gens)
    cpu_minutes = [_cpu_at(run.cpu, b) - _cpu_at(run.cpu, a) for a, b in buckets]
    cores = [c / length for c in cpu_minutes]
    ffmpeg = [(_cpu_at(run.cpu, b, 2) - _cpu_at(run.cpu, a, 2)) / length for a, b in buckets]
    done = sum(1 for m in w.final_replies() if (status_of(m.payload) or "").startswith("✅"))
    cpu_total = run.cpu[-1][1] - _cpu_at(run.cpu, buckets[0][0])
    ffmpeg_total = run.cpu[-1][2] - _cpu_at(run.cpu, buckets[0][0], 2)
    generations = len(gens)
    ran = sum(1 for g in gens if g["message_id"] is not None)  # answered: their run went on
    peak_creates, peak_others = w.peak_per_minute()
    db = run.database_work
    minutes = " · ".join(f"{c:.0f}" for c in per_minute)
    figs = [
        figure(
            "sustained_creates",
            name,
            f"Replicate creates each minute ÷ the cap ({run.cap}/min), {run.rate:g} /generate"
            f" of {run.clips} clips a minute offered ({run.rate * run.clips:.0f} creates)",
            "",
            "≥ 0.9 every minute",
            {"value": min(fractions)},
            lambda m: m["value"] >= 0.9,
            note=f"creates a minute: {minutes}; in any 60 s at most {peak_creates}",
        ),
        figure(
            "sustained_create_429",
            name,
            "creates answered 429 after the first minute",
            "",
            "0",
            {"value": len(late)},
            lambda m: m["value"] == 0,
            note=f"{w.replicate.counts['throttled_create']} in all; other requests"
            f" {w.replicate.counts['throttled'] - w.replicate.counts['throttled_create']}"
            f" (at most {peak_others} in any 60 s, budget 3000)",
        ),
        figure(
            "sustained_ack",
            name,
            "INTERACTION_CREATE → callback, the worst minute's p99",
            "ms",
            "p99 < 100 ms every minute",
            {"value": max(ack_p99, default=0.0)},
            lambda m: m["value"] < 0.100,
            note="p99 by minute: "
            + " · ".join(f"{p * 1000:.0f} ms" for p in ack_p99)
            + f"; all {generations}: median {percentile([g['ack'] for g in gens], 50) * 1000:.1f}"
            f" ms; {lost} never answered (Discord's 3 s passed)",
        ),
        figure(
            "sustained_channel_edits",
            name,
            f"reply edits ÷ each channel's budget (5 per 5 s) over its own span,"
            f" {len(channels)} channels",
            "",
            "reported",
            summary([c["used"] for c in channels]),
            lambda m: None,
            note=f"most in any 5 s: {max((c['peak'] for c in channels), default=0)};"
            f" {sum(c['edits'] for c in channels)} edits",
        ),
        figure(
            "sustained_final_shown",
            name,
            "generation ended (final state stored) → reply edit showing it",
            "s",
            "max ≤ 10 s",
            summary(_final_lags(run)),
            lambda m: m["max"] <= 10.0,
        ),
        figure(
            "sustained_discord_429",
            name,
            "429 responses the bot received from Discord",
            "",
            "0",
            {"value": w.discord.count_429},
            lambda m: m["value"] == 0,
        ),
        figure(
            "sustained_fairness",
            name,
            "each member's median wait from /generate to its first clip done at Replicate,"
            f" {len(member_medians)} members",
            "s",
            "slowest ≤ 1.5 × fastest",
            summary(member_medians),
            lambda m: m["max"] <= 1.5 * min(member_medians),
            note=f"fastest {min(member_medians, default=0.0):.1f} s",
        ),
        figure(
            "sustained_queue_estimate",
            name,
            f"replies of runs held ≥ {HELD:g} s before their first create that showed a"
            " position and an estimate meanwhile",
            "",
            "all",
            {"value": min(queue["position"], queue["estimate"])},
            lambda m: m["value"] == queue["held"],
            note=f"{queue['held']} held (longest {queue['longest']:.0f} s); {queue['position']}"
            f" showed a position, {queue['estimate']} an estimate",
        ),
        figure(
            "sustained_cpu",
            name,
            "the bot's CPU, the busiest minute (ffmpeg excluded), in cores",
            "",
            "≤ 0.5 (head-room ≥ 2×)",
            {"value": max(cores)},
            lambda m: m["value"] <= 0.5,
            note="by minute: "
            + " · ".join(f"{c:.2f}" for c in cores)
            + f"; head-room {1 / max(max(cores), 1e-9):.1f}× of one core; its ffmpeg children"
            " by minute: " + " · ".join(f"{c:.2f}" for c in ffmpeg),
        ),
        figure(
            "sustained_cpu_per_generation",
            name,
            f"the bot's CPU per generation at the cap, first command to last final state"
            f" ({cpu_total:.1f} s for the {ran} answered of {generations} commands; its ffmpeg"
            f" children {ffmpeg_total / max(1, ran) * 1000:.0f} ms a generation)",
            "ms",
            "reported (replaces ≤ 30 ms)",
            {"value": cpu_total / max(1, ran)},
            lambda m: None,
        ),
        figure(
            "sustained_rss",
            name,
            "the bot's RSS at the end",
            "MB",
            "≤ 300 MB",
            {"value": run.rss_bytes},
            lambda m: m["value"] <= 300e6,
        ),
        figure(
            "sustained_database",
            name,
            f"database transactions per generation answered ({ran} of {generations}; the"
            " others' admission and end counted too), PostgreSQL's counters",
            "",
            "reported",
            {"value": db["commits"] / max(1, ran)} if db else {},
            lambda m: None,
            note=(
                "per generation: rows fetched {:.0f}, inserted {:.1f}, updated {:.1f},"
                " deleted {:.1f}; {} rollbacks".format(
                    *(db[k] / max(1, ran) for k in ("fetched", "inserted", "updated")),
                    db["deleted"] / max(1, ran),
                    db["rollbacks"],
                )
                if db
                else "SQLite keeps no such counters: see the PostgreSQL run"
            ),
        ),
    ]
    raw = {
        "generations": generations,
        "never_answered": lost,
        "answered": ran,
        "done": done,
        "drained_seconds": run.drained_seconds,
        "creates_per_minute": per_minute,
        "ack_p99_per_minute": ack_p99,
        "cpu_cores_per_minute": cores,
        "cpu_seconds": cpu_total,
        "ffmpeg_cores_per_minute": ffmpeg,
        "ffmpeg_cpu_seconds": ffmpeg_total,
        "fakes_cpu_seconds": run.fakes_cpu_seconds,
        "rss_bytes": run.rss_bytes,
        "in_flight_peak": w.in_flight_peak(),
        "channels": channels,
        "member_medians": member_medians,
        "queue": queue,
        "database_work": db,
        "throttled_at": w.replicate.throttled_at,
        "per_generation": gens,
    }
    return figs, raw
