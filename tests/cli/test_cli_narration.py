"""`python -m bot generate --narration --voice V`: a narrated film from the terminal."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import IDEA, bot
from tests.fakes.audio import streams
from tests.fakes.openai_fake import FakeOpenAI


async def test_generate_with_narration_writes_a_narrated_film(
    env, tmp_path: Path, openai_fake: FakeOpenAI, replicate_fake
) -> None:
    run = await bot(
        "generate", IDEA, "--clips", "2", "--narration", "--voice", "cedar",
        "--out", "out/film.mp4", env=env, cwd=tmp_path,
    )  # fmt: skip

    assert run.code == 0, run.err
    assert "Narrated (voice cedar)." in run.out
    assert streams(tmp_path / "out" / "film.mp4") == ["Video", "Audio"]
    # spoken through the Realtime API (bot/pipeline/sound/speakers.py), one session per line
    assert [s["voice"] for s in openai_fake.realtime.sessions] == ["cedar", "cedar"]
    assert [s["model"] for s in openai_fake.realtime.sessions] == ["gpt-realtime-2.1-mini"] * 2
    assert not [r for r in openai_fake.requests if r.path.endswith("/audio/speech")]


async def test_an_unknown_voice_exits_2_naming_the_voices(env, tmp_path: Path) -> None:
    run = await bot("generate", IDEA, "--voice", "hal", env=env, cwd=tmp_path)

    assert run.code == 2
    assert "voice must be one of alloy, ash" in run.err


async def test_a_voice_the_realtime_api_lacks_exits_2_naming_the_closest(
    env, tmp_path: Path
) -> None:
    run = await bot("generate", IDEA, "--voice", "onyx", env=env, cwd=tmp_path)

    assert run.code == 2
    assert "gpt-realtime-2.1-mini has no onyx; the closest is cedar" in run.err
