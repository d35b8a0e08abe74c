"""The pipeline's errors: each carries a reason a member can read."""

from __future__ import annotations


class GenerationError(Exception):
    """A generation cannot go on; ``reason`` is shown to the member as it is."""

    def __init__(self, reason: str) -> None:
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
        self.detail = reason


class MediaError(GenerationError):
    """Downloading, stitching or transcoding failed."""


class MediaUnavailable(MediaError):
    """A download failed in a way that may pass when tried again (a 5xx, a cut, a timeout)."""


class DeliveryError(GenerationError):
    """The finished film could not be delivered."""
