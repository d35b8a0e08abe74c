"""What /generate refuses, privately, before anything is stored or started."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.pipeline.run.runner import NOT_SHOWN
from bot.tree import APOLOGY
from tests.e2e.harness import World, world

IDEA = "a lighthouse keeper adopts a seal"


async def assert_nothing_started(w: World) -> None:
    for user in ("alice", "bob"):
        assert await w.services.repo.count_history(w.discord.users[user].id) == 0
    assert w.openai.calls == {"chat": 0, "moderations": 0}
    assert w.replicate.counts["create"] == 0
    assert w.discord.messages_in() == []  # nothing public
    assert w.discord.world.threads() == []


def private_answer(w: World, interaction: Any) -> str:
    assert interaction.callback_type == 4, interaction.callback
    data = interaction.callback["data"]
    assert data["flags"] & 64, data  # ephemeral
    assert data["allowed_mentions"]["parse"] == []
    return str(data["content"])


@pytest.mark.parametrize(
    ("missing", "name"),
    [("openai_api_key", "OPENAI_API_KEY"), ("replicate_api_token", "REPLICATE_API_TOKEN")],
)
async def test_missing_provider_key_is_a_private_configuration_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, missing: str, name: str
) -> None:
    caplog.set_level(logging.INFO, logger="bot.discord_bot")
    async with world(tmp_path, **{missing: None}) as w:
        said = [r.getMessage() for r in caplog.records if r.name == "bot.discord_bot"]
        assert any(name in m and "not set" in m for m in said), said  # at start-up too
        (invite,) = [m for m in said if "invite the bot with" in m]
        assert f"client_id={w.discord.application_id}" in invite
        assert "scope=bot+applications.commands" in invite and "permissions=" in invite

        interaction = await w.command("generate", {"prompt": IDEA, "clips": 2})
        text = private_answer(w, interaction)
        assert name in text and "not set" in text
        assert "Traceback" not in text
        await assert_nothing_started(w)

        # /history does not need the providers
        history = await w.command("history")
        assert history.callback is not None and history.callback["data"]["flags"] & 64
        assert "no generations yet" in history.callback["data"]["embeds"][0]["description"]
        w.discord.assert_clean()


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"prompt": "   "}, "The prompt is empty"),
    ({"prompt": "x" * 1001}, "the limit is 1000"),
    ({"prompt": IDEA, "clips": 5}, "clips must be between 1 and 4, not 5"),
    ({"prompt": IDEA, "clips": 0}, "clips must be between 1 and 4, not 0"),
    ({"prompt": IDEA, "seed": -1}, "seed must be between 0 and"),
    ({"prompt": IDEA, "seed": 2**31}, "seed must be between 0 and"),
    ({"prompt": IDEA, "aspect_ratio": "4:3"}, "`4:3` is not an accepted value"),
]


async def test_bad_input_is_answered_privately_and_nothing_starts(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        # DISCORD_GUILD_ID is set: the commands were synced to that guild, at once
        synced = w.discord.world.commands
        assert set(synced.get(w.discord.guild_id, {})) == {"generate", "cancel", "history"}
        assert not synced.get(None)
        # Discord itself is told the limits (it validates options before we see them) ...
        (generate,) = [c for c in w.discord.commands if c["name"] == "generate"]
        options = {o["name"]: o for o in generate["options"]}
        assert (options["prompt"]["min_length"], options["prompt"]["max_length"]) == (1, 1000)
        assert (options["clips"]["min_value"], options["clips"]["max_value"]) == (1, 4)
        assert options["seed"]["min_value"] == 0
        assert [c["value"] for c in options["aspect_ratio"]["choices"]] == ["16:9", "9:16", "1:1"]

        # ... and we check again, for values that reach us anyway
        for values, expected in BAD_INPUT:
            interaction = await w.command("generate", values)
            assert expected in private_answer(w, interaction), values
        await assert_nothing_started(w)
        w.discord.assert_clean()


async def test_an_unexpected_error_gets_an_apology_and_a_logged_traceback(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        followup = "/webhooks/{webhook_id}/{webhook_token}"
        w.discord.fail_next("POST", followup, 400)  # Discord refuses the reply itself

        interaction = await w.command("generate", {"prompt": IDEA})
        text = await w.wait_private_text(interaction)  # the apology, privately
        assert text == APOLOGY
        (error,) = w.errors
        assert error.exc_info is not None and error.exc_info[0] is not None
        assert error.getMessage().startswith("/generate failed (user ")
        assert str(w.discord.users["alice"].id) in error.getMessage()
        w.errors.clear()

        # the generation was recorded as failed, with the reason, and never started (the
        # failure is written by a task of its own: wait for it)
        generation = await w.services.runner.wait(1)
        assert generation is not None and generation.status == "failed"
        assert generation.error == NOT_SHOWN
        assert w.openai.calls["chat"] == 0 and w.replicate.counts["create"] == 0
        w.discord.assert_clean()
