"""A placeholder is never taken for a key, and a real-looking key never for a placeholder."""

from __future__ import annotations

import secrets
import string

import pytest

from bot.pipeline.checks.placeholders import is_placeholder


@pytest.mark.parametrize(
    "value",
    [
        "your-discord-token",
        "YOUR_DISCORD_BOT_TOKEN",
        "sk-...",
        "sk-your-key-here",
        "sk-proj-REPLACE_ME",
        "r8_your_token_here",
        "r8_…",
        "<token>",
        "changeme",
        "xxxxxxxx",
        "paste the token",
    ],
)
def test_placeholders_are_found(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value",
    [
        "fake-openai-key",  # the demo's and the tests' keys, which the fakes check
        "fake-replicate-token",
        "not-the-bot-token",
        "sk-x",
        "MTA5ODc2NTQzMjE.Gabc12.def456",
        "sk-proj-wrong" + "x7" * 12,
    ],
)
def test_keys_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


def test_random_keys_of_each_provider_are_never_placeholders() -> None:
    alphabet = string.ascii_letters + string.digits
    for _ in range(2000):
        body = "".join(secrets.choice(alphabet) for _ in range(37))
        assert not is_placeholder("r8_" + body)
        assert not is_placeholder("sk-proj-" + body * 4)
