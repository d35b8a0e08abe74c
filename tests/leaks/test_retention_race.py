"""Leak 7 of issue 18: the retention sweep picked the generations whose media was old, then
removed their files later: a Reroll admitted in between paid for its take, then failed because
the other scenes' clips were gone. Now the sweep re-checks, in the transaction that records the
removal, that nothing was admitted on the film since it was picked (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.pipeline.run.retention import DAY, MediaRetention
from storage.models import GenerationStatus, VersionStatus
from storage.repository import Repository
from tests.conftest import Harness
from tests.fakes.replicate_fake import FakeReplicate
from tests.leaks.test_two_processes import engine_settings

__all__ = ["engine_settings"]


class PickThen:
    """The repository, with `then` awaited right after the sweep picked its batch."""

    def __init__(self, repo: Repository, then: Callable[[], Awaitable[object]]) -> None:
        self._repo = repo
        self._then = then

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repo, name)

    async def media_to_remove(self, **kwargs: Any) -> list[int]:
        batch = await self._repo.media_to_remove(**kwargs)
        if batch:
            await self._then()
        return batch


@pytest.fixture
async def harness_on(engine_settings: Settings, open_harness: Any) -> Any:
    async with open_harness(engine_settings) as h:
        yield h


async def test_a_reroll_admitted_after_the_pick_keeps_its_film(
    harness_on: Harness, replicate_fake: FakeReplicate, engine_settings: Settings
) -> None:
    harness = harness_on
    done = await harness.generate(clips=2)
    assert done.status is GenerationStatus.DONE
    old = done.finished_at - 40 * DAY  # type: ignore[operator]
    await harness.repo._update(
        "UPDATE generations SET finished_at = ? WHERE id = ?", (old, done.id)
    )
    creates = replicate_fake.counts["create"]

    async def reroll() -> None:
        await harness.runner.reroll(done.id, 0)

    store = PickThen(harness.repo, reroll)
    sweep = MediaRetention(store, engine_settings.media_dir, days=30)  # type: ignore[arg-type]
    await sweep.sweep()

    ended = await harness.runner.wait(done.id)
    assert ended.status is GenerationStatus.DONE
    (_, v2) = await harness.repo.versions(done.id)
    assert v2.status is VersionStatus.DONE, v2.error
    assert replicate_fake.counts["create"] == creates + 1
    assert Path(ended.video_path or "").is_file()


async def test_a_reroll_asked_once_the_removal_is_recorded_is_refused_unpaid(
    harness_on: Harness, replicate_fake: FakeReplicate
) -> None:
    from bot.pipeline.spend.admission import Refused

    harness = harness_on
    done = await harness.generate(clips=2)
    old = done.finished_at - 40 * DAY  # type: ignore[operator]
    await harness.repo._update(
        "UPDATE generations SET finished_at = ? WHERE id = ?", (old, done.id)
    )
    assert await harness.repo.claim_media_removal(done.id, ended_before=old + 1)
    creates = replicate_fake.counts["create"]

    with pytest.raises(Refused, match="MEDIA_RETENTION_DAYS"):
        await harness.runner.reroll(done.id, 0)

    assert replicate_fake.counts["create"] == creates
    assert (await harness.repo.usage_since(done.owner_id, 0)).runs == 1
