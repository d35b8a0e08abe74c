"""One benchmark world: the three loopback fakes in this process, the real bot as a child.

The fakes are the test suite's (``tests/fakes``), not copies. Fake Discord enforces its
realistic per-route limits (message edits 5 per 5 s per channel, …) with Discord's headers;
fake Replicate enforces 600 creates and 3,000 other requests a minute. Every clock the
figures compare (interaction dispatch and callback, prediction completion, message edits)
is this process's event-loop clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes.botprocess import BotProcess, bot_env
from tests.fakes.discord_fake import FakeDiscord, Interaction, Message
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate

ROOT = Path(__file__).resolve().parent.parent
IDEA = "a lighthouse keeper adopts a seal"
FINAL_MARKS = ("✅", "❌", "🛑")
# Seconds the fake takes per spoken line: OpenAI publishes no latency; a measured tts-1 request
# took 46 s for 256 s of audio (raw.githubusercontent.com/sanand0/blog/main/posts/2025/
# openai-tts-cost.md), about 0.2 s per second of speech: a 5-second line, about 1 s.
SPEECH_DELAY = 1.0


@dataclass
class RigConfig:
    members: int
    channels: int = 1
    clip_delay: float = 8.0
    clip_jitter: float = 0.0  # each clip takes clip_delay plus up to this much more
    analysis_delay: float = 1.0
    realistic_limits: bool = True
    settings: dict[str, Any] = field(default_factory=dict)  # extra bot environment


@dataclass
class Sample:
    at: float
    creates: int
    others: int  # gets, lists and cancels: what Replicate's 3,000/min covers
    throttled: int


class Rig:
    """The running world of one scenario."""

    def __init__(
        self,
        config: RigConfig,
        workdir: Path,
        discord: FakeDiscord,
        openai: FakeOpenAI,
        replicate: FakeReplicate,
    ) -> None:
        self.config = config
        self.workdir = workdir
        self.discord = discord
        self.openai = openai
        self.replicate = replicate
        self.members = [discord.add_user(f"member{i}") for i in range(config.members)]
        self.channel_ids = [discord.channel_id] + [
            discord.add_channel(f"films-{i}") for i in range(1, config.channels)
        ]
        env = bot_env(discord, openai, replicate, workdir, log_level="INFO", **config.settings)
        # the bot of this checkout, whatever the environment's install points at (a shared
        # virtualenv's editable install may name another worktree)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.log_path = workdir / "bot.log"
        self.bot = BotProcess(discord, env, workdir, self.log_path)
        self.interactions: list[Interaction] = []
        self.samples: list[Sample] = []
        self.startup_seconds = 0.0
        self._sampler: asyncio.Task[None] | None = None

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    # driving -------------------------------------------------------------------------------

    async def generate(
        self, member: int, *, clips: int, channel: int = 0, **extra: Any
    ) -> Interaction:
        """``/generate`` from member ``member`` in channel number ``channel`` (``extra``:
        more options, e.g. ``narration=True``)."""
        options = {"prompt": f"film {member}: {IDEA}", "clips": clips, **extra}
        interaction = await self.discord.send_slash(
            "generate",
            options,
            user=self.members[member],
            channel_id=self.channel_ids[channel % len(self.channel_ids)],
        )
        self.interactions.append(interaction)
        return interaction

    async def burst(
        self, members: Sequence[int], *, clips: int, within: float, channels: int = 1
    ) -> None:
        """One ``/generate`` per member, evenly spread over ``within`` seconds."""
        start = self.now()
        step = within / max(1, len(members))
        for n, member in enumerate(members):
            delay = start + n * step - self.now()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.generate(member, clips=clips, channel=n % channels)

    async def wait_final(self, count: int, timeout: float) -> float:
        """Until ``count`` replies show a final state (polled, to keep the fake cheap);
        returns the seconds waited. Raises TimeoutError past ``timeout``."""
        start = self.now()
        while len(self.final_replies()) < count:
            if self.now() - start > timeout:
                raise TimeoutError(
                    f"{len(self.final_replies())}/{count} replies final after {timeout:.0f} s"
                )
            if self.bot.process is None or self.bot.process.returncode is not None:
                raise RuntimeError(f"the bot exited; see {self.log_path}")
            await asyncio.sleep(0.25)
        return self.now() - start

    async def ready(self, timeout: float) -> None:
        """Until the bot logged that it is connected (``on_ready``: discord.py has its guilds;
        an operator's bot has long been there when members come)."""
        start = self.now()
        while "connected as" not in self.log_text():
            if self.now() - start > timeout:
                raise TimeoutError(f"the bot was not ready after {timeout:.0f} s")
            await asyncio.sleep(0.1)

    # reading what happened -----------------------------------------------------------------

    def replies(self) -> list[Message]:
        out = []
        for interaction in self.interactions:
            if interaction.reply_id is not None:
                out.append(self.discord.message(interaction.reply_id))
        return out

    def final_replies(self) -> list[Message]:
        return [m for m in self.replies() if (status_of(m.payload) or "").startswith(FINAL_MARKS)]

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read the bot's database (read-only; the bot may still be writing)."""
        uri = f"file:{self.workdir / 'reelbot.sqlite3'}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
            return list(db.execute(sql, params))

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def replicate_others(self) -> int:
        counts = self.replicate.counts
        return counts["get"] + counts["list"] + counts["cancel"]

    def peak_per_minute(self) -> tuple[int, int]:
        """The most creates and other requests Replicate admitted in any 60 s window
        (sampled every 0.5 s; a run shorter than a minute counts whole)."""
        best_creates = best_others = 0
        first = 0
        for last, sample in enumerate(self.samples):
            while sample.at - self.samples[first].at > 60.0:
                first += 1
            base = self.samples[first] if first < last else None
            creates = sample.creates - (base.creates if base else 0)
            others = sample.others - (base.others if base else 0)
            best_creates, best_others = max(best_creates, creates), max(best_others, others)
        return best_creates, best_others

    def in_flight_peak(self) -> int:
        """Most predictions created and not yet ended at any moment."""
        marks: list[tuple[float, int]] = []
        for rec in self.replicate.predictions.values():
            status = rec.status  # settles the record's times
            marks.append((rec.created, 1))
            if status in ("succeeded", "failed", "canceled") and rec.completed is not None:
                marks.append((rec.completed, -1))
        peak = level = 0
        for _, delta in sorted(marks):
            level += delta
            peak = max(peak, level)
        return peak

    async def _sample(self) -> None:
        while True:
            counts = self.replicate.counts
            self.samples.append(
                Sample(self.now(), counts["create"], self.replicate_others(), counts["throttled"])
            )
            await asyncio.sleep(0.5)


def status_of(payload: dict[str, Any]) -> str | None:
    """The reply's "Status" field."""
    return field_of(payload, "Status")


def field_of(payload: dict[str, Any], name: str) -> str | None:
    for embed in payload.get("embeds") or []:
        for item in embed.get("fields") or []:
            if item.get("name") == name:
                return str(item.get("value"))
    return None


@contextlib.asynccontextmanager
async def rig(workdir: Path, config: RigConfig) -> AsyncIterator[Rig]:
    """Start the fakes and the bot in an emptied ``workdir``; stop both at the end (the bot
    with SIGTERM)."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    async with FakeDiscord() as discord, FakeOpenAI() as openai, FakeReplicate() as replicate:
        if config.realistic_limits:
            discord.use_realistic_limits()
        openai.delay = config.analysis_delay
        openai.speech.delay = SPEECH_DELAY
        openai.record_requests = False
        replicate.record_requests = False
        replicate.clip_delay = config.clip_delay
        replicate.clip_jitter = config.clip_jitter
        world = Rig(config, workdir, discord, openai, replicate)
        started = time.monotonic()
        await world.bot.start(timeout=60)
        await world.ready(timeout=60)
        world.startup_seconds = time.monotonic() - started
        world._sampler = asyncio.create_task(world._sample())
        try:
            yield world
        finally:
            world._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await world._sampler
            await world.bot.stop()
