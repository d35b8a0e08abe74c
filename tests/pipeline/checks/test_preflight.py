"""The start-up check of the providers, against the fakes (real openai and replicate clients)."""

from __future__ import annotations

import socket
from datetime import date
from typing import get_args

from aiohttp import web
from openai.types.shared.chat_model import ChatModel

from bot.config import DEFAULT_OPENAI_MODEL
from bot.pipeline.checks.deprecations import parse_deprecation_note, sdk_shutdown_dates
from bot.pipeline.checks.preflight import Severity
from bot.services import check_configuration

TODAY = date(2026, 11, 30)
WRONG_KEY = "sk-wrong-" + "k3y" * 8


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_default_model_is_a_current_chat_model() -> None:
    dates = sdk_shutdown_dates()
    assert DEFAULT_OPENAI_MODEL in get_args(ChatModel)
    assert DEFAULT_OPENAI_MODEL not in dates
    # the SDK's own list is read: the former default shuts down on 2027-01-14
    assert {m: dates[m] for m in ("gpt-4.1-mini", "gpt-4o-mini")} == {
        "gpt-4.1-mini": date(2027, 1, 14),
        "gpt-4o-mini": date(2027, 1, 14),
    }


def test_the_deprecation_note_is_parsed_bullet_by_bullet() -> None:
    note = """Deprecated values:

- "a-1", "a-2",
  "a-3": Announced shutdown date: 2027-01-14. See
  https://example.com for details.
- "b-1": Not a supported model ID. Retained for SDK compatibility.
- "c-1": Announced shutdown date:
  2026-10-23. See https://example.com.
"""
    assert parse_deprecation_note(note) == {
        "a-1": date(2027, 1, 14),
        "a-2": date(2027, 1, 14),
        "a-3": date(2027, 1, 14),
        "c-1": date(2026, 10, 23),
    }


async def test_a_good_configuration_has_no_problem(settings, openai_fake, replicate_fake) -> None:
    result = await check_configuration(settings, today=TODAY)

    assert result.problems == ()
    assert settings.generation_config_errors() == []
    paths = [r.path for r in (*openai_fake.requests, *replicate_fake.requests)]
    assert sorted(paths) == sorted(
        [
            "/v1/account",
            f"/v1/models/{DEFAULT_OPENAI_MODEL}",
            "/v1/models/omni-moderation-latest",  # every model the bot calls (issue 19)
            f"/v1/models/{settings.tts_model}",
            f"/v1/models/{settings.video_model}",
            "/v1/models/google/lyria-2",  # the score's
            "/v1/models/black-forest-labs/flux-schnell",  # the portraits' (issue 24)
        ]
    )
    assert openai_fake.calls == {"chat": 0, "moderations": 0}  # nothing spent


async def test_a_wrong_openai_key_is_a_configuration_error(make_settings, openai_fake) -> None:
    openai_fake.api_key = "sk-the-right-one"
    settings = make_settings(openai_api_key=WRONG_KEY)

    result = await check_configuration(settings, today=TODAY)

    (error,) = result.errors
    assert (error.severity, error.setting) == (Severity.ERROR, "OPENAI_API_KEY")
    assert "OpenAI refused OPENAI_API_KEY (401 invalid_api_key)" in error.text
    assert WRONG_KEY[-4:] not in error.text  # OpenAI's message quotes the key's ends: not repeated
    (said,) = settings.generation_config_errors()
    assert said.startswith("OpenAI refused OPENAI_API_KEY")


async def test_a_shut_down_model_is_a_configuration_error(make_settings, openai_fake) -> None:
    openai_fake.today = date(2027, 1, 14)
    settings = make_settings(openai_model="gpt-4.1-mini")

    result = await check_configuration(settings, today=date(2027, 1, 14))

    (error,) = result.errors
    assert error.setting == "OPENAI_MODEL"
    assert "OPENAI_MODEL=gpt-4.1-mini" in error.text and "404 model_not_found" in error.text
    assert f"such as {DEFAULT_OPENAI_MODEL}" in error.text


async def test_a_deprecated_model_is_a_warning_with_its_date(make_settings, openai_fake) -> None:
    openai_fake.today = TODAY
    settings = make_settings(openai_model="gpt-4.1-mini")

    result = await check_configuration(settings, today=TODAY)

    assert result.errors == []
    (warning,) = result.warnings
    assert warning.setting == "OPENAI_MODEL"
    assert "gpt-4.1-mini is deprecated" in warning.text and "2027-01-14" in warning.text
    assert settings.generation_config_errors() == []


async def test_a_shutdown_date_the_server_gives_and_that_passed_is_an_error(
    make_settings, openai_fake
) -> None:
    openai_fake.shutdown_dates["gpt-6-luna"] = date(2026, 12, 1)
    openai_fake.today = TODAY  # the fake still serves it

    result = await check_configuration(make_settings(), today=date(2026, 12, 2))

    (error,) = result.errors
    assert "was shut down on 2026-12-01" in error.text


