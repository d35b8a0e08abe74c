"""Admission: one check for every path that spends — a /generate, a terminal generate, a
Retry, a resume at start-up.

Two rules, read from the settings at each check (so a change takes effect at once):
- the guild allow-list (`ALLOWED_GUILD_IDS`): Discord work from any other guild (or from a DM)
  is refused, and unfinished work from a guild no longer allowed is ended at start-up;
- the member's daily budget (per UTC day): `DAILY_GENERATION_LIMIT` runs (each /generate,
  terminal generate and Retry is one) and `DAILY_VIDEO_SECONDS_LIMIT` seconds of video asked of
  Replicate (each prediction create counts its clip's seconds: retried predictions too).

Why seconds of video: Replicate bills its official video models by their output, most of them
per second of video (Veo, Kling, Seedance, Ray...; a few per video), not by GPU time — see
https://replicate.com/pricing, as summarised in docs.flexprice.io/cookbooks/pricing-teardowns/
replicate-pricing ("public models with output-based rates") and the per-model table of
github.com/hershalb/music-video-arena src/pricing.ts ("per second of output video, per whole
video...", checked against replicate.com pricing). So the seconds asked for are what the
operator pays for, failed attempts included (we cannot know which ones Replicate waives).

A run is admitted while the member has budget left; the usage is read and the run stored in
one transaction, so a burst cannot slip past. Runs the bot itself gives back are refunded
only when they spent nothing (cancelled in the queue, their reply never taken by Discord):
the spend is recorded at each create and never reset.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from bot.config import Settings
from bot.pipeline.analysis.shotlist import MAX_SCENE_SECONDS
from bot.pipeline.clips.video_models import MODELS
from bot.pipeline.errors import GenerationError
from bot.pipeline.sound.music import MUSIC_MODEL, TRACK_SECONDS
from bot.pipeline.spend.prices import video_dollars
from storage.models import Usage

DAY = 86400.0
NOT_ENABLED = "Reelbot is not enabled in this server."
NO_LONGER_ENABLED = (
    "Reelbot is no longer enabled in this server; nothing more was spent on this generation."
)


class Refused(GenerationError):
    """The member may not start this run now; ``reason`` says why (shown privately)."""


def resets_at(now: float | None = None) -> float:
    """The next midnight UTC, when today's allowance starts again."""
    return day_start(time.time() if now is None else now) + DAY


class OverLimit(Refused):
    """The member has used today's allowance; says what is left (nothing, or less than the
    run needs) and when it starts again (`resets_at`, a timestamp)."""

    def __init__(self, reason: str, *, limit: float, used: float, resets: float) -> None:
        super().__init__(reason)
        self.limit = limit
        self.used = used
        self.resets_at = resets

    @property
    def left(self) -> float:
        return max(0.0, self.limit - self.used)


def over_seconds(limit: float, usage: Usage, now: float | None = None) -> OverLimit:
    """The refusal of a member who has used `usage.seconds` of a `limit` of seconds a day."""
    resets = resets_at(now)
    left = max(0.0, limit - usage.seconds)
    at = datetime.fromtimestamp(resets, UTC).strftime("%H:%M UTC")
    hours = max(1, math.ceil((resets - (time.time() if now is None else now)) / 3600))
    return OverLimit(
        f"You have used {usage.seconds:g} of your {limit:g} seconds of video for today "
        f"({left:g} s left); your allowance starts again at {at} (in about {hours} h).",
        limit=limit,
        used=usage.seconds,
        resets=resets,
    )


def day_start(now: float) -> float:
    """Midnight UTC of the day `now` falls in, as a timestamp."""
    moment = datetime.fromtimestamp(now, UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class Admission:
    """Applies the settings' access and budget rules; holds no state of its own."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def allows_guild(self, source: str, guild_id: int | None) -> bool:
        """Discord work is allowed from the listed guilds only (all when the list is empty);
        the terminal is the operator's and has no guild."""
        allowed = self._settings.allowed_guild_ids
        return source != "discord" or not allowed or guild_id in allowed

    def check_guild(self, source: str, guild_id: int | None) -> None:
        if not self.allows_guild(source, guild_id):
            raise Refused(NOT_ENABLED)

    def since(self) -> float:
        """Where today's usage starts counting."""
        return day_start(time.time())

    def check_usage(self, usage: Usage) -> None:
        """Raise `Refused` when the member has no budget left today for another run."""
        runs = self._settings.daily_generation_limit
        seconds = self._settings.daily_video_seconds_limit
        if runs and usage.runs >= runs:
            raise Refused(
                f"You have used your {runs} generations for today; more in about {_reset()} h."
            )
        if seconds and usage.seconds >= seconds:
            raise over_seconds(seconds, usage)

    def worst_case(self, scenes: int | None, *, music: bool = False) -> float:
        """The seconds of video a run of `scenes` scenes (None: as many as the analysis may
        choose, `MAX_CLIPS`) may ask of Replicate: each scene at the longest a shot may be, as
        the model bills it. Reserved against the member who starts the run while it is
        pending (`storage` settles it to what was asked when it ends). A retried create is not
        reserved: it is refused once the member's usage reached the limit, so a member passes
        the limit by at most one clip's worth. With `music`, the score too (`music_worth`)."""
        count = scenes if scenes is not None else self._settings.max_clips
        video = float(count * self.clip_seconds(MAX_SCENE_SECONDS))
        return video + (self.music_worth() if music else 0.0)

    def music_worth(self) -> float:
        """What a score counts against a member's day, in its unit, seconds of video: the
        track's price over one second of `VIDEO_MODEL`'s, rounded up (one 32.8 s track of
        google/lyria-2 at $0.002/s against bytedance/seedance-1-lite's $0.018/s: 4 s), so the
        day's seconds stay what the operator pays for. The track's own seconds when either price
        is unknown (it errs high). Reserved with the run; charged when the score is created."""
        prices = self._settings.prices
        track = video_dollars(MUSIC_MODEL, TRACK_SECONDS, prices)
        second = video_dollars(self._settings.video_model, 1.0, prices)
        if track is None or not second:
            return TRACK_SECONDS
        return float(math.ceil(track / second - 1e-9))

    def max_clips(self) -> int:
        """`MAX_CLIPS`: the most scenes a film may have (an Extend included), read at each check."""
        return self._settings.max_clips

    def video_limit(self) -> float:
        """`DAILY_VIDEO_SECONDS_LIMIT` (0: none), read at each create."""
        return float(self._settings.daily_video_seconds_limit)

    def clip_seconds(self, duration: int) -> int:
        """The seconds a scene of `duration` is asked for (what the model renders and bills)."""
        model = MODELS.get(self._settings.video_model)
        return model.nearest_duration(duration) if model is not None else duration


def _reset() -> int:
    """Whole hours (rounded up) until midnight UTC."""
    now = time.time()
    return int(day_start(now) + DAY - now) // 3600 + 1
