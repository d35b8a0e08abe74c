"""What `history` shows of a film's sound (issue 22): narration, music, captions, per film."""

from __future__ import annotations

from storage.models import Captions, NewGeneration, ScoreStatus
from storage.repository import Repository


async def test_sound_of_names_what_each_film_has(repo: Repository) -> None:
    plain = await repo.create_generation(NewGeneration(owner_id=1, prompt="a"))
    full = await repo.create_generation(
        NewGeneration(
            owner_id=1, prompt="b", narration=True, voice="coral", music=True,
            captions=Captions.BURNED,
        )
    )  # fmt: skip
    await repo.set_score(full.id, ScoreStatus.DROPPED, reason="the music model failed")
    found = await repo.sound_of([plain.id, full.id])
    assert found == {full.id: "narration, music (left out), captions:burned"}
    assert (await repo.score(full.id)).reason == "the music model failed"  # type: ignore[union-attr]
    assert (await repo.generation(full.id)).captions is Captions.BURNED  # type: ignore[union-attr]