async def test_without_a_key_the_sdk_list_still_warns(make_settings, openai_fake) -> None:
    settings = make_settings(openai_api_key=None, openai_model="gpt-4o")

    result = await check_configuration(settings, today=TODAY)

    (warning,) = result.warnings
    assert "gpt-4o is deprecated" in warning.text and "2027-01-14" in warning.text
    assert openai_fake.requests == []
    assert settings.generation_config_errors() == ["OPENAI_API_KEY is not set"]


async def test_a_wrong_replicate_token_is_a_configuration_error(
    make_settings, replicate_fake
) -> None:
    replicate_fake.api_token = "r8_right"

    result = await check_configuration(make_settings(), today=TODAY)

    (error,) = result.errors
    assert error.setting == "REPLICATE_API_TOKEN"
    assert "Replicate refused REPLICATE_API_TOKEN (401 Unauthenticated)" in error.text


async def test_an_unknown_video_model_is_a_configuration_error(settings, replicate_fake) -> None:
    replicate_fake.models = {"someone/else"}

    result = await check_configuration(settings, today=TODAY)

    (error,) = result.errors
    assert error.setting == "VIDEO_MODEL"
    assert f"VIDEO_MODEL={settings.video_model} (404 Not found)" in error.text


async def test_no_video_check_in_analysis_only_mode(make_settings, replicate_fake) -> None:
    replicate_fake.api_token = "r8_right"

    result = await check_configuration(make_settings(enable_video_generation=False), today=TODAY)

    assert result.problems == () and replicate_fake.requests == []


async def test_unreachable_providers_are_warnings(make_settings) -> None:
    port = _closed_port()
    settings = make_settings(
        openai_base_url=f"http://127.0.0.1:{port}/v1",
        replicate_base_url=f"http://127.0.0.1:{port}",
    )

    result = await check_configuration(settings, today=TODAY)

    assert result.errors == [] and settings.generation_config_errors() == []
    assert [w.setting for w in result.warnings] == ["OPENAI_BASE_URL", "REPLICATE_BASE_URL"]
    assert "OpenAI could not be reached at start-up" in result.warnings[0].text
    assert "Replicate could not be checked at start-up" in result.warnings[1].text


async def test_a_provider_error_is_a_warning(settings, openai_fake) -> None:
    openai_fake.fail_next(503, path=f"/models/{DEFAULT_OPENAI_MODEL}")

    result = await check_configuration(settings, today=TODAY)

    (warning,) = result.problems
    assert warning.severity is Severity.WARNING
    assert "OpenAI answered the start-up check with 503" in warning.text


async def test_a_check_that_outlasts_its_time_is_a_warning(settings, replicate_fake) -> None:
    replicate_fake.read_limit = 0  # every read throttled: the client retries for ever
    replicate_fake.throttle_retry_after = 1

    result = await check_configuration(settings, today=TODAY, timeout=0.5)

    (warning,) = result.problems
    assert warning.setting == "REPLICATE_API_TOKEN"
    assert "Replicate did not answer the start-up check within 0.5 s" in warning.text


async def test_an_endpoint_without_the_models_route_is_only_a_warning(make_settings) -> None:
    """A proxy at OPENAI_BASE_URL may lack GET /models/{model}: its 404 carries no
    model_not_found code, and proves nothing about the model."""
    runner = web.AppRunner(web.Application())  # no route at all: 404 for everything
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        settings = make_settings(openai_base_url=f"http://127.0.0.1:{port}/v1")
        result = await check_configuration(settings, today=TODAY)
    finally:
        await runner.cleanup()

    (warning,) = [p for p in result.problems if p.setting.startswith("OPENAI")]
    assert warning.severity is Severity.WARNING and "could not be checked" in warning.text
    assert settings.generation_config_errors() == []


async def test_every_replicate_model_the_bot_calls_is_checked(settings, replicate_fake) -> None:
    # the score's and the portraits' models too: gone, they are warnings (the films go out
    # without them), not errors
    replicate_fake.models = {settings.video_model}

    result = await check_configuration(settings, today=TODAY)

    assert result.errors == []
    found = {w.setting: w.text for w in result.warnings}
    assert "google/lyria-2 (404 Not found)" in found["MUSIC_DEFAULT"]
    assert "black-forest-labs/flux-schnell (404 Not found)" in found["CAST_DEFAULT"]

    replicate_fake.models = None  # every model there: nothing said
    result = await check_configuration(settings, today=TODAY)
    assert not {"MUSIC_DEFAULT", "CAST_DEFAULT"} & {w.setting for w in result.warnings}
