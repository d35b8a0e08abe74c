"""Restart torture: the real bot process (`python -m bot`) against the fakes, SIGKILLed at random
and at chosen moments across many generations, restarted on the same database each time.

    python -m tests.reliability.torture --kills 200 --seed 7

The fakes run in this process, so a kill can land at an exact moment: the fake calls the
`Killer` synchronously while it handles a request, and the SIGKILL reaches the bot before the
answer does (a prediction created whose id the bot never hears of, a DM sent whose message the
bot never records, a thread created whose id is lost...). Interactions are only sent while the
bot is up: one sent while it is down is lost, as on Discord.

At the end the bot runs until everything settled, is stopped, and the invariants are checked:
every generation final; each film delivered exactly once; each clip posted once in its thread;
no scene given a second prediction while its first was running or had succeeded; every clip
file the database points at is a complete, playable mp4; the database is intact; every reply
shows its final state; and (issue 18) the seconds of video asked of Replicate for a member never
exceed their DAILY_VIDEO_SECONDS_LIMIT (`VIDEO_LIMIT` here) by more than one clip's worth. A
generation stopped because its member reached the limit is not a violation: it is the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import logging
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.pipeline.errors import MediaError
from bot.pipeline.media import probe
from storage.backend import Row
from tests.fakes.botprocess import BotProcess, bot_env
from tests.fakes.discord_fake import FakeDiscord, Message
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate, input_seconds
from tests.pg import PgServer, running_server
from tests.reliability.dbread import DatabaseReader

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = ("alice", "bob", "mod", "carol", "dave")
DM_REFUSED = "carol"  # her films go to the thread, with a mention
MOMENTS = (
    "random",  # any time at all
    "analysis",  # while OpenAI answers the shot list
    "create",  # a prediction exists at Replicate; the answer to the create is lost
    "download",  # while a clip downloads
    "reply",  # the interaction was answered; the bot has not heard back
    "thread",  # the thread was created; its id is lost
    "clip-post",  # a clip was posted in the thread; not recorded
    "edit",  # a reply edit went through
    "film",  # the film was sent; not recorded
)
IDEAS = (
    "a lighthouse keeper adopts a seal",
    "a robot learns to bake bread",
    "two snails race across a garden",
    "a paper boat sails through a flooded city",
    "an owl runs a night-time library",
    "a cat conducts an orchestra of pigeons",
)
FINAL = ("done", "failed", "cancelled")
VIDEO_LIMIT = 150  # DAILY_VIDEO_SECONDS_LIMIT of every member: reached during a long run
OVER_LIMIT = "DAILY_VIDEO_SECONDS_LIMIT"  # in the reason of a run stopped at the limit
STATUS_ICON = {"done": "✅", "failed": "❌", "cancelled": "🛑"}
_GENERATION = re.compile(r"#(\d+)")


@dataclass
class Config:
    kills: int = 20
    seed: int = 0
    in_flight: int = 3  # unfinished generations kept going
    clip_delay: float = 0.6  # seconds a prediction renders at the fake
    patience: float = 3.0  # how long a targeted moment is waited for before killing anyway
    settle_timeout: float = 90.0
    cancel_rate: float = 0.08  # chance per cycle that a member cancels their latest generation
    fault_rate: float = 0.25  # chance per cycle of a recoverable provider fault as well
    workdir: Path | None = None
    log: Callable[[str], None] | None = None
    database_url: str | None = None  # PostgreSQL instead of SQLite (`--postgres`)
    # DAILY_VIDEO_SECONDS_LIMIT of every member. Once every member is at it, no new work starts
    # and each kill moment waits its `patience` out: a short run with a limit reached early
    # spends its time waiting (the CI test passes a larger one)
    video_limit: float = VIDEO_LIMIT


@dataclass
class Report:
    kills: int = 0
    starts: int = 0
    generations: int = 0
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    moments: collections.Counter[str] = field(default_factory=collections.Counter)
    faults: collections.Counter[str] = field(default_factory=collections.Counter)
    predictions: int = 0
    films: int = 0
    asked: dict[str, float] = field(default_factory=dict)  # seconds asked per member
    limit: float = VIDEO_LIMIT  # the members' DAILY_VIDEO_SECONDS_LIMIT
    leftovers: int = 0  # temporary files a kill left behind (never used)
    seconds: float = 0.0
    violations: list[str] = field(default_factory=list)
    log_path: Path | None = None

    def summary(self) -> str:
        lines = [
            f"{self.kills} kills, {self.starts} starts, {self.seconds:.1f} s",
            f"{self.generations} generations: {dict(self.statuses)}",
            "seconds asked of Replicate per member (limit "
            f"{self.limit:g}): {dict(sorted(self.asked.items()))}",
            f"{self.predictions} predictions, {self.films} films delivered, "
            f"{self.leftovers} temporary files left by kills",
            "kill moments: " + ", ".join(f"{k} {v}" for k, v in sorted(self.moments.items())),
            "provider faults: " + ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())),
        ]
        if self.violations:
            lines.append(f"{len(self.violations)} VIOLATION(S):")
            lines += [f"  - {v}" for v in self.violations[:50]]
        else:
            lines.append("every invariant held")
        if self.log_path:
            lines.append(f"bot log: {self.log_path}")
        return "\n".join(lines)


class Killer:
    """Holds one armed moment; the fakes report what they are doing, and the armed moment
    SIGKILLs the bot there and then (before the fake's answer leaves)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.armed: str | None = None
        self.fired = asyncio.Event()

    def arm(self, moment: str, pid: int) -> None:
        self.pid, self.armed = pid, moment
        self.fired = asyncio.Event()

    def hit(self, moment: str) -> None:
        if self.armed == moment and self.pid is not None:
            self.kill_now()

    def kill_now(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.armed, self.pid = None, None
        self.fired.set()


def _hook_fakes(
    killer: Killer, discord: FakeDiscord, openai: FakeOpenAI, rep: FakeReplicate
) -> None:
    """Make the fakes tell the killer what they are doing, synchronously."""
    new_prediction = rep._new_prediction

    def created(*args: Any) -> Any:
        record = new_prediction(*args)
        killer.hit("create")
        return record

    rep._new_prediction = created  # type: ignore[method-assign,assignment]

    clips = rep._clips
    get_clip = clips.get

    async def download(*args: Any) -> bytes:
        data = await get_clip(*args)
        killer.hit("download")
        return data

    clips.get = download  # type: ignore[method-assign,assignment]

    shot_list = openai._shot_list

    def analysed(messages: list[dict[str, Any]]) -> dict[str, Any]:
        result = shot_list(messages)
        killer.hit("analysis")
        return result

    openai._shot_list = analysed  # type: ignore[method-assign]

    touch = discord.touch
    seen = [0]

    def touched() -> None:
        calls = discord.calls
        for call in calls[seen[0] :]:
            if not call.status:
                continue
            ok = 200 <= call.status < 300
            names = [f.filename for f in call.files]
            if call.method == "POST" and call.route.endswith("/callback"):
                killer.hit("reply")
            elif call.method == "POST" and call.route.endswith("/threads") and ok:
                killer.hit("thread")
            elif call.method == "PATCH" and call.route.startswith("/channels/") and ok:
                killer.hit("edit")
            elif call.method == "POST" and call.route == "/channels/{channel_id}/messages" and ok:
                if any(n.startswith("clip-") for n in names):
                    killer.hit("clip-post")
                if any(n.startswith("reelbot-") for n in names):
                    killer.hit("film")
        seen[0] = len(calls)
        touch()

    discord.touch = touched  # type: ignore[method-assign]


class Torture:
    def __init__(
        self, config: Config, discord: FakeDiscord, openai: FakeOpenAI, rep: FakeReplicate
    ) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.discord, self.openai, self.rep = discord, openai, rep
        self.killer = Killer()
        self.report = Report(limit=config.video_limit)
        self.sent = 0
        root = config.workdir or Path(tempfile.mkdtemp(prefix="reelbot-torture-"))
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.db = DatabaseReader(self.data / "reelbot.sqlite3", config.database_url)
        self.log_path = root / "bot.log"
        self.report.log_path = self.log_path
        env = bot_env(
            discord,
            openai,
            rep,
            self.data,
            pythonpath=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            replicate_poll_seconds=0.1,
            reply_edit_seconds=0.2,
            max_clips=3,
            user_concurrency=2,
            clip_concurrency=6,
            clip_timeout_seconds=60,
            daily_video_seconds_limit=config.video_limit,
            # a restart right after a SIGKILL waits one beat (LEASE_SECONDS / 3) to see that the
            # killed run's process row is not alive (PROCESS_NAME clash check): 1 s here, not 10
            lease_seconds=3,
            **({"database_url": config.database_url} if config.database_url else {}),
        )
        self.process = BotProcess(discord, env, root, self.log_path)

    def say(self, text: str) -> None:
        if self.config.log is not None:
            self.config.log(text)

    # the run ---------------------------------------------------------------------------------

    async def run(self) -> Report:
        started = time.monotonic()
        for _ in range(self.config.kills):
            await self.process.start()
            await self.cycle()
            await self.process.kill()
            self.report.kills += 1
            if self.report.kills % 10 == 0:
                self.say(f"{self.report.kills} kills, {self.sent} generations asked for")
        await self.process.start()
        await self.settle()
        code = await self.process.stop()
        if code not in (0, -signal.SIGTERM):
            self.report.violations.append(f"the bot exited with {code} when stopped")
        self.report.starts = self.process.starts
        await self.check()
        self.report.seconds = time.monotonic() - started
        return self.report

    async def cycle(self) -> None:
        """One life of the bot: some new generations, maybe a cancel, then a kill."""
        moment = self.rng.choice(MOMENTS)
        self.killer.arm(moment, self.process.pid)
        await self.submit()
        if self.rng.random() < self.config.cancel_rate:
            await self.cancel_one()
        if self.rng.random() < self.config.fault_rate:
            self.inject_fault()
        if moment == "random":
            await asyncio.sleep(self.rng.uniform(0.0, 2.5))
            self.killer.kill_now()
        else:
            try:
                await asyncio.wait_for(self.killer.fired.wait(), self.config.patience)
            except TimeoutError:
                moment = "random (waited for " + moment + ")"
                self.killer.kill_now()
        self.report.moments[moment.split(" ")[0] if "(" not in moment else "timed out"] += 1

    async def submit(self) -> None:
        unfinished = await self.db.all(
            "SELECT COUNT(*) FROM generations WHERE status NOT IN (?, ?, ?)",
            FINAL,
        )
        running = int(unfinished[0][0]) if unfinished else 0
        for _ in range(max(0, min(2, self.config.in_flight - running))):
            self.sent += 1
            idea = f"{self.rng.choice(IDEAS)} (take {self.sent})"
            options: dict[str, Any] = {"prompt": idea}
            if self.rng.random() < 0.8:
                options["clips"] = self.rng.randint(1, 3)
            if self.rng.random() < 0.3:
                options["seed"] = self.rng.randint(0, 10_000)
            if self.rng.random() < 0.2:
                options["aspect_ratio"] = self.rng.choice(["16:9", "9:16", "1:1"])
            member = self.rng.choice(MEMBERS)
            await self.discord.send_slash("generate", options, user=member)
            await asyncio.sleep(self.rng.uniform(0.0, 0.2))

    def inject_fault(self) -> None:
        """A fault the bot must ride out without a duplicate or a failure: a create that fails
        after creating (or before), a throttled create, OpenAI failing once."""
        fault = self.rng.choice(("create-500-created", "create-503", "create-429", "openai-500"))
        if fault == "create-500-created":
            self.rep.fail_next_creates(500, created=True)
        elif fault == "create-503":
            self.rep.fail_next_creates(503)
        elif fault == "create-429":
            self.rep.fail_next_creates(429)
        else:
            self.openai.fail_next(500, path="/chat/completions")
        self.report.faults[fault] += 1

    async def cancel_one(self) -> None:
        member = self.rng.choice(MEMBERS)
        await self.discord.send_slash("cancel", {}, user=member)

    async def settle(self) -> None:
        """Let the last bot run until every generation is final and every reply shows it."""
        deadline = time.monotonic() + self.config.settle_timeout
        while time.monotonic() < deadline:
            rows = await self.db.all("SELECT id, status, message_id FROM generations")
            if all(r["status"] in FINAL for r in rows) and all(
                self._reply_final(r["message_id"]) for r in rows if r["message_id"]
            ):
                await asyncio.sleep(1.0)  # thread posts after the last edit
                return
            await asyncio.sleep(0.2)
        self.report.violations.append(
            f"not settled after {self.config.settle_timeout:g} s with the bot running"
        )

    def _reply_final(self, message_id: int) -> bool:
        message = self.discord.world.live_message(int(message_id))
        return message is not None and _status_of(message)[:1] in STATUS_ICON.values()

    # the invariants ----------------------------------------------------------------------------

    async def check(self) -> None:
        report, bad = self.report, self.report.violations
        integrity = await self.db.integrity()
        if integrity:
            bad.append(f"integrity check: {integrity}")
        generations = await self.db.all("SELECT * FROM generations ORDER BY id")
        clips = await self.db.all("SELECT * FROM clips ORDER BY generation_id, idx")
        report.generations = len(generations)
        report.statuses = collections.Counter(g["status"] for g in generations)
        report.predictions = len(self.rep.predictions)
        clips_of: dict[int, list[Row]] = collections.defaultdict(list)
        for clip in clips:
            clips_of[clip["generation_id"]].append(clip)

        films = self._films()
        report.films = sum(len(v) for v in films.values())
        for g in generations:
            gid, status = g["id"], g["status"]
            if status not in FINAL:
                bad.append(f"generation {gid} is still {status}")
            if status == "failed" and OVER_LIMIT not in (g["error"] or ""):
                bad.append(f"generation {gid} failed: {g['error']}")
            sent = films.get(gid, [])
            if status == "done" and len(sent) != 1:
                bad.append(f"generation {gid} is done and its film was sent {len(sent)} times")
            if status != "done" and len(sent) > 1:
                bad.append(f"generation {gid} ({status}) had its film sent {len(sent)} times")
            if status == "done" and g["delivered_at"] is None:
                bad.append(f"generation {gid} is done without a recorded delivery")
            if g["message_id"]:
                self._check_reply(g, clips_of[gid])
            if status == "done":
                await self._check_film(g, sent)
        replies = {int(g["message_id"]) for g in generations if g["message_id"]}
        for interaction in self.discord.interactions:
            if interaction.name != "generate" or not interaction.reply_id:
                continue
            reply = self.discord.world.live_message(interaction.reply_id)
            if reply is not None and not reply.ephemeral and reply.id not in replies:
                bad.append(f"reply {reply.id} belongs to no generation: it will never move on")
        known = {g["id"] for g in generations}
        for gid in films:
            if gid not in known:
                bad.append(f"a film was sent for generation {gid}, which is not in the database")
        self._check_predictions(generations, clips)
        self._check_spend(generations)
        await self._check_clip_files(clips)
        report.leftovers = sum(
            1 for p in (self.data / "media").rglob("*") if p.name.endswith((".part", ".tmp.mp4"))
        )
        try:
            self.discord.assert_clean()
        except AssertionError as exc:
            bad.append(str(exc))

    def _films(self) -> dict[int, list[Message]]:
        """Every message that carries a film, by generation (DMs, threads, channels)."""
        out: dict[int, list[Message]] = collections.defaultdict(list)
        for message in self.discord.world.messages.values():
            if message.deleted:
                continue
            for attachment in message.attachments:
                match = re.fullmatch(r"reelbot-(\d+)\.mp4", attachment.filename)
                if match:
                    out[int(match.group(1))].append(message)
        return out

    def _check_reply(self, g: Row, clips: list[Row]) -> None:
        bad, gid = self.report.violations, g["id"]
        reply = self.discord.world.live_message(int(g["message_id"]))
        if reply is None:
            bad.append(f"generation {gid}: its reply {g['message_id']} does not exist")
            return
        shown = _status_of(reply)
        if g["status"] in FINAL and not shown.startswith(STATUS_ICON[g["status"]]):
            bad.append(f"generation {gid} is {g['status']} but its reply shows {shown!r}")
        if g["status"] != "done":
            return
        thread_id = self.discord.world.thread_by_message.get(int(g["message_id"]))
        if thread_id is None or g["thread_id"] != thread_id:
            bad.append(f"generation {gid}: thread {thread_id} stored as {g['thread_id']}")
            return
        posts = self.discord.world.messages_in(thread_id)
        shot_lists = [m for m in posts if m.content.startswith("**") and not m.attachments]
        if len(shot_lists) != 1:
            bad.append(f"generation {gid}: the shot list was posted {len(shot_lists)} times")
        total = len(clips)
        for index in range(total):
            label = f"Clip {index + 1}/{total}"
            posted = [m for m in posts if m.content == label]
            if len(posted) != 1:
                bad.append(f"generation {gid}: {label} was posted {len(posted)} times")

    async def _check_film(self, g: Row, sent: list[Message]) -> None:
        bad, gid = self.report.violations, g["id"]
        if not g["video_path"] or not Path(g["video_path"]).is_file():
            bad.append(f"generation {gid}: its film {g['video_path']} is missing")
            return
        for message in sent[:1]:
            attachment = next(a for a in message.attachments if a.filename.startswith("reelbot-"))
            copy = self.data / f"sent-{gid}.mp4"
            copy.write_bytes(attachment.data)
            try:
                await probe(copy)
            except MediaError as exc:
                bad.append(f"generation {gid}: the film sent is not playable: {exc.reason}")
            finally:
                copy.unlink(missing_ok=True)

    def _check_predictions(self, generations: list[Row], clips: list[Row]) -> None:
        """No scene got a second prediction while its first was running or had succeeded."""
        bad = self.report.violations
        by_prompt: dict[str, list[Any]] = collections.defaultdict(list)
        for record in self.rep.predictions.values():
            record.status  # noqa: B018 — brings the record's lifecycle up to date
            by_prompt[record.prompt].append(record)
        for prompt, records in by_prompt.items():
            records.sort(key=lambda r: r.created)
            for first, second in itertools.pairwise(records):
                ended = first.final_status in ("failed", "canceled") and (
                    first.completed is not None and first.completed <= second.created
                )
                if not ended:
                    bad.append(
                        f"scene {prompt[:60]!r}: prediction {second.id} created while "
                        f"{first.id} was {first.final_status or 'running'}"
                    )
        known = self.rep.predictions
        for clip in clips:
            pid = clip["prediction_id"]
            if pid is None:
                continue
            found = known.get(pid)
            if found is None:
                bad.append(f"clip {clip['id']} points at unknown prediction {pid}")
            elif not found.prompt.startswith(clip["prompt"]):
                bad.append(f"clip {clip['id']} adopted a prediction of another scene ({pid})")
        del generations

    def _check_spend(self, generations: list[Row]) -> None:
        """The seconds asked of Replicate (every create the fake saw, by its input) per member
        stay within the limit plus one clip's worth."""
        members = {u.id: name for name, u in self.discord.users.items()}
        owner_of = {str(g["prompt"]): int(g["owner_id"]) for g in generations}
        asked: dict[str, float] = collections.defaultdict(float)
        longest = 0.0
        for record in self.rep.predictions.values():
            owner = next((o for p, o in owner_of.items() if p in record.prompt), None)
            if owner is None:
                self.report.violations.append(f"prediction {record.id} of no generation")
                continue
            seconds = input_seconds(record.input) or 0.0
            longest = max(longest, seconds)
            asked[members.get(owner, str(owner))] += seconds
        self.report.asked = dict(asked)
        for member, seconds in asked.items():
            if seconds > self.report.limit + longest:
                self.report.violations.append(
                    f"{member} was asked {seconds:g} s of video of a {self.report.limit:g} s limit"
                )

    async def _check_clip_files(self, clips: list[Row]) -> None:
        bad = self.report.violations
        for clip in clips:
            path = clip["output_path"]
            if clip["status"] == "succeeded" and not path:
                bad.append(f"clip {clip['id']} succeeded without a file")
            if not path:
                continue
            if ".part" in path or ".tmp" in path:
                bad.append(f"clip {clip['id']} uses a temporary file {path}")
            record = self.rep.predictions.get(clip["prediction_id"] or "")
            try:
                info = await probe(Path(path))
            except MediaError as exc:
                bad.append(f"clip {clip['id']}: {path} is not a complete video: {exc.reason}")
                continue
            if record is not None and abs(info.duration - record.seconds) > 0.3:
                bad.append(
                    f"clip {clip['id']}: {path} lasts {info.duration:.2f}s of {record.seconds}s"
                )


def _status_of(message: Message) -> str:
    for embed in message.embeds:
        for f in embed.get("fields", []):
            if f["name"] == "Status":
                return str(f["value"])
    return ""


async def torture(config: Config) -> Report:
    """Run the torture with `config`; returns its report (violations empty when all held)."""
    async with FakeDiscord() as discord, FakeOpenAI() as openai, FakeReplicate() as rep:
        rep.throttle_retry_after = 0
        rep.clip_delay = config.clip_delay
        rep.start_delay = 0.05
        for name in MEMBERS:
            if name not in discord.users:
                discord.add_user(name)
        discord.refuse_dms(DM_REFUSED)
        run = Torture(config, discord, openai, rep)
        _hook_fakes(run.killer, discord, openai, rep)
        try:
            return await run.run()
        finally:
            if run.process.process is not None:
                await run.process.kill()
            await run.db.close()


async def torture_on_postgres(config: Config, server: PgServer) -> Report:
    """`torture` with the bot on a fresh database of the test PostgreSQL server."""
    config.database_url = await server.create_database("torture")
    return await torture(config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.reliability.torture", description=__doc__
    )
    parser.add_argument("--kills", type=int, default=200, help="SIGKILLs (200)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--in-flight", type=int, default=3, help="unfinished generations kept (3)")
    parser.add_argument("--workdir", type=Path, help="keep the database, media and log here")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="the bot on PostgreSQL: a server started as the tests start it (tests/pg.py)",
    )
    args = parser.parse_args(argv)
    # a request cut by a SIGKILL is expected here: the fakes' servers need not report it
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"restart torture: {args.kills} kills, seed {seed}, {backend}", flush=True)
    config = Config(
        kills=args.kills,
        seed=seed,
        in_flight=args.in_flight,
        workdir=args.workdir,
        settle_timeout=max(90.0, args.kills * 0.5),
        log=lambda text: print(text, flush=True),
    )
    if args.postgres:
        with running_server() as server:
            report = asyncio.run(torture_on_postgres(config, server))
    else:
        report = asyncio.run(torture(config))
    print(report.summary(), flush=True)
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
