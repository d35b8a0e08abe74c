"""Which unfinished generations a configuration error found at start-up stops
(bot.pipeline.run.held):
only those that still need the provider in error."""

from __future__ import annotations

import pytest

from bot.pipeline.checks.preflight import Problem, Severity
from bot.pipeline.run import held
from storage.models import Generation, GenerationStatus

KEY = Problem(Severity.ERROR, "OPENAI_API_KEY", "OpenAI refused OPENAI_API_KEY (401).")
MODEL = Problem(Severity.ERROR, "VIDEO_MODEL", "Replicate has no model VIDEO_MODEL=x/y.")
TOKEN = held.missing_keys(["REPLICATE_API_TOKEN"])[0]
DEPRECATED = Problem(Severity.WARNING, "OPENAI_MODEL", "OPENAI_MODEL is deprecated.")


def generation(status: GenerationStatus, shot_list: str | None) -> Generation:
    return Generation(
        id=1, owner_id=1, source="discord", prompt="p", clips_requested=None, aspect_ratio="16:9",
        seed=None, status=status, error=None, title=None, shot_list=shot_list, guild_id=None,
        channel_id=None, message_id=None, thread_id=None, video_path=None, delivered_at=None,
        delivery_ref=None, predict_seconds=0.0, created_at=0.0, updated_at=0.0, finished_at=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "shot_list", "video", "stopped"),
    [
        (GenerationStatus.QUEUED, None, True, [KEY, MODEL, TOKEN]),
        (GenerationStatus.ANALYSING, None, False, [KEY]),  # analysis only: no Replicate
        (GenerationStatus.RENDERING, "{}", True, [MODEL, TOKEN]),  # no OpenAI needed any more
        (GenerationStatus.STITCHING, "{}", True, []),  # neither provider needed
        (GenerationStatus.DELIVERING, "{}", True, []),
    ],
)
def test_only_what_still_needs_the_provider_in_error_is_stopped(
    status: GenerationStatus, shot_list: str | None, video: bool, stopped: list[Problem]
) -> None:
    problems = [KEY, MODEL, TOKEN, DEPRECATED]  # a warning never stops anything
    assert held.stopping(problems, generation(status, shot_list), video=video) == stopped


def test_the_reason_names_the_errors_and_what_the_member_can_do() -> None:
    said = held.reason([KEY, TOKEN])
    assert said == (
        "Reelbot is not configured to make films: OpenAI refused OPENAI_API_KEY (401); "
        "REPLICATE_API_TOKEN is not set. The operator has to fix it in the bot's environment "
        "or .env. Nothing more was spent on it; press Retry once the operator has fixed the "
        "setting."
    )
