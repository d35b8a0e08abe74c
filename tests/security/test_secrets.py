"""Tokens never appear in logs, in messages to members, or in the database."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import sqlite3
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.logs import REDACTED
from tests.e2e.harness import status_of
from tests.fakes.botprocess import BotProcess, bot_env
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate

ROOT = Path(__file__).resolve().parents[2]
# Shaped like real credentials (so a redactor that only knows "sk-" or a prefix would still
# be tested), made fresh each run so that no token-looking string sits in the source.
_ALNUM = string.ascii_letters + string.digits


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


DISCORD_TOKEN = f"MT{_random(24)}.{_random(6)}.{_random(38)}"
OPENAI_KEY = f"sk-proj-{_random(64)}"
REPLICATE_TOKEN = f"r8_{_random(37)}"
TOKENS = (DISCORD_TOKEN, OPENAI_KEY, REPLICATE_TOKEN)


def leaks(text: str) -> list[str]:
    """Which tokens (or a long piece of one) occur in `text`."""
    return [t[:12] + "…" for t in TOKENS if t in text or t[-24:] in text or t[:24] in text]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_the_log_handler_redacts_tokens_in_messages_and_tracebacks(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    logs.configure("DEBUG", TOKENS)
    log = logging.getLogger("reelbot.test")
    log.info("calling with Authorization: Bearer %s", OPENAI_KEY)
    log.warning("token=%s replicate=%s", DISCORD_TOKEN, REPLICATE_TOKEN)
    try:
        raise RuntimeError(f"the server echoed our header: Bot {DISCORD_TOKEN}")
    except RuntimeError:
        log.exception("request failed")

    err = capsys.readouterr().err
    assert "request failed" in err and "RuntimeError" in err  # the lines are all there ...
    assert err.count(REDACTED) == 4
    assert leaks(err) == []  # ... without a single token


def test_the_log_handler_redacts_the_key_fragment_openai_echoes(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    # OpenAI's 401 names the refused key by its first characters and last four (the wording of
    # github.com/IIC2440/Syllabus-2025-1/issues/13), a short key whole (continuedev/continue#9358)
    masked = f"{OPENAI_KEY[:8]}{'*' * 40}{OPENAI_KEY[-4:]}"
    logs.configure("DEBUG", TOKENS)
    log = logging.getLogger("reelbot.test")
    log.warning("HTTP 401: Incorrect API key provided: %s. You can find your API key at x", masked)
    log.warning("HTTP 401: Incorrect API key provided: %s. You can find it", OPENAI_KEY[-5:])

    err = capsys.readouterr().err
    assert err.count("Incorrect API key provided: [redacted]. You can find") == 2
    assert OPENAI_KEY[-4:] not in err and "****" not in err


async def test_a_real_bot_run_never_writes_a_token_anywhere(tmp_path: Path) -> None:
    """The real process at DEBUG, with real-looking tokens, a generation that succeeds and
    one that fails: the log file, every request body and the database are free of them."""
    async with (
        FakeDiscord(token=DISCORD_TOKEN) as discord,
        FakeOpenAI(api_key=OPENAI_KEY) as openai,
        FakeReplicate(api_token=REPLICATE_TOKEN) as replicate,
    ):
        replicate.throttle_retry_after = 0
        env = bot_env(
            discord,
            openai,
            replicate,
            tmp_path,
            pythonpath=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            log_level="DEBUG",
            replicate_poll_seconds=0.1,
            reply_edit_seconds=0.1,
        )
        env.update(OPENAI_API_KEY=OPENAI_KEY, REPLICATE_API_TOKEN=REPLICATE_TOKEN)
        log_path = tmp_path / "bot.log"
        process = BotProcess(discord, env, tmp_path, log_path)
        await process.start()
        try:
            replies: list[int] = []
            for prompt in ("a lighthouse keeper adopts a seal", "a robot learns to bake"):
                if replies:  # the second one fails: the key is revoked, OpenAI refuses it
                    openai.api_key = f"sk-proj-{_random(64)}"  # and quotes it, masked
                interaction = await discord.send_slash("generate", {"prompt": prompt, "clips": 1})
                await interaction.wait_callback(timeout=10)
                reply: int = await discord.wait_for(
                    lambda i=interaction: i.reply_id  # type: ignore[misc]
                )
                replies.append(reply)

                def ended(r: int = reply) -> bool:
                    return (status_of(discord.message(r)) or "").startswith(("✅", "❌"))

                await discord.wait_for(ended, timeout=30)
            await asyncio.sleep(0.3)
        finally:
            assert await process.stop() == 0

    shown = [status_of(discord.message(r)) for r in replies]
    assert shown[0] and shown[0].startswith("✅") and shown[1] == "❌ Failed", shown
    # OpenAI's 401 quoted the key's first 8 and last 4 characters around asterisks: what
    # reached the member and the log says the key was refused, without the fragment
    (reason,) = [
        f["value"]
        for e in discord.message(replies[1]).embeds
        for f in e["fields"]
        if f["name"] == "Reason"
    ]
    assert "Incorrect API key provided: \\[redacted\\]" in reason, reason  # markdown-escaped
    log_text = log_path.read_text(encoding="utf-8")
    assert "DEBUG" in log_text and "generation 2 of member" in log_text
    assert "Incorrect API key provided: [redacted]" in log_text
    assert leaks(log_text) == []
    assert "****" not in log_text and f"{OPENAI_KEY[:8]}*" not in log_text
    assert OPENAI_KEY[-4:] not in reason and "\\*" not in reason
    bodies = [json.dumps(c.json) for c in discord.calls if c.json is not None]
    bodies += [json.dumps(r.json) for r in (*openai.requests, *replicate.requests) if r.json]
    bodies += [m.content + json.dumps(m.embeds) for m in discord.world.messages.values()]
    assert leaks("\n".join(bodies)) == []  # not in any message, reply, reason or prompt sent
    database = sqlite3.connect(tmp_path / "reelbot.sqlite3")
    try:
        dump = "\n".join(database.iterdump())
    finally:
        database.close()
    assert leaks(dump) == [] and "****" not in dump
