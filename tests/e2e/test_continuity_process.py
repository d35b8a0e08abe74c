"""`continuity: chained` through the real bot process (`python -m bot`, tests/fakes/botprocess.py)
against the fakes: each scene starts from the last frame of the scene before, checked on the
frames of the clips the bot stored (the fake Replicate opens a clip on its start image's colour,
then turns to the scene's own colour: tests/fakes/replicate_files.py); parallel scenes do not.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
from pathlib import Path

import imageio_ffmpeg

from bot.pipeline.clips.video_models import with_start_image
from tests.e2e.harness import status_of
from tests.e2e.test_admission import IDEA, Live, field, live, private
from tests.fakes.replicate_fake import PALETTE

WAN = "wan-video/wan-2.2-t2v-fast"  # text-to-video only: it cannot start from an image
RGB = {"red": (255, 0, 0), "lime": (0, 255, 0), "blue": (0, 0, 255)}


def near(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def clip_files(run: Live, generation_id: int = 1) -> list[Path]:
    rows = run.rows(
        f"SELECT output_path FROM clips WHERE generation_id = {generation_id} ORDER BY idx"
    )
    return [Path(path) for (path,) in rows]


def first_and_last(clip: Path) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The average colour of the clip's first and last frames: every frame decoded down to one
    pixel (independently of the bot's own last-frame code)."""
    pixels = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i", str(clip), "-vf",
         "scale=1:1:flags=area", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True, timeout=60,
    ).stdout  # fmt: skip
    first, last = pixels[:3], pixels[-3:]
    return (first[0], first[1], first[2]), (last[0], last[1], last[2])


async def generate(run: Live, continuity: str) -> int:
    command = await run.answered(
        await run.discord.send_slash(
            "generate", {"prompt": IDEA, "clips": 3, "continuity": continuity}
        )
    )
    return await run.discord.wait_for(lambda: command.reply_id)


async def test_chained_scenes_start_from_the_last_frame_of_the_scene_before(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        reply_id = await generate(run, "chained")

        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), field(reply, "Reason")
        files = clip_files(run)
        frames = [first_and_last(f) for f in files]
        predictions = sorted(run.replicate.predictions.values(), key=lambda p: p.created)
        history = reply.history

    # the frames: scene N+1 opens on scene N's last frame, then turns to its own colour
    assert [near(last, RGB[c]) for (_, last), c in zip(frames, PALETTE, strict=False)] == [True] * 3
    for n in (1, 2):
        first = frames[n][0]
        assert near(first, frames[n - 1][1]), (n + 1, first, frames[n - 1][1])
        assert not near(first, frames[n][1])
    # one prediction per scene, each created once the one before had ended; the later ones
    # with the previous scene's last frame as their start image (seedance's `image` input)
    assert len(predictions) == 3
    assert "image" not in predictions[0].input
    for before, after in itertools.pairwise(predictions):
        assert before.completed is not None and after.created >= before.completed
        assert str(after.input["image"]).startswith("http")
    # the reply said so while it rendered, with the wait
    shown = [v for e in history for v in _fields(e.body, "Continuity")]
    assert shown and all("one after another" in v for v in shown)
    assert any("expect about" in v and "3 scenes" in v for v in shown)
    assert field(reply, "Continuity") is None  # not on the final state


async def test_parallel_scenes_do_not(tmp_path: Path) -> None:
    async with live(tmp_path) as run:
        reply_id = await generate(run, "parallel")

        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), field(reply, "Reason")
        frames = [first_and_last(f) for f in clip_files(run)]
        inputs = [p.input for p in run.replicate.predictions.values()]
        shown = [v for e in reply.history for v in _fields(e.body, "Continuity")]

    for n in (1, 2):
        assert not near(frames[n][0], frames[n - 1][1])  # opens on its own colour
        assert near(frames[n][0], frames[n][1])
    assert all("image" not in i for i in inputs) and len(inputs) == 3
    assert shown == []


async def test_a_chained_generation_resumed_after_a_restart_goes_on_from_the_last_scene(
    tmp_path: Path,
) -> None:
    """Killed while scene 2 renders: the restarted bot re-attaches to scene 2's prediction
    (not a new one, no new upload), then starts scene 3 from scene 2's last frame."""
    async with live(tmp_path) as run:
        fake = run.replicate
        fake.auto_complete = False
        reply_id = await generate(run, "chained")
        await run.discord.wait_for(lambda: len(fake.predictions) == 1, timeout=15)
        (first,) = fake.predictions
        fake.complete(first)
        await run.discord.wait_for(lambda: len(fake.predictions) == 2, timeout=15)
        second = next(p for p in fake.predictions if p != first)
        await asyncio.sleep(0.3)  # a few polls of the running scene 2

        await run.restart()
        await asyncio.sleep(1.0)  # resumed: following scene 2 again, creating nothing
        assert len(fake.predictions) == 2
        fake.complete(second)
        await run.discord.wait_for(lambda: len(fake.predictions) == 3, timeout=15)
        third = next(p for p in fake.predictions if p not in (first, second))
        fake.complete(third)

        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), field(reply, "Reason")
        frames = [first_and_last(f) for f in clip_files(run)]
        uploads = len(fake.uploaded)
        deleted = sorted(fake.deleted_files)
        scenes = [p.prompt.split(":")[0] for p in fake.predictions.values()]
        dms = run.discord.dm_messages("alice")

    assert scenes == ["Scene 1", "Scene 2", "Scene 3"]  # none made twice
    assert uploads == 2  # scene 2's start image uploaded once, before the restart
    assert deleted == sorted(fake.uploaded)  # each deleted once its prediction had ended
    assert near(frames[1][0], frames[0][1]) and near(frames[2][0], frames[1][1])
    assert len(dms) == 1  # the film, once


async def test_chained_on_a_model_without_a_start_image_is_refused_privately(
    tmp_path: Path,
) -> None:
    async with live(tmp_path, video_model=WAN) as run:
        command = await run.answered(
            await run.discord.send_slash(
                "generate", {"prompt": IDEA, "clips": 2, "continuity": "chained"}
            )
        )
        await asyncio.sleep(0.5)

        (generate,) = [c for c in run.discord.commands if c["name"] == "generate"]
        options = {o["name"]: o for o in generate["options"]}
        answer = private(command) or ""
        assert WAN in answer and "cannot start from an image" in answer, command.callback
        assert all(name in answer for name in with_start_image())
        assert run.replicate.predictions == {}
        assert run.rows("SELECT COUNT(*) FROM generations") == [(0,)]
    # Discord is told the choices (and checks them before the bot sees a value)
    choices = [c["value"] for c in options["continuity"]["choices"]]
    assert choices == ["parallel", "chained"] and not options["continuity"].get("required")


def _fields(body: dict[str, object], name: str) -> list[str]:
    embeds = body.get("embeds") or []
    assert isinstance(embeds, list)
    return [f["value"] for e in embeds for f in e.get("fields", []) if f["name"] == name]
