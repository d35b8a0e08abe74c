"""Issue 20: the price table, the film's estimate, the daily allowance and the start-up notice
(pure), and the usage report over a real SQLite file."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.config import Settings, load_settings
from bot.pipeline.clips.video_models import MODELS
from bot.pipeline.spend.admission import OverLimit, over_seconds
from bot.pipeline.spend.allowance import (
    DEFAULT_DAILY_VIDEO_SECONDS,
    allowance,
    estimate,
    limits_notice,
)
from bot.pipeline.spend.prices import PRICES, money, price_of, video_dollars
from bot.pipeline.spend.usage import first_day, summarise
from storage.models import Usage
from storage.tables.usage_rows import SpendEntry

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp()
MIDNIGHT = datetime(2026, 12, 8, 0, 0, tzinfo=UTC).timestamp()


def bare(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_a_fresh_install_has_a_daily_seconds_limit() -> None:
    assert bare().daily_video_seconds_limit == DEFAULT_DAILY_VIDEO_SECONDS == 120


def test_every_model_has_a_price_entry_with_a_source() -> None:
    assert set(MODELS) <= set(PRICES)
    for price in PRICES.values():
        assert price.source  # where it comes from, or that it was not found
        assert (price.dollars is None) == price.source.startswith("NOT FOUND")


def test_prices_turn_seconds_into_dollars_and_are_overridden_by_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert video_dollars("bytedance/seedance-1-lite", 20, {}) == pytest.approx(0.36)
    assert video_dollars("google/veo-3-fast", 8, {}) is None  # not found: not invented
    monkeypatch.setenv("PRICES", '{"google/veo-3-fast": 0.15, "bytedance/seedance-1-lite": 0.036}')
    settings = load_settings()
    assert video_dollars("google/veo-3-fast", 8, settings.prices) == pytest.approx(1.2)
    overridden = price_of("bytedance/seedance-1-lite", settings.prices)
    assert overridden is not None and overridden.overridden and overridden.dollars == 0.036
    assert money(None) == "price unknown" and money(0.7218) == "$0.72"


def test_the_estimate_is_every_scene_at_the_longest_clip() -> None:
    film = estimate(bare(), scenes=None)  # MAX_CLIPS=4 scenes of seedance's longest, 10 s
    assert film.seconds == 40
    assert film.dollars == pytest.approx(40 * 0.018 + (3000 * 0.10 + 3000 * 0.50) / 1e6)
    assert estimate(bare(video_model="google/veo-3-fast"), scenes=2).dollars is None
    assert "up to 16 s" in estimate(bare(video_model="google/veo-3-fast"), scenes=2).text()


def test_over_the_limit_says_what_is_left_and_when_it_resets() -> None:
    refused = over_seconds(120, Usage(runs=3, seconds=125), now=NOON)
    assert isinstance(refused, OverLimit)
    assert refused.left == 0 and refused.resets_at == MIDNIGHT
    assert "125 of your 120 seconds" in refused.reason and "00:00 UTC (in about 12 h)" in (
        refused.reason
    )
    day = allowance(bare(), Usage(runs=1, seconds=40), now=NOON)
    assert day.left == 80 and day.resets_at == MIDNIGHT
    assert day.text(bare()) == (
        "80 of 120 s of video left today ($1.44); 40 s used or held for films in progress ($0.72)"
    )
    assert allowance(bare(daily_video_seconds_limit=0), Usage(1, 40)).left is None


def test_the_start_up_notice_says_the_limits_and_warns_when_unlimited() -> None:
    notice = limits_notice(bare())
    assert notice[0][0] == logging.INFO and "120 s of video per member" in notice[0][1]
    assert "$2.16" in notice[0][1]
    unlimited = limits_notice(bare(daily_video_seconds_limit=0))
    assert unlimited[0][0] == logging.WARNING and "DAILY_VIDEO_SECONDS_LIMIT=0" in unlimited[0][1]


def test_the_usage_report_sums_per_day_member_and_server() -> None:
    yesterday = NOON - 86400
    entries = [
        SpendEntry(1, 10, "discord", 5, yesterday),
        SpendEntry(1, 10, "discord", 10, NOON),
        SpendEntry(2, 20, "discord", 5, NOON),
        SpendEntry(0, None, "cli", 5, NOON),
    ]
    report = summarise(entries, bare(), days=2, now=NOON)
    assert report["since"] == "2026-12-06" and first_day(2, NOON) == yesterday - 12 * 3600
    assert report["total"] == {"total": "all", "seconds": 25, "creates": 4, "dollars": 0.45}
    assert [(d["day"], d["seconds"]) for d in report["by_day"]] == [
        ("2026-12-06", 5),
        ("2026-12-07", 20),
    ]
    assert [(m["member"], m["seconds"]) for m in report["by_member"]] == [
        ("1", 15),
        ("2", 5),
        ("terminal", 5),
    ]
    assert [(g["guild"], g["seconds"]) for g in report["by_guild"]] == [
        ("10", 15),
        ("20", 5),
        ("terminal", 5),
    ]
