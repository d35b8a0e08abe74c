"""Reading one listed prediction at a time: what the API documents, and what it might send."""

from __future__ import annotations

import httpx
import pytest
import replicate

from bot.pipeline.clips.predictions import Predictions
from bot.pipeline.clips.snapshot import UNREADABLE, parse, predict_seconds


def test_a_documented_entry_reads_whole() -> None:
    snapshot = parse(
        {
            "id": "abc",
            "model": "acme/video",
            "status": "aborted",
            "input": {"prompt": "a seal"},
            "output": None,
            "error": None,
            "data_removed": False,
            "created_at": "2026-11-30T18:00:00.000000Z",
            "started_at": None,
            "completed_at": "2026-11-30T18:00:05.000000Z",
            "metrics": {},
        }
    )
    assert snapshot is not None and snapshot.status == "aborted" and snapshot.ended
    assert predict_seconds(snapshot) == 0.0  # never started: nothing billed


@pytest.mark.parametrize(
    ("error", "text"),
    [
        ({"detail": "GPU melted", "code": 9}, "GPU melted"),
        ({"code": 9}, '{"code": 9}'),
        (["a", "b"], '["a", "b"]'),
        ("plain", "plain"),
        ("", None),
    ],
)
def test_an_error_of_any_shape_becomes_text(error: object, text: str | None) -> None:
    snapshot = parse({"id": "x", "status": "failed", "error": error})
    assert snapshot is not None and snapshot.error == text and snapshot.status == "failed"


@pytest.mark.parametrize(
    "raw",
    [{"id": "x", "status": 42}, {"id": "x"}, {"id": "x", "status": "failed", "input": "oops"}],
)
def test_an_entry_with_an_id_but_odd_fields_is_unreadable_not_an_exception(raw: dict) -> None:
    snapshot = parse(raw)
    assert snapshot is not None and snapshot.status == UNREADABLE and snapshot.ended


@pytest.mark.parametrize("raw", [None, "x", [], {}, {"id": 5}, {"id": ""}])
def test_an_entry_without_an_id_concerns_nobody(raw: object) -> None:
    assert parse(raw) is None


def test_an_unknown_status_is_not_taken_for_an_end() -> None:
    snapshot = parse({"id": "x", "status": "queued_somewhere_new"})
    assert snapshot is not None and not snapshot.ended


@pytest.mark.parametrize(
    ("next_url", "followed"),
    [
        ("/v1/predictions?cursor=abc", "https://api.replicate.com/v1/predictions?cursor=abc"),
        ("https://api.replicate.com/v1/predictions?cursor=abc", None),
        ("https://api.replicate.com:8443/v1/predictions", False),
        ("http://api.replicate.com/v1/predictions", False),
        ("https://api.replicate.com.evil.example/v1/predictions", False),
        ("https://[broken/v1", False),
    ],
)
async def test_next_is_followed_only_on_the_apis_origin(next_url: str, followed: object) -> None:
    async with httpx.AsyncClient(base_url="https://api.replicate.com") as api:
        predictions = Predictions(replicate.Client(api_token="t"), api, model="acme/video")
        expected = next_url if followed is None else (followed or None)
        assert predictions._same_origin(next_url) == expected
