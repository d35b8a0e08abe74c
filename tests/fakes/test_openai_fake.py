"""Self-tests of FakeOpenAI, driven by the real ``openai.AsyncOpenAI`` client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import httpx
import openai
import pydantic
import pytest

from tests.fakes.openai_fake import REFUSAL, FakeOpenAI


class Scene(pydantic.BaseModel):
    prompt: str
    duration: int


class ShotListModel(pydantic.BaseModel):
    title: str
    style: str
    scenes: list[Scene]


class NeedsMood(pydantic.BaseModel):
    title: str
    mood: str


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0) as c:
        yield c


async def _parse(client: openai.AsyncOpenAI, text: str, model: type = ShotListModel):
    return await client.chat.completions.parse(
        model="gpt-6-luna",
        messages=[
            {"role": "system", "content": "You turn a sentence into a shot list."},
            {"role": "user", "content": text},
        ],
        response_format=model,
    )


async def test_structured_output_parses_into_the_pydantic_model(fake, client) -> None:
    completion = await _parse(client, "a lighthouse keeper adopts a seal")

    shot_list = completion.choices[0].message.parsed
    assert isinstance(shot_list, ShotListModel)
    assert [s.prompt for s in shot_list.scenes] == [
        f"Scene {i}: a lighthouse keeper adopts a seal" for i in (1, 2, 3)
    ]
    assert {s.duration for s in shot_list.scenes} == {2}
    assert completion.usage is not None and completion.usage.total_tokens > 0
    assert fake.calls["chat"] == 1
    sent = fake.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.json["response_format"]["json_schema"]["strict"] is True
    assert "authorization" not in {k.lower() for k in sent.headers}


async def test_scene_count_from_the_messages_and_from_the_knob(fake, client) -> None:
    completion = await _parse(client, "Write exactly 2 scenes about a fox.")
    assert len(completion.choices[0].message.parsed.scenes) == 2

    fake.scene_count, fake.scene_duration = 100, 5
    completion = await _parse(client, "Write exactly 2 scenes about a fox.")
    scenes = completion.choices[0].message.parsed.scenes
    assert len(scenes) == 100
    assert scenes[0].duration == 5


async def test_schema_mismatch_is_a_loud_400(fake, client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await _parse(client, "a fox", model=NeedsMood)
    assert "mood" in caught.value.message
    assert caught.value.body["param"] == "response_format"


async def test_refusal_malformed_and_wrong_shape(fake, client) -> None:
    fake.refuse_next()
    message = (await _parse(client, "something")).choices[0].message
    assert message.refusal == REFUSAL
    assert message.content is None and message.parsed is None

    fake.malformed_next()
    with pytest.raises(pydantic.ValidationError):
        await _parse(client, "something")

    fake.wrong_shape_next()
    with pytest.raises(pydantic.ValidationError, match="scenes"):
        await _parse(client, "something")

    assert (await _parse(client, "something")).choices[0].message.parsed is not None


async def test_moderation_flags_configured_words(fake, client) -> None:
    fake.flag_words = {"FLAGME", "kraken"}
    result = await client.moderations.create(
        model="omni-moderation-latest", input=["a calm sea", "release the KRAKEN", "flagme"]
    )
    assert [r.flagged for r in result.results] == [False, True, True]
    assert result.results[1].categories.violence is True
    assert result.results[0].category_scores.violence < 0.01
    assert fake.calls["moderations"] == 1


async def test_429_is_retried_by_the_client(fake) -> None:
    fake.fail_next(429, times=2, path="/chat/completions")
    async with openai.AsyncOpenAI(api_key="k", base_url=fake.base_url, max_retries=2) as client:
        completion = await _parse(client, "a seal")
    assert completion.choices[0].message.parsed is not None
    assert fake.calls["chat"] == 3
    retries = [r.headers.get("x-stainless-retry-count") for r in fake.requests]
    assert retries == ["0", "1", "2"]


async def test_errors_surface_in_openai_shape(fake, client) -> None:
    fake.fail_next(500, path="/moderations")
    with pytest.raises(openai.InternalServerError):
        await client.moderations.create(input="hello")
    # the chat route was not targeted
    assert (await _parse(client, "a seal")).choices[0].message.parsed is not None

    fake.fail_next(429)
    with pytest.raises(openai.RateLimitError) as caught:
        await client.moderations.create(input="hello")
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after-ms"] == "1"


async def test_missing_or_wrong_key_is_401(fake) -> None:
    fake.api_key = "sk-right"
    async with openai.AsyncOpenAI(api_key="sk-wrong", base_url=fake.base_url) as client:
        with pytest.raises(openai.AuthenticationError) as caught:
            await client.moderations.create(input="hello")
    assert caught.value.code == "invalid_api_key"
    assert fake.calls["moderations"] == 0
    async with openai.AsyncOpenAI(
        api_key="sk-right", base_url=fake.base_url, default_headers={"Authorization": ""}
    ) as client:
        with pytest.raises(openai.AuthenticationError, match="didn't provide an API key"):
            await client.moderations.create(input="hello")


async def test_delay_lets_the_client_time_out(fake) -> None:
    fake.delay = 0.5
    async with openai.AsyncOpenAI(
        api_key="k", base_url=fake.base_url, timeout=0.1, max_retries=0
    ) as client:
        with pytest.raises(openai.APITimeoutError):
            await _parse(client, "a seal")


async def test_concurrent_requests(fake, client) -> None:
    results = await asyncio.gather(*(_parse(client, f"film {i}") for i in range(20)))
    assert [r.choices[0].message.parsed.scenes[0].prompt for r in results] == [
        f"Scene 1: film {i}" for i in range(20)
    ]
    assert fake.calls["chat"] == 20


async def test_json_content_type_is_exact_and_unknown_routes_are_openai_errors(fake) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as http:
        auth = {"Authorization": "Bearer k"}
        ok = await http.post("/moderations", json={"input": "x"}, headers=auth)
        missing = await http.get("/nothing", headers=auth)
    assert ok.headers["content-type"] == "application/json"
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    assert missing.json()["error"]["message"] == "Invalid URL (GET /v1/nothing)"


# -- models, shutdowns and keys -----------------------------------------------------------------


async def test_a_model_is_retrieved_with_its_shutdown_date(fake, client) -> None:
    current = await client.models.retrieve("gpt-6-luna")
    deprecated = await client.models.retrieve("gpt-4.1-mini")

    assert (current.id, current.object, current.shutdown_date) == ("gpt-6-luna", "model", None)
    assert deprecated.shutdown_date == "2027-01-14"


async def test_a_model_past_its_shutdown_date_is_not_found_anywhere(fake, client) -> None:
    fake.today = date(2027, 1, 14)

    with pytest.raises(openai.NotFoundError) as retrieved:
        await client.models.retrieve("gpt-4.1-mini")
    with pytest.raises(openai.NotFoundError) as chat:
        await client.chat.completions.create(
            model="gpt-4.1-mini", messages=[{"role": "user", "content": "a seal"}]
        )

    for exc in (retrieved.value, chat.value):
        assert exc.code == "model_not_found"
        assert exc.message.endswith(
            " - The model `gpt-4.1-mini` does not exist or you do not have access to it."
        )
    assert (await client.models.retrieve("gpt-6-luna")).id == "gpt-6-luna"
    fake.today = date(2027, 1, 13)  # the day before, it still answers
    assert (await client.models.retrieve("gpt-4.1-mini")).shutdown_date == "2027-01-14"


async def test_an_unknown_model_is_not_found(client) -> None:
    with pytest.raises(openai.NotFoundError) as exc:
        await client.models.retrieve("gpt-7-imaginary")
    assert exc.value.code == "model_not_found"


async def test_a_wrong_key_is_refused_on_every_path_without_quoting_it_whole(fake) -> None:
    fake.api_key = "sk-right-key-000000"
    wrong = "sk-wrong-key-123456789"
    async with openai.AsyncOpenAI(api_key=wrong, base_url=fake.base_url, max_retries=0) as c:
        with pytest.raises(openai.AuthenticationError) as models:
            await c.models.retrieve("gpt-6-luna")
        with pytest.raises(openai.AuthenticationError) as moderation:
            await c.moderations.create(input="a seal")
        with pytest.raises(openai.AuthenticationError) as chat:
            await _parse(c, "a seal")
    async with httpx.AsyncClient(base_url=fake.base_url) as http:
        unknown = await http.get("/nothing", headers={"Authorization": f"Bearer {wrong}"})

    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "invalid_api_key"
    for exc in (models.value, moderation.value, chat.value):
        assert exc.status_code == 401 and exc.code == "invalid_api_key"
        masked = exc.message.split("Incorrect API key provided: ")[1].split(".")[0]
        assert masked == "sk-wrong" + "*" * (len(wrong) - 12) + "6789"  # first 8, last 4
        assert wrong not in exc.message
    assert fake.calls == {"chat": 0, "moderations": 0}
    async with openai.AsyncOpenAI(api_key="ai", base_url=fake.base_url, max_retries=0) as c:
        with pytest.raises(openai.AuthenticationError, match=r"provided: ai\. You can find"):
            await c.moderations.create(input="a seal")  # a short key is quoted whole
