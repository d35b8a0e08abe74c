"""Extend (issue 24, "Done when") through the real bot process (`python -m bot`,
tests/fakes/botprocess.py): a 3-scene film, then its reply's Extend button and form (2 scenes);
v2 is delivered once, 2 scenes longer, its first new scene opening on the old film's last frame
(the start image of its prediction is that frame), and no scene of the old film is rendered
again (creates counted at the fake Replicate)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.harness import status_of
from tests.e2e.test_admission import IDEA, buttons, live, private
from tests.e2e.test_music_process import video_seconds as seconds_of
from tests.e2e.test_reroll_process import film_of
from tests.fakes.mp4 import frame_rgb, image_rgb

NOTE = "the seal swims home at dusk"


def near(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 48) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


async def test_extend_by_two_delivers_a_longer_v2_opening_on_the_last_frame(
    tmp_path: Path,
) -> None:
    async with live(tmp_path, max_clips=5) as run:
        command = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 3})
        )
        reply_id = await run.discord.wait_for(lambda: command.reply_id)
        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅")
        assert buttons(reply) == ["reelbot:extend:1"]
        (first_dm,) = run.discord.dm_messages("alice")
        first_cut = film_of(first_dm, tmp_path / "v1.mp4")
        old = set(run.replicate.predictions)
        assert len(old) == 3

        pressed = await run.answered(await run.discord.click("reelbot:extend:1", reply_id))
        assert pressed.callback_type == 9, pressed.callback  # the form
        submitted = await run.answered(
            await run.discord.submit_modal(pressed, {"scenes": "2", "note": NOTE})
        )
        assert "becomes v2" in (private(submitted) or ""), submitted.callback
        dms = await run.discord.wait_for(
            lambda: len(run.discord.dm_messages("alice")) == 2 and run.discord.dm_messages("alice"),
            timeout=30,
        )
        assert [a.filename for a in dms[1].attachments] == ["reelbot-1-v2.mp4"]
        await run.discord.wait_for(
            lambda: "v2" in (status_of(run.discord.message(reply_id)) or ""), timeout=15
        )
        await asyncio.sleep(1.0)  # a few polls and edits: nothing more is sent or created
        assert len(run.discord.dm_messages("alice")) == 2  # v2 delivered exactly once
        new = sorted(
            (p for i, p in run.replicate.predictions.items() if i not in old),
            key=lambda p: p.prompt,
        )
        assert len(run.replicate.predictions) == 5  # the two new scenes; no old one again
        assert [p.prompt.split(":")[0] for p in new] == ["Scene 4", "Scene 5"]

        second_cut = film_of(dms[1], tmp_path / "v2.mp4")
        assert seconds_of(second_cut) - seconds_of(first_cut) > 1.5  # 2 scenes of 1 s longer
        for at in (0.5, 1.5, 2.5):  # the old scenes as they were
            assert frame_rgb(second_cut, at) == frame_rgb(first_cut, at), at
        last = frame_rgb(first_cut, 2.8)
        start = new[0].input["image"]  # scene 4's start image: the film's last frame
        frame = run.replicate.uploaded[start.rsplit("/", 1)[1]].data
        assert near(image_rgb(frame) or (0, 0, 0), last)
        assert near(frame_rgb(second_cut, 3.05), last)  # and the new cut opens scene 4 on it
        assert run.rows("SELECT number, scene, added, status FROM versions ORDER BY number") == [
            (1, None, 0, "done"),
            (2, 3, 2, "done"),
        ]
