"""Faults on the Discord side and provider faults as the member sees them, on the real protocol.

Covered in tests/e2e and not repeated here: a refused DM (film in the thread, with a mention),
no permission to create threads (the reply alone shows progress), a film over the upload limit
(sent transcoded smaller), an expired interaction token, a restart mid-generation.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.e2e.harness import World, statuses, world

IDEA = "a lighthouse keeper adopts a seal"
EDIT = "/channels/{channel_id}/messages/{message_id}"
FINAL = ("✅", "❌", "🛑")


def reason_of(w: World, message_id: int) -> str:
    message = w.discord.message(message_id)
    return next(
        (f["value"] for e in message.embeds for f in e.get("fields", []) if f["name"] == "Reason"),
        "",
    )


def never_leaves_its_final_state(shown: list[str]) -> bool:
    first = next((i for i, s in enumerate(shown) if s.startswith(FINAL)), len(shown))
    return all(s == shown[first] for s in shown[first:])


def logged(caplog: pytest.LogCaptureFixture, *parts: str) -> bool:
    return any(all(p in r.getMessage() for p in parts) for r in caplog.records)


async def test_5xx_and_429_on_edits_still_end_in_the_final_state(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with world(tmp_path) as w:
        w.replicate.clip_delay = 0.3
        w.discord.fail_next("PATCH", EDIT, 503)  # not retried by discord.py: ours to handle
        w.discord.fail_next("PATCH", EDIT, 502)  # retried by discord.py after a second
        w.discord.set_rate_limit("PATCH", EDIT, 1, 0.5, hidden=True)  # 429s, learnt the hard way
        reply = await w.generate(IDEA, clips=3)

        status = await w.wait_final(reply, timeout=30)

        assert status.startswith("✅"), status
        assert w.discord.count_429 >= 1
        failed = [c.status for c in w.discord.rest_calls(method="PATCH", route=EDIT)]
        assert 503 in failed and 502 in failed and 429 in failed
        assert never_leaves_its_final_state(statuses(w.discord.message(reply.id)))
        assert len(w.discord.dm_messages("alice")) == 1
        assert logged(caplog, "editing the reply of generation 1 failed", "503")
        assert logged(caplog, "We are being rate limited", "429")


async def test_a_gateway_disconnect_resumes_and_the_generation_finishes_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with world(tmp_path) as w:
        w.replicate.clip_delay = 1.0
        reply = await w.generate(IDEA, clips=2)
        await w.discord.wait_for(lambda: len(w.replicate.predictions) == 2)

        await w.discord.disconnect_gateway()  # the socket drops; the session stays resumable
        await w.discord.wait_for(lambda: w.discord.resume_count >= 1, timeout=15)
        # a command sent after the RESUME is answered
        second = await w.generate("a seal learns to knit", user="bob", clips=1)
        await w.discord.invalidate_sessions()  # now the session is gone: a fresh IDENTIFY
        await w.discord.wait_for(lambda: w.discord.identify_count == 2, timeout=15)

        assert (await w.wait_final(reply, timeout=30)).startswith("✅")
        assert (await w.wait_final(second, timeout=30)).startswith("✅")
        assert w.replicate.counts["create"] == 3  # nothing started twice by the reconnects
        assert len(w.discord.dm_messages("alice")) == 1
        assert len(w.discord.dm_messages("bob")) == 1
        resumed = [r for r in caplog.records if "unfinished generation(s)" in r.getMessage()]
        assert len(resumed) == 1  # work is resumed at start-up only, not on every READY


async def test_closed_dms_and_no_thread_permission_post_the_film_in_the_channel(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with world(tmp_path) as w:
        w.discord.refuse_dms("alice")
        w.discord.forbid_threads = True
        alice = w.discord.users["alice"]
        reply = await w.generate(f"{IDEA} @everyone", clips=1)

        status = await w.wait_final(reply)

        assert status.startswith("✅"), status
        assert w.discord.dm_messages("alice") == []
        # the clip went in the channel too (no thread); the film answers the reply
        (film,) = (
            m
            for m in w.discord.messages_in()
            if any(a.filename.startswith("reelbot-") for a in m.attachments)
        )
        assert film.payload["message_reference"]["message_id"] == str(reply.id)  # answers it
        assert film.mentions == [alice.id] and not film.mention_everyone
        assert logged(caplog, "DMs of member", "are closed", "generation 1")
        assert logged(caplog, "no permission to create a thread")


async def test_a_film_that_cannot_fit_the_upload_limit_fails_with_the_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with world(tmp_path, max_upload_bytes=400) as w:
        w.discord.upload_limit = 400  # no film fits in 400 bytes
        reply = await w.generate(IDEA, clips=1)

        status = await w.wait_final(reply)

        assert status.startswith("❌"), status
        reason = reason_of(w, reply.id)
        assert reason.startswith("the film could not be made small enough to send"), reason
        assert w.discord.dm_messages("alice") == []
        assert [c for c in w.discord.calls if c.status == 413] == []  # never sent to be refused
        assert logged(caplog, "generation 1 of member", "could not be made small enough")


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("openai", "OpenAI is unavailable: HTTP 500"),
        ("replicate", "clip 1: Replicate failed the prediction: CUDA out of memory"),
    ],
)
async def test_a_provider_failure_reaches_the_member_as_a_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fault: str, reason: str
) -> None:
    async with world(tmp_path) as w:
        if fault == "openai":
            w.openai.fail_next(500, times=20, path="/chat/completions")
        else:
            w.replicate.script(["failed"] * 3)
        reply = await w.generate(IDEA, clips=1)

        status = await w.wait_final(reply)

        assert status == "❌ Failed", status
        assert reason_of(w, reply.id).startswith(reason), reason_of(w, reply.id)
        assert "Traceback" not in reason_of(w, reply.id)
        buttons = [
            c["custom_id"]
            for row in w.discord.message(reply.id).components
            for c in row["components"]
        ]
        assert buttons == ["reelbot:retry:1"]  # the member can try again
        assert logged(caplog, "generation 1 of member", reason)
