"""The captions option of a request (issue 22): stored as asked, defaulting to CAPTIONS_DEFAULT,
refused when it could only be dropped (no narration to show)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.pipeline.errors import GenerationError
from bot.pipeline.run.validation import validate_request
from storage.models import Captions


def settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


def test_captions_default_to_off_and_follow_captions_default() -> None:
    assert (
        validate_request(
            "a seal", clips=None, aspect_ratio=None, seed=None, settings=settings(), narration=True
        )["captions"]
        is Captions.OFF
    )
    chosen = validate_request(
        "a seal",
        clips=None,
        aspect_ratio=None,
        seed=None,
        settings=settings(captions_default="track"),
        narration=True,
    )
    assert chosen["captions"] is Captions.TRACK  # fmt: skip


def test_asked_captions_are_kept() -> None:
    request = validate_request(
        "a seal",
        clips=None,
        aspect_ratio=None,
        seed=None,
        settings=settings(),
        narration=True,
        captions="burned",
    )
    assert request["captions"] is Captions.BURNED  # fmt: skip


def test_captions_without_narration_are_refused_when_asked_and_off_by_default() -> None:
    with pytest.raises(GenerationError, match="ask for narration too"):
        validate_request("a seal", clips=None, aspect_ratio=None, seed=None,
                         settings=settings(), narration=False, captions="track")  # fmt: skip
    quiet = validate_request(
        "a seal",
        clips=None,
        aspect_ratio=None,
        seed=None,
        settings=settings(captions_default="burned"),
        narration=False,
    )
    assert quiet["captions"] is Captions.OFF  # fmt: skip


def test_unknown_captions_are_refused() -> None:
    with pytest.raises(GenerationError, match="captions must be one of off, burned, track"):
        validate_request("a seal", clips=None, aspect_ratio=None, seed=None,
                         settings=settings(), narration=True, captions="loud")  # fmt: skip
