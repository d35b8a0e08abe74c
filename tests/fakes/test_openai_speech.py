"""The fake OpenAI's speech endpoint, through the real SDK (``client.audio.speech.create``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import openai
import pytest

from bot.pipeline.media.narrate import pcm_seconds
from tests.fakes.audio import describe
from tests.fakes.openai_fake import FakeOpenAI


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(api_key="t", base_url=fake.base_url, max_retries=0) as c:
        yield c


TEN_WORDS = "one two three four five six seven eight nine ten"


async def test_pcm_lasts_in_proportion_to_the_text(client: openai.AsyncOpenAI) -> None:
    short = await client.audio.speech.create(
        model="gpt-4o-mini-tts", voice="coral", input="one two three four five",
        response_format="pcm",
    )  # fmt: skip
    long = await client.audio.speech.create(
        model="gpt-4o-mini-tts", voice="coral", input=TEN_WORDS, response_format="pcm"
    )
    assert short.response.headers["content-type"] == "audio/pcm"
    assert pcm_seconds(len(short.content)) == pytest.approx(2.0, abs=0.05)  # 2.5 words/s
    assert pcm_seconds(len(long.content)) == pytest.approx(4.0, abs=0.05)
    assert any(short.content)  # a tone, not silence


@pytest.mark.parametrize(
    ("fmt", "content_type", "container"),
    [("mp3", "audio/mpeg", "mp3"), ("wav", "audio/wav", "wav"), ("aac", "audio/aac", "aac")],
)
async def test_each_format_is_real_audio_with_its_content_type(
    client: openai.AsyncOpenAI, tmp_path: Path, fmt: str, content_type: str, container: str
) -> None:
    audio = await client.audio.speech.create(
        model="tts-1", voice="alloy", input=TEN_WORDS, response_format=fmt,  # type: ignore[arg-type]
    )  # fmt: skip
    assert audio.response.headers["content-type"] == content_type
    path = tmp_path / f"speech.{fmt}"
    path.write_bytes(audio.content)
    out = describe(path)
    assert f"Input #0, {container}" in out and "Duration: 00:00:04" in out, out


async def test_mp3_is_the_default(client: openai.AsyncOpenAI) -> None:
    audio = await client.audio.speech.create(model="tts-1", voice="alloy", input="hello")
    assert audio.response.headers["content-type"] == "audio/mpeg"


async def test_an_unknown_voice_is_refused_in_openais_shape(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        await client.audio.speech.create(model="gpt-4o-mini-tts", voice="robot", input="hi")
    assert exc.value.code == "invalid_value" and exc.value.param == "voice"
    assert "Invalid value: 'robot'. Supported values are: 'alloy'" in exc.value.message


async def test_an_unknown_or_shut_down_model_is_not_found(
    client: openai.AsyncOpenAI, fake: FakeOpenAI
) -> None:
    with pytest.raises(openai.NotFoundError) as exc:
        await client.audio.speech.create(model="tts-9", voice="coral", input="hi")
    assert exc.value.code == "model_not_found"
    fake.today = date(2027, 1, 6)  # the announced shutdown of every speech model
    with pytest.raises(openai.NotFoundError):
        await client.audio.speech.create(model="gpt-4o-mini-tts", voice="coral", input="hi")


async def test_a_chat_model_does_not_speak(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        await client.audio.speech.create(model="gpt-6-luna", voice="coral", input="hi")
    assert exc.value.param == "model"


async def test_out_of_range_speed_and_long_input_are_refused(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as speed:
        await client.audio.speech.create(model="tts-1", voice="echo", input="hi", speed=5.0)
    with pytest.raises(openai.BadRequestError) as long:
        await client.audio.speech.create(model="tts-1", voice="echo", input="x" * 4097)
    assert speed.value.param == "speed" and long.value.param == "input"


async def test_requests_are_counted_and_failures_injected(
    client: openai.AsyncOpenAI, fake: FakeOpenAI
) -> None:
    fake.fail_next(503, path="/audio/speech")
    with pytest.raises(openai.InternalServerError):
        await client.audio.speech.create(model="tts-1", voice="echo", input="hi")
    await client.audio.speech.create(model="tts-1", voice="echo", input="hi")
    assert fake.calls["speech"] == 2 and fake.speech.requests == ["hi", "hi"]
    assert fake.speech.spoken["hi"] == 1
