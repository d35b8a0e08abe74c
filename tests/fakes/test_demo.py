"""`make demo` (tests/fakes/demo.py) makes a real film from the fakes with no account, and the
served fakes check the key they hand out, as the README and docs/development.md say."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.pipeline.media import probe
from tests.fakes.serve import FAKE_KEY

ROOT = Path(__file__).resolve().parents[2]


async def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=cwd,
        env=full,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(child.communicate(), 90)
    assert child.returncode is not None
    return child.returncode, out.decode()


async def test_the_demo_makes_a_film_and_says_where_it_is(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://nobody@127.0.0.1:9/none\n")
    code, said = await run(
        "-m",
        "tests.fakes.demo",
        "--workdir",
        str(tmp_path / "work"),
        "--out-dir",
        str(tmp_path),
        cwd=tmp_path,  # a .env here (a real installation's) is not the demo's
    )

    assert code == 0, said
    film = tmp_path / "film.mp4"
    assert f"Your film: {film} (" in said
    assert (await probe(film)).duration == pytest.approx(6.0, abs=0.5)  # 3 clips of 2 s
    assert (tmp_path / "work" / "data" / "reelbot.sqlite3").exists()  # not the .env's database

    again, said = await run(
        "-m",
        "tests.fakes.demo",
        "--workdir",
        str(tmp_path / "work"),
        "--out-dir",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert again == 0, said
    assert f"Your film: {tmp_path / 'film-2.mp4'} (" in said  # the first film is kept


async def test_the_served_fakes_refuse_a_key_they_did_not_hand_out(tmp_path: Path) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.serve",
        "--env",
        str(tmp_path / "fakes.env"),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        lines = [(await asyncio.wait_for(server.stdout.readline(), 30)).decode() for _ in range(6)]
        env = dict(line.strip().split("=", 1) for line in lines)
        assert env["OPENAI_API_KEY"] == FAKE_KEY

        code, said = await run(
            "-m",
            "bot",
            "generate",
            "a seal",
            "--clips",
            "1",
            cwd=tmp_path,
            env={**env, "OPENAI_API_KEY": "wrong-key-1"},
        )
        assert code == 2, said
        assert "OpenAI refused OPENAI_API_KEY (401 invalid_api_key)" in said

        code, said = await run(
            "-m",
            "bot",
            "generate",
            "a seal",
            "--clips",
            "1",
            cwd=tmp_path,
            env={**env, "REPLICATE_API_TOKEN": "wrong-token-1"},
        )
        assert code == 2, said
        assert "Replicate refused REPLICATE_API_TOKEN (401 Unauthenticated)" in said
    finally:
        server.terminate()
        await server.wait()
