"""What `python -m bot` says when it cannot start: every problem found before or at the login
to Discord, one line each on stderr, then exit 2 (a configuration error; compose does not
restart it forever, see docker-compose.yml)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from bot.config import Settings
from bot.pipeline.checks.placeholders import is_placeholder, placeholder_text
from bot.pipeline.checks.preflight import PreflightResult, Severity

EXIT_CONFIG = 2


@dataclass(frozen=True)
class StartProblem:
    """One line of the report: `error` stops the start, `warning` is said with it."""

    severity: Severity
    text: str


def token_problem(settings: Settings) -> StartProblem | None:
    """DISCORD_TOKEN missing or a placeholder: found without asking Discord."""
    if settings.discord_token is None:
        return StartProblem(
            Severity.ERROR,
            "DISCORD_TOKEN is not set: put the bot token in the environment or in .env "
            "(see .env.example and the README's 'Run it in your server').",
        )
    if is_placeholder(settings.discord_token.get_secret_value()):
        return StartProblem(Severity.ERROR, placeholder_text("DISCORD_TOKEN"))
    return None


def missing_key_warnings(settings: Settings) -> list[StartProblem]:
    """The provider keys `/generate` needs and that are not set: the bot would run without
    them (`/history` works), so they are warnings."""
    return [
        StartProblem(
            Severity.WARNING,
            f"{name} is not set: /generate will answer with a configuration error until it is.",
        )
        for name in settings.missing_generation_keys()
    ]


def from_check(result: PreflightResult) -> list[StartProblem]:
    return [StartProblem(p.severity, p.text) for p in result.problems]


def report(problems: Iterable[StartProblem], out: TextIO | None = None) -> int:
    """Errors first, then warnings, one line each; returns the exit code (2)."""
    out = out or sys.stderr
    ordered = sorted(problems, key=lambda p: p.severity is not Severity.ERROR)
    for problem in ordered:
        print(f"{problem.severity.value}: {' '.join(problem.text.split())}", file=out)
    print("Reelbot did not start: fix the errors above, then run it again.", file=out)
    return EXIT_CONFIG
