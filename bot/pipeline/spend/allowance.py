"""What a member may still spend today, what a film is estimated to cost, and what the operator
is told at start-up about the limits (pure; no Discord).

The default daily allowance, `DAILY_VIDEO_SECONDS_LIMIT=120` seconds of video per member per UTC
day: on the default model (bytedance/seedance-1-lite at 480p, $0.018 per second: see
bot/pipeline/spend/prices.py) a film of MAX_CLIPS=4 scenes of 5 s is 20 s ($0.36), of the longest
10 s scenes 40 s ($0.72). 120 s is six ordinary films or three of the longest a day: enough to
play with, while a member who spends it all costs the operator about $2.16 a day. `0` means
unlimited, and the bot warns about it at every start.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.config import Settings
from bot.pipeline.clips.video_models import MODELS
from bot.pipeline.director.cast import PORTRAIT_MODEL, PORTRAIT_SECONDS
from bot.pipeline.director.characters import MAX_CHARACTERS
from bot.pipeline.sound.music import MUSIC_MODEL, TRACK_SECONDS
from bot.pipeline.sound.notes import sound_note
from bot.pipeline.spend.admission import OverLimit, day_start, over_seconds, resets_at
from bot.pipeline.spend.prices import (
    analysis_dollars,
    image_dollars,
    money,
    speech_dollars,
    video_dollars,
)
from storage.models import Generation, Usage
from storage.repository import Repository

DEFAULT_DAILY_VIDEO_SECONDS = 120.0
__all__ = ["OverLimit", "over_seconds", "resets_at"]  # defined with the admission rules


@dataclass(frozen=True, slots=True)
class Estimate:
    """The most a run may cost: every scene at the model's longest clip (retries not counted)."""

    seconds: float
    dollars: float | None  # None: a price in the table is unknown

    def text(self) -> str:
        return f"up to {self.seconds:g} s of video, about {money(self.dollars)}"


def estimate(settings: Settings, *, scenes: int | None, narration: bool = False) -> Estimate:
    """What a film of `scenes` scenes (None: the analysis chooses, up to MAX_CLIPS) may cost."""
    count = scenes or settings.max_clips
    model = MODELS.get(settings.video_model)
    longest = max(model.durations) if model is not None else 10
    seconds = float(count * longest) if settings.enable_video_generation else 0.0
    parts = [
        video_dollars(settings.video_model, seconds, settings.prices),
        analysis_dollars(settings.openai_model, settings.prices),
    ]
    if narration:
        parts.append(speech_dollars(settings.tts_model, seconds, settings.prices))
    dollars = None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
    return Estimate(seconds, dollars)


@dataclass(frozen=True, slots=True)
class Allowance:
    """A member's day: seconds of video used, or held for runs not finished yet (each run's worst
    case is reserved when it is admitted, this one's included), and the limit (0 = unlimited)."""

    limit: float
    used: float
    resets_at: float

    @property
    def left(self) -> float | None:
        return None if not self.limit else max(0.0, self.limit - self.used)

    def text(self, settings: Settings) -> str:
        used_dollars = money(video_dollars(settings.video_model, self.used, settings.prices))
        if self.left is None:
            return f"{self.used:g} s of video used or held today ({used_dollars}); no daily limit"
        left_dollars = money(video_dollars(settings.video_model, self.left, settings.prices))
        return (
            f"{self.left:g} of {self.limit:g} s of video left today ({left_dollars}); "
            f"{self.used:g} s used or held for films in progress ({used_dollars})"
        )


def allowance(settings: Settings, usage: Usage, now: float | None = None) -> Allowance:
    return Allowance(settings.daily_video_seconds_limit, usage.seconds, resets_at(now))


def limits_notice(settings: Settings) -> list[tuple[int, str]]:
    """What the operator is told once at start-up: each limit, a warning for an unlimited one."""
    lines: list[tuple[int, str]] = []
    seconds = settings.daily_video_seconds_limit
    if seconds:
        film = estimate(settings, scenes=None)
        lines.append(
            (
                logging.INFO,
                f"daily limit: {seconds:g} s of video per member per UTC day "
                f"(DAILY_VIDEO_SECONDS_LIMIT; about "
                f"{money(video_dollars(settings.video_model, seconds, settings.prices))} "
                f"on {settings.video_model}; a film is {film.text()})",
            )
        )
    else:
        lines.append(
            (
                logging.WARNING,
                "DAILY_VIDEO_SECONDS_LIMIT=0: members may ask for unlimited seconds of video; "
                "set a limit to bound what the bot spends",
            )
        )
    runs = settings.daily_generation_limit
    if runs:
        lines.append((logging.INFO, f"daily limit: {runs} generation(s) per member"))
    if settings.allowed_guild_ids:
        ids = ", ".join(str(i) for i in sorted(settings.allowed_guild_ids))
        lines.append((logging.INFO, f"servers allowed (ALLOWED_GUILD_IDS): {ids}"))
    else:
        lines.append(
            (
                logging.INFO,
                "every server that invites the bot may use it; set ALLOWED_GUILD_IDS to limit it",
            )
        )
    return lines


async def cost_text(settings: Settings, repo: Repository, generation: Generation) -> str:
    """What a member (or the terminal) is shown when a run starts: the film's estimate and
    what is left of the day (read after the run was admitted, before it spent anything)."""
    usage = await repo.usage_since(generation.owner_id, day_start(time.time()))
    film = estimate(settings, scenes=generation.clips_requested)
    text = f"Estimate: {film.text()}\nToday: {allowance(settings, usage).text(settings)}"
    narrated = await repo.narration(generation.id) is not None  # issue 22: the model's own sound
    if note := sound_note(settings.video_model, narrated=narrated):
        text += f"\n{note}"
    if await repo.score(generation.id) is not None:  # issue 22: the score is one more prediction
        music = money(video_dollars(MUSIC_MODEL, TRACK_SECONDS, settings.prices))
        text += f"\nMusic: one {TRACK_SECONDS:g} s score from {MUSIC_MODEL}, about {music}"
    if await repo.cast(generation.id) is not None:  # issue 24: a portrait per character
        text += "\n" + cast_text(settings)
    return text


def cast_text(settings: Settings) -> str:
    """The cast sheet's line of the estimate: up to one portrait per character."""
    dollars = money(image_dollars(PORTRAIT_MODEL, MAX_CHARACTERS, settings.prices))
    return (
        f"Cast: up to {MAX_CHARACTERS} portraits from {PORTRAIT_MODEL}, about {dollars} "
        f"(each held as {PORTRAIT_SECONDS:g} s of your allowance)"
    )
