"""/generate end to end: reply, thread, clips, edits, DM — on the real protocol."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import status_of, world


async def test_full_generation_three_clips(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        reply = await w.generate("a lighthouse keeper adopts a seal", clips=3)
        status = await w.wait_final(reply)
        assert status.startswith("✅"), status
        thread = w.discord.thread_for(reply.id)
        assert thread is not None
        posts = w.discord.messages_in(int(thread["id"]))
        assert len(posts) == 4  # shot list + 3 clips
        dms = w.discord.dm_messages("alice")
        assert len(dms) == 1 and dms[0].attachments
        w.discord.assert_clean()
        print(status_of(w.discord.message(reply.id)), len(w.discord.rest_calls()))
