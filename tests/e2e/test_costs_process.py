"""Issue 20, safe by default, through the real process (`python -m bot`,
tests/fakes/botprocess.py) with no DAILY_VIDEO_SECONDS_LIMIT set: the start-up log says the limit
once; each reply's first render shows the film's estimate and what is left of the day; a member
over the default limit is refused privately with what is left and when it resets (a Discord
timestamp of the next UTC midnight); /history shows the member's own spend; and `python -m bot
usage --json` counts exactly the seconds the fake Replicate was asked for."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from bot.pipeline.spend.admission import DAY, day_start
from bot.pipeline.spend.allowance import DEFAULT_DAILY_VIDEO_SECONDS
from tests.e2e.test_admission import IDEA, live, private
from tests.fakes.discord_fake import Interaction


def embed_field(interaction: Interaction, name: str) -> str | None:
    """A field of the first embed of the reply's first render: the interaction's answer, or
    the public followup after its private "thinking" answer, as first sent."""
    data = (interaction.callback or {}).get("data") or {}
    replies = [m for m in interaction.followups if not m.ephemeral and m.history]
    first = replies[0].history[0].body if replies else {}
    for embed in [*(data.get("embeds") or []), *(first.get("embeds") or [])]:
        for found in embed.get("fields", []):
            if found["name"] == name:
                return str(found["value"])
    return None


def asked_seconds(predictions: dict[str, Any]) -> float:
    """What the fake Replicate was asked for: each create's `duration` input (seedance)."""
    return float(sum(p.input["duration"] for p in predictions.values()))


async def test_over_the_default_limit_is_refused_privately_and_usage_matches(
    tmp_path: Path,
) -> None:
    # "": the variable empty counts as unset, so the bot runs on its default limit
    async with live(tmp_path, daily_video_seconds_limit="") as run:
        run.openai.scene_duration = 10  # 4 clips of 10 s: 40 s a film, the day's 120 s in three
        alice = run.discord.users["alice"].id
        costs = []
        for _ in range(3):
            answer = await run.answered(
                await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 4})
            )
            costs.append(embed_field(answer, "Cost") or "")
            reply_id = await run.discord.wait_for(lambda a=answer: a.reply_id)
            assert (await run.reply_final(reply_id)).embeds  # done before the next one
        assert "Estimate: up to 40 s of video, about $0.72" in costs[0], costs[0]
        # each film's worst case (40 s) is held from its admission: the first leaves 80 s
        assert "80 of 120 s of video left today ($1.44)" in costs[0], costs[0]
        assert "0 of 120 s of video left today" in costs[2], costs[2]
        assert asked_seconds(run.replicate.predictions) == DEFAULT_DAILY_VIDEO_SECONDS

        creates = run.replicate.counts["create"]
        refused = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 1})
        )
        text = private(refused) or ""  # flags 64: only alice sees it
        assert "You have used 120 of your 120 seconds of video for today (0 s left)" in text
        midnight = int(day_start(time.time()) + DAY)
        assert f"<t:{midnight}:R>" in text, text
        await asyncio.sleep(0.5)
        assert run.replicate.counts["create"] == creates  # nothing was asked of Replicate

        history = await run.answered(await run.discord.send_slash("history", {}))
        spend = embed_field(history, "Your spend") or ""
        assert (
            "0 of 120 s of video left today ($0.00); "
            "120 s used or held for films in progress ($2.16)" in spend
        ), spend
        assert "Last 7 days: 120 s of video ($2.16)" in spend

        log = run.process_log.read_text(encoding="utf-8")
        assert len(re.findall(r"daily limit: 120 s of video per member", log)) == 1, log
        assert "Traceback" not in log

        env = dict(run.process._env)
        usage = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "usage",
            "--json",
            "--days",
            "2",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await usage.communicate()
        assert usage.returncode == 0, err
        report = json.loads(out)
        asked = asked_seconds(run.replicate.predictions)
        assert report["total"]["seconds"] == asked
        assert report["total"]["creates"] == len(run.replicate.predictions)
        assert report["total"]["dollars"] == round(asked * 0.018, 4)
        assert report["by_member"] == [
            {"member": str(alice), "seconds": asked, "creates": 12, "dollars": 2.16}
        ]
        assert [g["guild"] for g in report["by_guild"]] == [str(run.discord.guild_id)]
        assert [d["seconds"] for d in report["by_day"]] == [asked]


async def test_an_unlimited_install_is_warned_at_start(tmp_path: Path) -> None:
    async with live(tmp_path, daily_video_seconds_limit=0) as run:
        await run.discord.wait_for(
            lambda: "DAILY_VIDEO_SECONDS_LIMIT=0" in run.process_log.read_text("utf-8"),
            timeout=10,
        )
        log = run.process_log.read_text("utf-8")
        assert re.search(r"WARNING .*DAILY_VIDEO_SECONDS_LIMIT=0: members may ask", log), log
