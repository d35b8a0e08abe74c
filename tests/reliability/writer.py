"""A child process for the durability test: writes generations through `storage` as fast as it
can, printing each state change once its transaction has committed, until it is killed.

    python -m tests.reliability.writer DB_PATH SEED
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from pathlib import Path

from storage.db import open_database
from storage.models import ClipStatus, GenerationStatus, NewGeneration
from storage.repository import Repository


def say(*words: object) -> None:
    print(*words, flush=True)


async def write(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    async with open_database(path) as db:
        repo = Repository(db)
        while True:
            generation = await repo.create_generation(
                NewGeneration(owner_id=rng.randint(1, 5), prompt="x" * rng.randint(1, 1000))
            )
            gid = generation.id
            say("created", gid)
            scenes = [(f"scene {i} of {gid}", 5) for i in range(rng.randint(1, 4))]
            await repo.set_status(gid, GenerationStatus.RENDERING)
            shot_list = json.dumps({"title": "t", "style": "s", "scenes": scenes})
            clips = await repo.set_shot_list(gid, title="t", shot_list=shot_list, scenes=scenes)
            say("shot", gid, len(scenes))
            for clip in clips:
                await repo.clip_creating(clip.id)
                await repo.clip_started(clip.id, f"p{gid}x{clip.index}")
                await repo.clip_succeeded(
                    clip.id,
                    output_path=f"/m/{gid}/{clip.index}.mp4",
                    thumbnail_path=None,
                    predict_seconds=1.5,
                )
                say("clip", gid, clip.index)
            await repo.record_post(gid, "film", f"dm:{gid}")
            await repo.record_delivery(gid, f"dm:{gid}")
            await repo.set_status(gid, GenerationStatus.DONE)
            say("done", gid)
            assert all(c.status is ClipStatus.SUCCEEDED for c in await repo.clips(gid))


if __name__ == "__main__":
    asyncio.run(write(Path(sys.argv[1]), int(sys.argv[2])))
