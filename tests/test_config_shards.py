"""SHARD_COUNT and SHARD_IDS: parsed, checked against each other, named when wrong."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings


def test_unset_leaves_the_shards_to_discord_py(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHARD_COUNT", raising=False)
    monkeypatch.delenv("SHARD_IDS", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.shard_count is None and settings.shard_ids is None


@pytest.mark.parametrize(
    ("raw", "ids"),
    [("0", (0,)), ("0,1", (0, 1)), ("0-3", (0, 1, 2, 3)), (" 4-5, 7 ", (4, 5, 7))],
)
def test_shard_ids_are_a_list_or_ranges(
    monkeypatch: pytest.MonkeyPatch, raw: str, ids: tuple[int, ...]
) -> None:
    monkeypatch.setenv("SHARD_COUNT", "8")
    monkeypatch.setenv("SHARD_IDS", raw)
    settings = load_settings(_env_file=None)
    assert settings.shard_count == 8
    assert settings.shard_ids == ids


@pytest.mark.parametrize(
    ("count", "raw", "named"),
    [
        ("2", "2", "not below SHARD_COUNT"),
        ("2", "0-2", "not below SHARD_COUNT"),
        (None, "0", "SHARD_IDS needs SHARD_COUNT"),
        ("2", "0,0", "twice"),
        ("2", "one", "not a shard id"),
        ("4", "3-1", "low to high"),
        ("0", "0", "SHARD_COUNT"),
    ],
)
def test_shard_ids_that_do_not_fit_are_named(
    monkeypatch: pytest.MonkeyPatch, count: str | None, raw: str, named: str
) -> None:
    if count is None:
        monkeypatch.delenv("SHARD_COUNT", raising=False)
    else:
        monkeypatch.setenv("SHARD_COUNT", count)
    monkeypatch.setenv("SHARD_IDS", raw)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert named in str(caught.value)
