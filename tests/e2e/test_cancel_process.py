"""Issue 9 item 3 through the real process (`python -m bot`, tests/fakes/botprocess.py): a
cancel while Replicate's prediction list answers 503 still cancels — the member reads
"Cancelled", the reply shows 🛑, the other clip's running prediction is cancelled at once, and
the create whose answer was lost (found only through the list) is cancelled at a later try."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import status_of
from tests.e2e.test_admission import live
from tests.e2e.test_replicate_process import a_lost_create_beside_a_running_clip
from tests.fakes.discord_fake import Interaction, Message


def private_text(interaction: Interaction, message: Message | None) -> str | None:
    candidates = [*([message] if message is not None else []), *interaction.followups]
    for candidate in candidates:
        if candidate.ephemeral and not candidate.loading and candidate.content:
            return candidate.content
    return None


async def test_a_cancel_while_replicate_errors_is_shown_and_finished_later(
    tmp_path: Path,
) -> None:
    async with live(tmp_path) as run:
        replicate, discord = run.replicate, run.discord
        reply_id, lost, running = await a_lost_create_beside_a_running_clip(run)
        replicate.list_status = 503  # the lost create cannot be looked up

        cancel = await run.answered(await discord.send_slash("cancel", {}))

        def answered() -> str | None:
            original = cancel.original_message_id
            return private_text(cancel, discord.message(original) if original else None)

        assert await discord.wait_for(answered, timeout=10) == "Cancelled generation #1."
        await discord.wait_for(
            lambda: (status_of(discord.message(reply_id)) or "").startswith("🛑"), timeout=10
        )
        assert replicate.predictions[running].canceled  # the other clip stopped billing
        assert not replicate.predictions[lost].canceled
        assert run.rows("SELECT prediction_id FROM pending_cancels") == [(None,)]
        assert run.rows("SELECT status FROM generations") == [("cancelled",)]

        replicate.list_status = None  # Replicate answers again: the later try finds and stops it
        await discord.wait_for(lambda: replicate.predictions[lost].canceled, timeout=30)
        await discord.wait_for(
            lambda: run.rows("SELECT count(*) FROM pending_cancels") == [(0,)], timeout=10
        )
        assert replicate.counts["create"] == 2  # nothing made again
        assert "Traceback" not in run.process_log.read_text(encoding="utf-8")
