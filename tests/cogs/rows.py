"""Builders of the real rows and events the Discord side renders (no Discord connection)."""

from __future__ import annotations

import time
from typing import Any

from bot.pipeline.analysis.shotlist import Scene, ShotList
from storage.models import Clip, ClipStatus, Generation, GenerationStatus, HistoryEntry


def generation(**fields: Any) -> Generation:
    now = time.time()
    values: dict[str, Any] = {
        "id": 7,
        "owner_id": 100,
        "source": "discord",
        "prompt": "a lighthouse keeper adopts a seal",
        "clips_requested": 3,
        "aspect_ratio": "16:9",
        "seed": None,
        "status": GenerationStatus.RENDERING,
        "error": None,
        "title": "The Keeper",
        "shot_list": None,
        "guild_id": 1,
        "channel_id": 2,
        "message_id": 3,
        "thread_id": 3,
        "video_path": None,
        "delivered_at": None,
        "delivery_ref": None,
        "predict_seconds": 0.0,
        "created_at": now - 75,
        "updated_at": now,
        "finished_at": None,
    }
    values.update(fields)
    return Generation(**values)


def clip(index: int, status: ClipStatus) -> Clip:
    return Clip(
        id=index + 1,
        generation_id=7,
        index=index,
        prompt=f"Scene {index + 1}",
        duration=5,
        status=status,
        prediction_id=None,
        output_path=None,
        thumbnail_path=None,
        attempts=0,
        error=None,
        predict_seconds=0.0,
        create_started_at=None,
        updated_at=time.time(),
    )


def shot_list(scenes: int = 3, *, title: str = "The Keeper", prompt: str = "a seal") -> ShotList:
    return ShotList(
        title=title,
        style="grainy 16 mm, warm light",
        scenes=[Scene(prompt=f"{prompt} {i}", duration=5) for i in range(1, scenes + 1)],
    )


def entry(id: int, **fields: Any) -> HistoryEntry:
    values: dict[str, Any] = {
        "id": id,
        "status": GenerationStatus.DONE,
        "prompt": f"film {id}",
        "title": None,
        "clips_done": 3,
        "clips_total": 3,
        "created_at": 1_700_000_000.0,
        "guild_id": 1,
        "channel_id": 2,
        "message_id": 3,
        "error": None,
    }
    values.update(fields)
    return HistoryEntry(**values)
