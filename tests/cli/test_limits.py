"""The terminal passes the same admission as a member (issue 10: one way in)."""

from __future__ import annotations

from tests.cli.test_cli import IDEA, bot


async def test_the_daily_limit_holds_in_the_terminal_too(env, tmp_path, replicate_fake) -> None:
    env = {**env, "DAILY_VIDEO_SECONDS_LIMIT": "5"}
    first = await bot("generate", IDEA, "--clips", "1", env=env, cwd=tmp_path)
    assert first.code == 0, first.err
    # the terminal shows, when the run starts, its estimate and what is left of the day
    assert "Estimate: up to 10 s of video, about $0.18" in first.err
    # the run's worst case (one 10 s scene) is held from its admission
    assert "Today: 0 of 5 s of video left today ($0.00); 10 s used or held" in first.err

    second = await bot("generate", IDEA, "--clips", "1", env=env, cwd=tmp_path)

    assert second.code == 1
    assert "of your 5 seconds of video for today" in second.err
    assert replicate_fake.counts["create"] == 1
