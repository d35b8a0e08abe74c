"""What one analysis may cost and take (issue 19 item 4, last point), through the runner and the
fake OpenAI: every shot-list request caps its tokens and, on a reasoning model, its reasoning;
a slow answer is abandoned after `analysis_timeout_seconds` and asked once more, not four times
after 90 s each (de57d17: the client's 90 s timeout and 3 retries, no cap at all)."""

from __future__ import annotations

import openai
import pytest

from bot.pipeline.analysis.writer import (
    ANALYSIS_RETRIES,
    MAX_COMPLETION_TOKENS,
    Analyst,
    reasoning_options,
)
from storage.models import GenerationStatus


async def test_a_shot_list_request_caps_its_tokens_and_reasoning(
    make_settings, open_harness, openai_fake
) -> None:
    async with open_harness(make_settings(openai_model="gpt-6-luna")) as harness:
        final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.DONE, final.error
    (request,) = openai_fake.chat_requests
    assert request["max_completion_tokens"] == MAX_COMPLETION_TOKENS
    assert request["reasoning_effort"] == "low"


async def test_a_slow_answer_is_abandoned_and_asked_once_more(
    make_settings, open_harness, openai_fake
) -> None:
    openai_fake.delay = 3.0  # slower than the analysis may take
    settings = make_settings(analysis_timeout_seconds=0.5)
    async with open_harness(settings) as harness:
        final = await harness.generate(clips=1)

    assert final.status is GenerationStatus.FAILED
    assert "timed out" in (final.error or "")
    assert openai_fake.calls["chat"] == 1 + ANALYSIS_RETRIES  # each one paid: asked twice only


@pytest.mark.parametrize(
    ("model", "sent"),
    [("gpt-6-luna", "low"), ("gpt-5-mini", "low"), ("o4-mini", "low"), ("gpt-4o-mini", None)],
)
def test_reasoning_effort_goes_only_to_reasoning_models(model: str, sent: str | None) -> None:
    chosen = reasoning_options(model)
    assert (None if isinstance(chosen, openai.Omit) else chosen) == sent


async def test_a_model_without_reasoning_gets_no_reasoning_effort(openai_fake) -> None:
    client = openai.AsyncOpenAI(api_key="k", base_url=openai_fake.base_url)
    analyst = Analyst(client, model="gpt-4o-mini", max_clips=2, timeout=10)
    try:
        await analyst.shot_list("a seal", clips=1)
    finally:
        await client.close()

    (request,) = openai_fake.chat_requests
    assert "reasoning_effort" not in request
    assert request["max_completion_tokens"] == MAX_COMPLETION_TOKENS
