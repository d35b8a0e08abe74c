"""`python -m bot extend GENERATION [--scenes N] [--note TEXT]` through the real process (issue
24's Extend): the analysis writes N more scenes seeing the shot list so far, the first opens on
the film's last frame (its start image is that frame), no scene of the film is rendered again
(creates counted at the fake Replicate), the cast is kept, and the next version is 2 scenes
longer; past MAX_CLIPS it is refused and nothing is spent."""

from __future__ import annotations

import json
import sqlite3

from bot.pipeline.director.cast import PORTRAIT_MODEL
from tests.cli.test_cli import IDEA, bot
from tests.fakes.mp4 import frame_rgb, image_rgb
from tests.pipeline.run.test_runner import COLOR_RGB

NOTE = "the seal swims home at dusk"


def near(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 48) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def rgb_of(color: str) -> tuple[int, int, int]:
    if color.startswith("0x"):
        value = int(color, 16)
        return (value >> 16) & 255, (value >> 8) & 255, value & 255
    return COLOR_RGB[color]


async def test_extend_by_two_adds_two_scenes_opening_on_the_films_last_frame(
    env, tmp_path, replicate_fake, openai_fake
) -> None:
    env = {**env, "MAX_CLIPS": "5"}
    first = await bot("generate", IDEA, "--clips", "3", "--out", "v1.mp4", env=env, cwd=tmp_path)
    assert first.code == 0, first.err
    old = dict(replicate_fake.predictions)
    assert replicate_fake.counts["create"] == 3

    run = await bot("extend", "1", "--scenes", "2", "--note", NOTE, env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    assert f"Done: generation #1 v2 “Film: {IDEA}”, 2 scene(s) added → film-1-v2.mp4" in run.out
    assert replicate_fake.counts["create"] == 5  # the two new scenes only, none of the old
    assert "generation #1: 5 scene(s) now" in run.err  # the progress shows the new scenes
    new = sorted(
        (p for i, p in replicate_fake.predictions.items() if i not in old), key=lambda p: p.prompt
    )
    assert [p.prompt.split(":")[0] for p in new] == ["Scene 4", "Scene 5"]
    # the analysis saw the film so far (its scenes) and the note
    asked = json.dumps(openai_fake.chat_requests[-1]["messages"])
    assert "after scene 3 of the film so far" in asked and "Scene 3:" in asked and NOTE in asked

    before, after = tmp_path / "v1.mp4", tmp_path / "film-1-v2.mp4"
    for at in (0.5, 1.5, 2.5):  # the old scenes as they were
        assert frame_rgb(after, at) == frame_rgb(before, at), at
    # scene 4 starts from the film's last frame: its start image is that frame ...
    last = frame_rgb(before, 2.8)
    start = new[0].input["image"]
    frame = replicate_fake.uploaded[start.rsplit("/", 1)[1]].data
    assert near(image_rgb(frame) or (0, 0, 0), last)
    assert "image" not in new[1].input  # only the first new scene opens on the film
    # ... and the new cut opens scene 4 on it, then turns to the new clip's own colour
    assert near(frame_rgb(after, 3.05), last)
    assert near(frame_rgb(after, 3.6), rgb_of(new[0].color))
    assert near(frame_rgb(after, 4.5), rgb_of(new[1].color))
    assert frame_rgb(after, 4.9) != frame_rgb(before, 2.5)

    with sqlite3.connect(env["DATABASE_PATH"]) as db:
        versions = db.execute("SELECT number, scene, added, status FROM versions").fetchall()
        clips = db.execute("SELECT idx, version, chained FROM clips ORDER BY idx").fetchall()
    assert versions == [(1, None, 0, "done"), (2, 3, 2, "done")]
    assert clips == [(0, 1, 0), (1, 1, 0), (2, 1, 0), (3, 2, 1), (4, 2, 0)]


async def test_extend_past_max_clips_is_refused_and_spends_nothing(
    env, tmp_path, replicate_fake
) -> None:
    first = await bot("generate", IDEA, "--clips", "3", env=env, cwd=tmp_path)  # MAX_CLIPS 4
    assert first.code == 0, first.err

    run = await bot("extend", "1", "--scenes", "2", env=env, cwd=tmp_path)

    assert run.code == 1
    assert "a film has at most 4 (MAX_CLIPS): it can take 1 more." in run.err
    assert replicate_fake.counts["create"] == 3
    with sqlite3.connect(env["DATABASE_PATH"]) as db:
        assert db.execute("SELECT COUNT(*) FROM versions").fetchone() == (0,)


async def test_an_extended_film_keeps_its_cast(env, tmp_path, replicate_fake) -> None:
    env = {**env, "MAX_CLIPS": "5", "VIDEO_MODEL": "kwaivgi/kling-v3-omni-video"}
    first = await bot("generate", IDEA, "--clips", "3", env=env, cwd=tmp_path)
    assert first.code == 0, first.err
    portraits = [p for p in replicate_fake.predictions.values() if p.model == PORTRAIT_MODEL]
    assert len(portraits) == 2
    assert "generation #1: portrait of Ada: " in first.err  # the terminal shows the cast
    old = set(replicate_fake.predictions)

    run = await bot("extend", "1", "--scenes", "2", env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    new = [p for i, p in replicate_fake.predictions.items() if i not in old]
    assert {p.model for p in new} == {"kwaivgi/kling-v3-omni-video"}  # no portrait made again
    assert len(new) == 2
    colors = [rgb_of(p.color) for p in portraits]
    for clip in new:  # each new scene shows a character of the cast: it got their portrait
        assert clip.input["reference_images"] and clip.references
        for got in clip.references:
            assert any(near(rgb_of(got), c, 8) for c in colors), got
