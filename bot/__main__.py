"""`python -m bot [run | generate PROMPT | reroll GENERATION SCENE | extend GENERATION |
history | usage | check | migrate-sqlite-to-postgres]`; exit 0 ok, 1 failed, 2 bad config or
args."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot import logs
from bot.config import Settings, SettingsError, load_settings
from bot.pipeline.clips.video_models import ASPECT_RATIOS
from storage.db import DatabaseUnavailable

EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Discord bot (the default)")
    gen = sub.add_parser("generate", help="make one film from the terminal")
    gen.add_argument("prompt", help="the idea, one sentence (at most 1000 characters)")
    gen.add_argument("--clips", type=int, help="exactly this many scenes (1..MAX_CLIPS)")
    gen.add_argument("--aspect-ratio", choices=ASPECT_RATIOS, default="16:9")
    gen.add_argument("--seed", type=int, help="seed for reproducible clips")
    gen.add_argument(
        "--out", help="where to write the film (film.mp4; film-2.mp4, ... if that is there)"
    )
    gen.add_argument(
        "--image", type=Path, help="a PNG or JPEG to start from: the first frame of scene 1"
    )
    gen.add_argument(
        "--narration",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a spoken voice-over written with the shot list (default: NARRATION_DEFAULT)",
    )
    gen.add_argument("--voice", help="the narrator's voice, e.g. coral, marin, cedar (TTS_VOICE)")
    gen.add_argument(
        "--continuity",
        choices=("parallel", "chained"),
        default=None,
        help="parallel (default): scenes at once; chained: each scene starts from the last "
        "frame of the one before, so they render one after another",
    )
    gen.add_argument(
        "--captions",
        choices=("off", "track", "burned"),
        default=None,
        help="the narration's lines as words: track (a subtitle stream) or burned (drawn in); "
        "default: CAPTIONS_DEFAULT",
    )
    gen.add_argument(
        "--music",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a score written for the film, mixed under the voice (default: MUSIC_DEFAULT)",
    )
    gen.add_argument(
        "--cast",
        choices=("auto", "off"),
        default=None,
        help="auto: a portrait of each named character, passed to every scene that shows them "
        "(when VIDEO_MODEL takes reference images); default: CAST_DEFAULT",
    )
    gen.add_argument(
        "--cast-image", type=Path, help="your own PNG or JPEG of one character, for the cast"
    )
    gen.add_argument("--cast-name", help="the character --cast-image shows (default: the first)")
    again = sub.add_parser("reroll", help="render one scene of a film again: its next version")
    again.add_argument("generation", type=int, help="the generation's number (#N)")
    again.add_argument("scene", type=int, help="the scene to render again, from 1")
    again.add_argument("--note", help='what to change, e.g. "closer on the seal\'s face"')
    again.add_argument("--out", help="where to write the new cut (film-<N>-v<version>.mp4)")
    longer = sub.add_parser("extend", help="continue a finished film by N scenes: its next version")
    longer.add_argument("generation", type=int, help="the generation's number (#N)")
    longer.add_argument("--scenes", type=int, default=2, help="how many scenes to add (2)")
    longer.add_argument("--note", help='where the story goes, e.g. "the seal swims home"')
    longer.add_argument("--out", help="where to write the new cut (film-<N>-v<version>.mp4)")
    hist = sub.add_parser("history", help="print recent generations")
    hist.add_argument("--user", type=int, help="only this member's (Discord user id; 0 = terminal)")
    hist.add_argument("--limit", type=int, default=20, help="how many (20)")
    hist.add_argument("--json", action="store_true", help="one JSON object per line")
    sub.add_parser("check", help="check settings, keys, models and database (exit 0 or 2)")
    spent = sub.add_parser("usage", help="spend per member, server and day (docs/costs.md)")
    spent.add_argument("--days", type=int, default=7, help="this many UTC days, today included (7)")
    spent.add_argument("--json", action="store_true", help="one JSON object")
    copy = sub.add_parser(
        "migrate-sqlite-to-postgres",
        help="copy the SQLite history (DATABASE_PATH) into an empty PostgreSQL (DATABASE_URL)",
    )
    copy.add_argument("--sqlite", type=Path, help="the SQLite file (DATABASE_PATH)")
    copy.add_argument("--url", help="the PostgreSQL database, postgresql://… (DATABASE_URL)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        if args.command == "check":  # one line per problem, nothing around them
            lines = [line.strip() for line in str(exc).splitlines() if line.startswith("  ")]
            print("\n".join(lines) or exc, file=sys.stderr)
        else:
            print(exc, file=sys.stderr)
        return EXIT_CONFIG
    # the terminal commands show their own progress and results: the log says only what
    # goes wrong (not, at every `history`, which database it opened)
    logs.configure(
        settings.log_level if args.command in (None, "run") else "WARNING", settings.secrets()
    )
    try:
        return _run(_dispatch(args, settings))
    except DatabaseUnavailable as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG


def _run(main: Coroutine[Any, Any, int]) -> int:
    """`main` to its end; Ctrl-C: what was left is said where it was left, no traceback."""
    try:
        return _on_a_loop(main)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _on_a_loop(main: Coroutine[Any, Any, int]) -> int:
    """`main` on uvloop where it is installed (Linux, macOS: see pyproject.toml), else on
    asyncio's own loop. uvloop answers a burst of commands with less CPU per event."""
    try:
        import uvloop
    except ImportError:
        pass
    else:
        return uvloop.run(main)  # its loop watches child processes itself
    if sys.version_info < (3, 12) and hasattr(os, "pidfd_open"):
        # ffmpeg children are watched through a pidfd on the loop, not a thread each (the
        # default from 3.12 on)
        asyncio.set_child_watcher(asyncio.PidfdChildWatcher())
    return asyncio.run(main)


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "generate":
        from bot.cli.generate import generate

        return await generate(settings, args)
    if args.command == "extend":  # issue 24
        from bot.cli.extend import extend

        return await extend(settings, args)
    if args.command == "reroll":
        from bot.cli.reroll import reroll

        return await reroll(settings, args)
    if args.command == "history":
        from bot.cli.history import history

        return await history(settings, user=args.user, limit=args.limit, as_json=args.json)
    if args.command == "check":
        from bot.cli.check import check

        return await check(settings)
    if args.command == "usage":
        from bot.cli.usage import usage

        return await usage(settings, days=args.days, as_json=args.json)
    if args.command == "migrate-sqlite-to-postgres":
        from bot.cli.migrate import migrate_sqlite_to_postgres

        return await migrate_sqlite_to_postgres(settings, sqlite=args.sqlite, url=args.url)
    from bot.discord_bot import run_bot

    return await run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
