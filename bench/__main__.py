"""``python -m bench``: the real bot (``python -m bot``) under load against the loopback fakes.

Prints one table (figure / measured / target / pass) and writes every raw sample as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import scenarios
from bench.captions import CaptionOptions, captions
from bench.figures import Figure, describe, markdown, verdict
from bench.history import history
from bench.processes import ProcessOptions, processes
from bench.sustained import SustainedOptions, sustained

SCENARIOS = ("burst", "single", "channel", "load", "history")
# run only when named: they start a PostgreSQL server (tests/pg.py); `sustained` takes minutes;
# `captions` re-encodes films for a minute or two
ON_REQUEST = ("processes", "sustained", "captions")
RESULTS = Path(__file__).parent / "results"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, from {', '.join(SCENARIOS + ON_REQUEST)} (default: "
        f"{', '.join(SCENARIOS)})",
    )
    parser.add_argument("--members", type=int, default=100, help="burst: /generate in 1 s (100)")
    parser.add_argument(
        "--generations", type=int, default=50, help="channel: generations in one channel (50)"
    )
    parser.add_argument(
        "--load-generations", type=int, default=200, help="load: generations in flight (200)"
    )
    parser.add_argument("--per-channel", type=int, default=10, help="load: per channel (10)")
    parser.add_argument("--clips", type=int, default=4, help="clips per generation (4)")
    parser.add_argument(
        "--clip-delay", type=float, default=20.0, help="s per clip at Replicate: burst, single (20)"
    )
    parser.add_argument(
        "--load-clip-delay", type=float, default=30.0, help="s per clip: channel, load (30)"
    )
    parser.add_argument(
        "--clip-jitter",
        type=float,
        default=0.25,
        help="each clip takes up to this fraction of its delay longer, at random (0.25)",
    )
    parser.add_argument(
        "--analysis-delay", type=float, default=1.0, help="s OpenAI takes per shot list (1)"
    )
    parser.add_argument(
        "--history-rows", type=int, default=1_000_000, help="history: generations (1,000,000)"
    )
    parser.add_argument(
        "--process-generations",
        type=int,
        default=40,
        help="processes: /generate in a burst, half in each shard's guild (40)",
    )
    parser.add_argument(
        "--process-clip-delay", type=float, default=5.0, help="processes: s per clip (5)"
    )
    parser.add_argument(
        "--sustained-rate",
        type=float,
        default=160.0,
        help="sustained: /generate offered a minute, each of --clips clips (160)",
    )
    parser.add_argument(
        "--sustained-minutes", type=float, default=3.0, help="sustained: minutes offered (3)"
    )
    parser.add_argument("--sustained-members", type=int, default=50, help="sustained: members (50)")
    parser.add_argument(
        "--sustained-channels", type=int, default=20, help="sustained: channels (20)"
    )
    parser.add_argument(
        "--sustained-clip-delay", type=float, default=20.0, help="sustained: s per clip (20)"
    )
    parser.add_argument(
        "--sustained-databases",
        default="sqlite,postgres",
        help="sustained: one run per database, in order (sqlite,postgres)",
    )
    parser.add_argument(
        "--create-cap",
        type=int,
        default=600,
        help="sustained: the fake Replicate's creates per 60 s (Replicate's 600)",
    )
    parser.add_argument(
        "--captions-seconds", type=float, default=60.0, help="captions: the film's length (60)"
    )
    parser.add_argument(
        "--captions-shapes", default="16:9,9:16,1:1", help="captions: shapes (16:9,9:16,1:1)"
    )
    parser.add_argument(
        "--ffmpeg-concurrency",
        type=int,
        default=2,
        help="captions: FFMPEG_CONCURRENCY for the queueing check (2)",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="per scenario wait (900 s)")
    parser.add_argument("--out", type=Path, help="JSON file (default bench/results/<time>.json)")
    parser.add_argument("--markdown", type=Path, help="also write the table as markdown here")
    parser.add_argument("--workdir", type=Path, help="keep data and bot logs here")
    return parser


def _table(figures: Sequence[Figure]) -> Table:
    table = Table(title="Reelbot benchmark")
    for name in ("scenario", "figure", "measured", "target", "pass"):
        table.add_column(name, overflow="fold")
    for fig in figures:
        style = {"pass": "green", "FAIL": "bold red"}.get(verdict(fig), "")
        label = fig.label + (f"\n[dim]{fig.note}[/dim]" if fig.note else "")
        table.add_row(fig.scenario, label, describe(fig), fig.target, verdict(fig), style=style)
    return table


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    opts = scenarios.Options(
        workdir=workdir,
        members=args.members,
        generations=args.generations,
        load_generations=args.load_generations,
        clips=args.clips,
        clip_delay=args.clip_delay,
        load_clip_delay=args.load_clip_delay,
        clip_jitter=args.clip_jitter,
        analysis_delay=args.analysis_delay,
        per_channel=args.per_channel,
        timeout=args.timeout,
    )
    runners: dict[str, Callable[[], Awaitable[scenarios.Outcome]]] = {
        "burst": lambda: scenarios.burst(opts),
        "single": lambda: scenarios.single(opts),
        "channel": lambda: scenarios.channel(opts),
        "load": lambda: scenarios.load(opts),
        "history": lambda: history(opts, args.history_rows),
        "processes": lambda: _processes(args, workdir),
        "sustained": lambda: _sustained(args, workdir),
        "captions": lambda: _captions(args, workdir),
    }
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in runners]
    if unknown:
        raise SystemExit(
            f"unknown scenario(s): {', '.join(unknown)}; choose from {SCENARIOS + ON_REQUEST}"
        )
    figures: list[Figure] = []
    raw: dict[str, Any] = {}
    for name in wanted:
        started = time.perf_counter()
        print(f"… {name}", file=sys.stderr, flush=True)
        outcome = await runners[name]()
        figures += outcome.figures
        raw[name] = {**outcome.raw, "scenario_seconds": time.perf_counter() - started}
        print(f"  {name} took {raw[name]['scenario_seconds']:.0f} s", file=sys.stderr, flush=True)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "figures": [f.as_json() for f in figures],
        "raw": raw,
        "_figures": figures,
    }


async def _processes(args: argparse.Namespace, workdir: Path) -> scenarios.Outcome:
    figures, raw = await processes(
        ProcessOptions(
            workdir=workdir / "processes",
            generations=args.process_generations,
            clips=args.clips,
            clip_delay=args.process_clip_delay,
            clip_jitter=args.clip_jitter,
            analysis_delay=args.analysis_delay,
            per_channel=args.per_channel,
            timeout=args.timeout,
        )
    )
    return scenarios.Outcome(figures, raw)


async def _sustained(args: argparse.Namespace, workdir: Path) -> scenarios.Outcome:
    figures, raw = await sustained(
        SustainedOptions(
            workdir=workdir / "sustained",
            rate=args.sustained_rate,
            minutes=args.sustained_minutes,
            members=args.sustained_members,
            channels=args.sustained_channels,
            clips=args.clips,
            clip_delay=args.sustained_clip_delay,
            clip_jitter=args.clip_jitter,
            analysis_delay=args.analysis_delay,
            create_cap=args.create_cap,
            databases=[d.strip() for d in args.sustained_databases.split(",") if d.strip()],
            timeout=args.timeout,
        )
    )
    return scenarios.Outcome(figures, raw)


async def _captions(args: argparse.Namespace, workdir: Path) -> scenarios.Outcome:
    figures, raw = await captions(
        CaptionOptions(
            workdir=workdir,
            seconds=args.captions_seconds,
            shapes=tuple(s.strip() for s in args.captions_shapes.split(",") if s.strip()),
            concurrency=args.ffmpeg_concurrency,
        )
    )
    return scenarios.Outcome(figures, dict(raw))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # a scenario stops the bot with requests in flight: the fakes' servers log each cut one
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="reelbot-bench-"))
    try:
        # asyncio's own loop, not uvloop (which the bot runs on): every figure is read on this
        # loop's clock, and uvloop's is in whole milliseconds, cached once per iteration
        result = asyncio.run(run(args, workdir.resolve()))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    figures: list[Figure] = result.pop("_figures")
    Console().print(_table(figures))
    out = args.out or RESULTS / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    if args.markdown is not None:
        args.markdown.write_text(markdown(figures) + "\n", encoding="utf-8")
    print(f"results: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
