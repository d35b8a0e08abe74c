"""What the terminal front end prints: plain lines for pipes and files, and member text shown
as text — never rich markup, never terminal control sequences — in a real terminal (a pty)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import sys
from pathlib import Path

from storage.db import open_database
from storage.models import GenerationStatus, NewGeneration
from storage.repository import Repository
from tests.cli.test_cli import IDEA, bot

LONG = (
    "a lighthouse keeper on a cold northern island finds a shivering pup on the rocks one "
    "morning, carries it up the spiral stair, and slowly, over a winter, adopts a seal"
)
# member text that rich would read as markup (a crash, a hyperlink) and a terminal as commands
HOSTILE = "a keeper [/oops] [link=https://evil.example]adopts[/link] a \x1b]0;pwned\x07seal"


async def seed(database: Path, *prompts: str, title: str | None = None) -> None:
    """Generations stored as an older version could have stored them (nothing cleaned)."""
    async with open_database(database) as db:
        repo = Repository(db)
        for prompt in prompts:
            generation = await repo.create_generation(NewGeneration(owner_id=7, prompt=prompt))
            if title is not None:
                await repo.set_shot_list(generation.id, title=title, shot_list="{}", scenes=[])
            await repo.set_status(generation.id, GenerationStatus.FAILED, f"clip 1: {prompt}")


async def in_terminal(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run `python -m bot` with its stdout and stderr on a pseudo-terminal, as a person does."""
    leader, follower = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd, stdout=follower, stderr=follower
    )
    os.close(follower)

    def read_all() -> bytes:
        chunks = []
        with contextlib.suppress(OSError):  # EIO once the child has closed the terminal
            while chunk := os.read(leader, 65536):
                chunks.append(chunk)
        return b"".join(chunks)

    try:
        async with asyncio.timeout(60):
            output = await asyncio.to_thread(read_all)
            code = await proc.wait()
    finally:
        os.close(leader)
    return code, output.decode(errors="replace")


async def test_piped_history_prints_one_plain_line_per_generation(env, tmp_path) -> None:
    env = {k: v for k, v in env.items() if k != "COLUMNS"}  # a pipe has no width: rich says 80
    await seed(Path(env["DATABASE_PATH"]), "a short one", LONG, "tab\there", title="The\tKeeper")

    run = await bot("history", env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert len(lines) == 3  # no header, no border, no wrapped continuation
    rows = [line.split("\t") for line in lines]
    # id status clips created title prompt error link version
    assert all(len(row) == 9 for row in rows)
    assert [row[0] for row in rows] == ["3", "2", "1"]
    assert [row[1] for row in rows] == ["failed"] * 3
    assert rows[1][5] == LONG  # `| grep seal` finds it, whole
    assert [line for line in lines if "adopts a seal" in line] == [lines[1]]
    assert rows[0][4:6] == ["The Keeper", "tab here"]  # a tab inside a text is a space

    as_json = await bot("history", "--json", "--limit", "2", env=env, cwd=tmp_path)

    records = [json.loads(line) for line in as_json.out.splitlines()]
    assert [(r["id"], r["prompt"], r["error"]) for r in records] == [
        (3, "tab here", "clip 1: tab here"),
        (2, LONG, f"clip 1: {LONG}"),
    ]


async def test_piped_progress_ends_every_line(env, tmp_path, replicate_fake) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "generate",
        IDEA,
        "--clips",
        "2",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,  # `2>&1 | tee log`
    )
    async with asyncio.timeout(60):
        out, _ = await proc.communicate()
    lines = out.decode().splitlines()

    assert proc.returncode == 0, lines
    assert f"Done: generation #1 “Film: {IDEA}” → film.mp4" in lines  # a line of its own
    for line in ("analysing the idea", "clip 1/2 done", "clip 2/2 done", "done"):
        assert f"generation #1: {line}" in lines
    assert any(line.startswith(f"2. done Scene 2: {IDEA}") for line in lines)  # then a look
    assert not any("\x1b" in line for line in lines)  # no cursor movement in a log file


async def test_member_text_in_a_terminal_is_shown_as_text(env, tmp_path) -> None:
    await seed(Path(env["DATABASE_PATH"]), HOSTILE, title="\x1b[2JThe [bold]Keeper")

    code, shown = await in_terminal("history", env=env, cwd=tmp_path)

    assert code == 0, shown  # `[/oops]` crashed it for everyone
    assert "[/oops]" in shown and "[link=https://evil.example]adopts[/link]" in shown
    assert "\x1b]8;" not in shown  # no terminal hyperlink
    assert "\x1b]0;" not in shown and "\x1b[2J" not in shown  # no title change, no clear screen
    assert "[2JThe [bold]Keeper" in shown  # what is left once the escape character is gone


async def test_the_live_progress_shows_a_hostile_prompt_as_text(
    env, tmp_path, replicate_fake
) -> None:
    code, shown = await in_terminal("generate", HOSTILE, "--clips", "1", env=env, cwd=tmp_path)

    assert code == 0, shown
    assert "[/oops]" in shown and "\x1b]8;" not in shown and "\x1b]0;" not in shown
