"""Spend summed per UTC day, per member and per server (pure): what `python -m bot usage`
prints and what /history tells a member of their own.

The `spend` table records the seconds of video of every prediction create (retries included),
not the model: dollars are the seconds at today's price of `VIDEO_MODEL`
(bot/pipeline/spend/prices.py
or `PRICES`). Analysis and narration are not in it; they cost a small fraction of the video
(docs/costs.md).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.config import Settings
from bot.pipeline.spend.admission import DAY, day_start
from bot.pipeline.spend.prices import price_of, video_dollars
from storage.tables.usage_rows import SpendEntry

TERMINAL = "terminal"


def first_day(days: int, now: float) -> float:
    """Midnight UTC `days - 1` days before today's: `days` = 1 is today only."""
    return day_start(now) - (max(1, days) - 1) * DAY


@dataclass
class Total:
    """Owns one group's sums: seconds of video asked for and the prediction creates."""

    seconds: float = 0.0
    creates: int = 0

    def add(self, entry: SpendEntry) -> None:
        self.seconds += entry.seconds
        self.creates += 1


def _day(entry: SpendEntry) -> str:
    return datetime.fromtimestamp(entry.created_at, UTC).strftime("%Y-%m-%d")


def _guild(entry: SpendEntry) -> str:
    if entry.guild_id is not None:
        return str(entry.guild_id)
    return TERMINAL if entry.source != "discord" else "direct message"


def _member(entry: SpendEntry) -> str:
    return TERMINAL if entry.source != "discord" else str(entry.owner_id)


def _group(
    entries: Iterable[SpendEntry], key: Callable[[SpendEntry], Hashable]
) -> dict[Any, Total]:
    totals: dict[Any, Total] = {}
    for entry in entries:
        totals.setdefault(key(entry), Total()).add(entry)
    return totals


def summarise(
    entries: list[SpendEntry], settings: Settings, *, days: int, now: float
) -> dict[str, Any]:
    """The report: totals, then per day, per member and per server, largest first."""
    model = settings.video_model
    price = price_of(model, settings.prices)

    def row(name: str, key: Any, total: Total) -> dict[str, Any]:
        dollars = video_dollars(model, total.seconds, settings.prices)
        return {
            name: key,
            "seconds": round(total.seconds, 3),
            "creates": total.creates,
            "dollars": None if dollars is None else round(dollars, 4),
        }

    def ranked(name: str, groups: dict[Any, Total]) -> list[dict[str, Any]]:
        order = sorted(groups.items(), key=lambda kv: (-kv[1].seconds, str(kv[0])))
        return [row(name, key, total) for key, total in order]

    total = Total()
    for entry in entries:
        total.add(entry)
    by_day = _group(entries, _day)
    return {
        "since": datetime.fromtimestamp(first_day(days, now), UTC).strftime("%Y-%m-%d"),
        "days": days,
        "video_model": model,
        "dollars_per_second": None if price is None else price.dollars,
        "limit_seconds_per_member_per_day": settings.daily_video_seconds_limit,
        "total": row("total", "all", total),
        "by_day": [row("day", day, by_day[day]) for day in sorted(by_day)],
        "by_member": ranked("member", _group(entries, _member)),
        "by_guild": ranked("guild", _group(entries, _guild)),
    }
