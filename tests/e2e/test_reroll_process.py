"""Reroll one scene (issue 11 §1, "Done when") through the real bot process (`python -m bot`,
tests/fakes/botprocess.py): a 3-scene film, then a reroll of scene 2 with a note from the clip's
Reroll button and its modal; a SIGKILL and a restart while the new take renders; v2 delivered
exactly once, scenes 1 and 3 not rendered again, the film's middle scene replaced (its frames)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.harness import status_of
from tests.e2e.test_admission import IDEA, live, private
from tests.fakes.discord_fake import Message
from tests.fakes.mp4 import frame_rgb
from tests.pipeline.run.test_runner import looks_like

NOTE = "closer on the seal's face"


def clip_posts(run, reply_id: int) -> list[Message]:
    thread = run.discord.thread_for(reply_id)
    if thread is None:
        return []
    return [m for m in run.discord.messages_in(int(thread["id"])) if m.attachments]


def film_of(message: Message, dest: Path) -> Path:
    (attachment,) = message.attachments
    dest.write_bytes(attachment.data)
    return dest


async def test_reroll_scene_two_survives_a_restart_and_delivers_v2_once(tmp_path: Path) -> None:
    async with live(tmp_path) as run:
        command = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 3})
        )
        reply_id = await run.discord.wait_for(lambda: command.reply_id)
        assert (status_of(await run.reply_final(reply_id)) or "").startswith("✅")
        posts = await run.discord.wait_for(
            lambda: len(clip_posts(run, reply_id)) == 3 and clip_posts(run, reply_id), timeout=15
        )
        (first_dm,) = run.discord.dm_messages("alice")
        first_cut = film_of(first_dm, tmp_path / "v1.mp4")
        first = dict(run.replicate.predictions)
        assert len(first) == 3

        # the Reroll button on clip 2 opens the modal; its submit starts the reroll
        run.replicate.auto_complete = False
        pressed = await run.answered(await run.discord.click("reelbot:reroll:1:1", posts[1].id))
        assert pressed.callback_type == 9, pressed.callback
        submitted = await run.answered(await run.discord.submit_modal(pressed, {"note": NOTE}))
        assert "becomes v2" in (private(submitted) or ""), submitted.callback
        await run.discord.wait_for(lambda: len(run.replicate.predictions) == 4, timeout=15)
        (take,) = [p for pid, p in run.replicate.predictions.items() if pid not in first]
        assert take.prompt.startswith(f"Scene 2: {IDEA}, ") and NOTE in take.prompt
        await run.discord.wait_for(  # its id is stored once the create's answer is in
            lambda: run.rows("SELECT prediction_id FROM clips WHERE idx = 1") == [(take.id,)],
            timeout=10,
        )

        # SIGKILL while the take renders; the restarted bot re-attaches to it
        await run.restart()
        assert run.rows("SELECT status FROM generations") == [("rerolling",)]
        run.replicate.complete(take.id)
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
        assert len(run.replicate.predictions) == 4  # scenes 1 and 3 not rendered again
        assert run.rows("SELECT number, scene, note, status FROM versions ORDER BY number") == [
            (1, None, None, "done"),
            (2, 1, NOTE, "done"),
        ]

        # the new cut: scenes 1 and 3 as in v1, the middle one the new take's
        second_cut = film_of(dms[1], tmp_path / "v2.mp4")
        for at in (0.5, 2.5):
            assert frame_rgb(second_cut, at) == frame_rgb(first_cut, at), at
        assert frame_rgb(second_cut, 1.5) != frame_rgb(first_cut, 1.5)
        assert looks_like(frame_rgb(second_cut, 1.5), take.color)  # the take's own colour
