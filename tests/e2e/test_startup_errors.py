"""`python -m bot` that cannot start says why in one line per problem and exits 2 — with no
.env at all, with placeholder keys, with Discord unreachable or refusing the token — and the
keys of OpenAI and Replicate are checked whatever happens to Discord's login. The real
process, its real output; no voice-library warning at any start."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate
from tests.fakes.serve import provider_env

ROOT = Path(__file__).resolve().parents[2]
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
WRONG_KEY = "sk-proj-wrong" + "x7" * 12
LAST_LINE = "Reelbot did not start: fix the errors above, then run it again."


@dataclass
class Run:
    code: int | None
    lines: list[str]

    def errors(self) -> list[str]:
        return [line for line in self.lines if line.startswith("error: ")]

    def warnings(self) -> list[str]:
        return [line for line in self.lines if line.startswith("warning: ")]


async def python_m_bot(cwd: Path, **env: str) -> Run:
    """`python -m bot` in `cwd` (no .env there) with only `env` and the basics."""
    full = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    full.update(env)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        env=full,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), 60)
    text = (out + err).decode()
    return Run(child.returncode, text.splitlines())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_one_line_report(run: Run) -> None:
    said = "\n".join(run.lines)
    assert run.code == 2, said
    assert "Traceback" not in said, said
    assert run.lines[-1] == LAST_LINE, said
    # the report is the last lines: errors, then warnings, then the closing line
    report = run.errors() + run.warnings()
    assert run.lines[-1 - len(report) : -1] == report, said
    assert "PyNaCl" not in said and "davey" not in said, said


async def test_no_env_at_all_names_each_missing_key_on_one_line(tmp_path: Path) -> None:
    run = await python_m_bot(tmp_path)

    assert_one_line_report(run)
    assert len(run.errors()) == 1 and run.errors()[0].startswith("error: DISCORD_TOKEN is not set")
    assert ".env.example" in run.errors()[0]
    assert [w.split(" is not set")[0] for w in run.warnings()] == [
        "warning: OPENAI_API_KEY",
        "warning: REPLICATE_API_TOKEN",
    ]


async def test_placeholder_keys_are_errors_and_are_sent_to_nobody(tmp_path: Path) -> None:
    async with FakeOpenAI() as openai, FakeReplicate() as replicate:
        port = closed_port()
        run = await python_m_bot(
            tmp_path,
            **{
                **provider_env(openai, replicate),
                "DISCORD_TOKEN": "your-discord-bot-token",
                "DISCORD_API_BASE_URL": f"http://127.0.0.1:{port}/api/v10",
                "OPENAI_API_KEY": "sk-...",
                "REPLICATE_API_TOKEN": "r8_your_token_here",
            },
        )
    assert_one_line_report(run)
    assert [e.split(" holds a placeholder")[0] for e in run.errors()] == [
        "error: DISCORD_TOKEN",
        "error: OPENAI_API_KEY",
        "error: REPLICATE_API_TOKEN",
    ]
    assert run.warnings() == []
    assert replicate.requests == []  # a placeholder is never sent
    assert openai.calls == {"chat": 0, "moderations": 0}
    assert "your-discord-bot-token" not in "\n".join(run.lines)


async def test_discord_unreachable_says_which_host_and_why_and_the_providers_are_checked(
    tmp_path: Path,
) -> None:
    async with FakeOpenAI(api_key="sk-proj-the-right-one") as openai, FakeReplicate() as replicate:
        port = closed_port()
        run = await python_m_bot(
            tmp_path,
            **{
                **provider_env(openai, replicate),
                "DISCORD_TOKEN": "MTA5ODc2NTQzMjE.Gabc12.def456",
                "DISCORD_API_BASE_URL": f"http://127.0.0.1:{port}/api/v10",
                "OPENAI_API_KEY": WRONG_KEY,
            },
        )
        assert [r.path for r in replicate.requests][:1] == ["/v1/account"]  # checked
    assert_one_line_report(run)
    discord_line, openai_line = run.errors()
    assert discord_line.startswith(f"error: Discord could not be reached at 127.0.0.1:{port} ")
    assert "Connection refused" in discord_line
    assert openai_line.startswith("error: OpenAI refused OPENAI_API_KEY (401 invalid_api_key)")
    assert WRONG_KEY[-4:] not in "\n".join(run.lines)


async def test_a_refused_discord_token_and_a_refused_replicate_token_are_both_said(
    tmp_path: Path,
) -> None:
    async with (
        FakeDiscord() as discord,
        FakeOpenAI() as openai,
        FakeReplicate(api_token="r8_the_right_one_1") as replicate,
    ):
        run = await python_m_bot(
            tmp_path,
            **{
                **provider_env(openai, replicate),
                "DISCORD_TOKEN": "MTA5ODc2NTQzMjE.Gabc12.refused1",
                "DISCORD_API_BASE_URL": discord.api_base,
                "DISCORD_GATEWAY_URL": discord.gateway_url,
                "REPLICATE_API_TOKEN": "r8_not_the_right_one_2",
            },
        )
    assert_one_line_report(run)
    assert run.errors() == [
        "error: Discord refused DISCORD_TOKEN (401): check the token in the Developer Portal.",
        "error: Replicate refused REPLICATE_API_TOKEN (401 Unauthenticated): put a valid token "
        "from replicate.com/account/api-tokens in the environment or .env.",
    ]


async def test_a_database_that_cannot_be_opened_is_said_with_the_keys(tmp_path: Path) -> None:
    port = closed_port()
    run = await python_m_bot(
        tmp_path,
        DISCORD_TOKEN="MTA5ODc2NTQzMjE.Gabc12.def456",
        DATABASE_URL=f"postgresql://reel:hunter2secret@127.0.0.1:{port}/reel",
        OPENAI_API_KEY="sk-your-key-here",
        ENABLE_VIDEO_GENERATION="false",
    )
    assert_one_line_report(run)
    database, key = run.errors()
    assert database.startswith(f"error: cannot open the PostgreSQL database at 127.0.0.1:{port}/")
    assert key.startswith("error: OPENAI_API_KEY holds a placeholder")
    assert "hunter2secret" not in "\n".join(run.lines)
