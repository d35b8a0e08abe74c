"""The pipeline's errors: each carries a reason a member can read, made public-safe once."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.logs import redact
from bot.pipeline.text import one_line, shorten

MAX_REASON_CHARS = 500
UNEXPECTED = "something went wrong on our side; it has been logged"  # the reason of a bug
# An absolute path on this server (as ffmpeg and OSError print it, "file:" URLs included): its
# folders are cut, its file name kept. A URL's path is not one (it follows a host name).
_PATH = re.compile(r"(?<![\w.~/:-])(?:file:)?/(?:[^\s/'\"<>|]+/)+(?P<name>[^\s/'\"<>|]*)")


def public_reason(text: str) -> str:
    """`text` fit to show a member (the reason of a failure, which quotes providers and
    ffmpeg): one line without control characters, server paths cut to the file name, echoed
    key fragments redacted, at most MAX_REASON_CHARS. Applying it twice changes nothing."""
    text = _PATH.sub(lambda m: m["name"] or "…", one_line(text))
    return shorten(redact(text), MAX_REASON_CHARS)


def not_configured(problems: Sequence[str]) -> str:
    """The one wording of "a setting keeps Reelbot from making films" (for /generate, Retry,
    Reroll and a generation stopped on its way): each problem one sentence."""
    said = "; ".join(p.rstrip(".") for p in problems)
    return (
        f"Reelbot is not configured to make films: {said}. "
        "The operator has to fix it in the bot's environment or .env."
    )


class GenerationError(Exception):
    """A generation cannot go on; ``reason`` is shown to the member (made public-safe here,
    whoever raises it)."""

    def __init__(self, reason: str) -> None:
        reason = public_reason(reason)
        super().__init__(reason)
        self.reason = reason


class ConfigurationError(GenerationError):
    """A setting the generation needs is missing or wrong."""


class ModerationRefused(GenerationError):
    """The prompt was flagged by the moderation endpoint; nothing was spent."""


class AnalysisError(GenerationError):
    """The analysis model did not produce a usable shot list."""


class ClipError(GenerationError):
    """A clip could not be rendered, after its retries."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"clip {index + 1}: {reason}")
        self.index = index
        self.detail = public_reason(reason)


class MediaError(GenerationError):
    """Downloading, stitching or transcoding failed."""


class MediaUnavailable(MediaError):
    """A download failed in a way that may pass when tried again (a 5xx, a cut, a timeout)."""


class DeliveryError(GenerationError):
    """The finished film could not be delivered."""


class NarrationError(GenerationError):
    """The voice-over could not be spoken or mixed in (fails the generation only when the
    operator made narration required; otherwise the film goes out without it)."""


class LeaseLost(Exception):
    """This process no longer holds the generation's lease (it stalled past the expiry and
    another process took the work over, epoch and all): it stops working on it at once and
    spends nothing more on it. Not a failure of the generation: the new holder goes on."""

    def __init__(self, generation_id: int) -> None:
        super().__init__(f"generation {generation_id}: its lease was taken over")
        self.generation_id = generation_id
