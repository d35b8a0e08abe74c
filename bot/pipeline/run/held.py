"""Unfinished generations that a configuration error found at start-up stops.

A bad key or a shut-down model (the start-up check, `bot.pipeline.checks.preflight`) would make a
resumed generation fail at its next request with the provider's own message, after spending
what the working provider charges on the way (a shot list is paid for, then every create is
refused). Instead such a generation ends at once, failed, with the configuration error as its
reason: the member reads why, nothing more is spent, and Retry (refused while the error lasts)
picks it up where it stopped once the operator has fixed the setting and restarted — its shot
list, its finished clips and its predictions still running at Replicate are kept.

Only the generations that still need the provider in error are stopped: one with its shot
list needs no OpenAI; one stitching or delivering needs neither provider.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.pipeline.checks.preflight import MODERATION, Problem, Severity
from bot.pipeline.errors import not_configured, public_reason
from storage.models import Generation, GenerationStatus

_NEEDS_REPLICATE = (GenerationStatus.QUEUED, GenerationStatus.ANALYSING, GenerationStatus.RENDERING)


def missing_keys(names: Sequence[str]) -> list[Problem]:
    """The keys the settings lack, as configuration errors of the start-up check."""
    return [Problem(Severity.ERROR, name, f"{name} is not set") for name in names]


def stopping(problems: Sequence[Problem], generation: Generation, *, video: bool) -> list[Problem]:
    """Which of the configuration `problems` keep `generation` from going on."""
    needs_openai = not generation.shot_list
    needs_replicate = video and generation.status in _NEEDS_REPLICATE
    return [
        p
        for p in problems
        if p.severity is Severity.ERROR
        and not p.narration_only  # narration is dropped (or fails) at its turn, nothing paid
        and (needs_openai if _openai(p) else needs_replicate)
    ]


def _openai(problem: Problem) -> bool:
    return problem.setting.startswith("OPENAI_") or problem.setting == MODERATION


def reason(problems: Sequence[Problem]) -> str:
    """What the member reads on the reply of a generation `problems` stopped."""
    return public_reason(
        f"{not_configured([p.text for p in problems])} Nothing more was spent on it; press "
        "Retry once the operator has fixed the setting."
    )
