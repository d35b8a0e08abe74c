"""Start-image rows on every backend: the member's image on the generation, the upload's URL on
the clip, each stored once and read back with the rows."""

from __future__ import annotations

from storage.models import NewGeneration
from storage.repository import Repository


async def test_a_start_image_and_its_upload_round_trip(repo: Repository) -> None:
    generation = await repo.create_generation(NewGeneration(owner_id=1, prompt="a seal"))
    await repo.set_shot_list(
        generation.id, title="Seal", shot_list="{}", scenes=[("Scene 1", 5), ("Scene 2", 5)]
    )
    first, second = await repo.clips(generation.id)
    assert generation.start_image_path is None and first.start_image_url is None

    await repo.set_start_image(generation.id, "/media/7/start-image.png")
    await repo.set_clip_start_image(first.id, "https://api.replicate.com/v1/files/abc")

    stored = await repo.generation(generation.id)
    assert stored is not None and stored.start_image_path == "/media/7/start-image.png"
    assert (await repo.clip(first.id)).start_image_url == "https://api.replicate.com/v1/files/abc"
    assert (await repo.clip(second.id)).start_image_url is None
    assert [g.start_image_path for g in await repo.unfinished("discord")] == [
        "/media/7/start-image.png"
    ]
