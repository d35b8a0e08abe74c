"""The spend as `python -m bot usage` and /metrics read it (storage/tables/usage_rows.py), on every
backend (tests/storage/conftest.py): each create's seconds with its member, server and source."""

from __future__ import annotations

import time

from storage.models import GenerationStatus, NewGeneration
from storage.repository import Repository


async def _film(repo: Repository, owner: int, guild: int | None, source: str, seconds: int) -> int:
    generation = await repo.create_generation(
        NewGeneration(owner_id=owner, prompt="a seal", source=source, guild_id=guild)
    )
    clips = await repo.set_shot_list(
        generation.id, title="Seal", shot_list="{}", scenes=[("Scene 1", seconds)]
    )
    await repo.clip_creating(clips[0].id)  # the database records the spend itself
    return generation.id


async def test_spend_is_read_with_member_server_and_source(repo: Repository) -> None:
    before = time.time() - 1
    await _film(repo, 1, 10, "discord", 5)
    await _film(repo, 2, 20, "discord", 10)
    await _film(repo, 0, None, "cli", 5)

    spent = await repo.spend_since(before)
    assert [(e.owner_id, e.guild_id, e.source, e.seconds) for e in spent] == [
        (1, 10, "discord", 5.0),
        (2, 20, "discord", 10.0),
        (0, None, "cli", 5.0),
    ]
    assert [e.seconds for e in await repo.spend_since(before, owner_id=2)] == [10.0]
    assert await repo.spend_since(time.time() + 60) == []
    assert await repo.seconds_since(before) == 20.0


async def test_open_generations_are_counted_by_state_and_source(repo: Repository) -> None:
    await _film(repo, 1, 10, "discord", 5)
    ended = await _film(repo, 1, 10, "discord", 5)
    await _film(repo, 0, None, "cli", 5)
    await repo.set_status(ended, GenerationStatus.DONE)
    await repo.ping()

    assert await repo.open_generations() == {("queued", "discord"): 1, ("queued", "cli"): 1}
