"""The fake OpenAI's Realtime endpoint, through the real SDK (``client.realtime.connect``) and
the bot's own speaker (bot/pipeline/sound/speakers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import openai
import pytest

from bot.pipeline.errors import NarrationError
from bot.pipeline.media.narrate import pcm_seconds
from bot.pipeline.sound.speakers import DEFAULT_TTS_MODEL, RealtimeSpeaker
from tests.fakes.openai_fake import FakeOpenAI


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(api_key="t", base_url=fake.base_url, max_retries=0) as c:
        yield c


async def test_a_line_is_spoken_as_pcm_over_a_realtime_session(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    audio = await RealtimeSpeaker(client, DEFAULT_TTS_MODEL).say("one two three four five", "marin")
    assert pcm_seconds(len(audio)) == pytest.approx(5 / fake.speech.words_per_second, abs=0.01)
    assert (
        max(abs(int.from_bytes(audio[i : i + 2], "little", signed=True)) for i in range(0, 4800, 2))
        > 1000
    )
    (session,) = fake.realtime.sessions
    assert session["model"] == DEFAULT_TTS_MODEL and session["voice"] == "marin"
    assert "exactly as written" in session["instructions"]
    assert fake.speech.requests == ["one two three four five"]
    assert fake.calls["realtime"] == 1 and fake.realtime.errors == []


async def test_the_events_parse_into_the_sdks_own_types(client: openai.AsyncOpenAI) -> None:
    seen: list[str] = []
    async with client.realtime.connect(model=DEFAULT_TTS_MODEL) as connection:
        await connection.session.update(
            session={"type": "realtime", "output_modalities": ["audio"]}
        )
        await connection.conversation.item.create(
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "hi"}],
            }
        )
        await connection.response.create()
        async for event in connection:
            seen.append(type(event).__name__)
            if event.type == "response.done":
                assert event.response.status == "completed"
                break
    assert seen[:2] == ["SessionCreatedEvent", "SessionUpdatedEvent"]
    assert "ResponseAudioDeltaEvent" in seen and seen[-1] == "ResponseDoneEvent"
    assert "dict" not in seen  # every event was one the SDK knows


async def test_a_voice_the_realtime_api_lacks_is_an_error_event(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    with pytest.raises(NarrationError, match="invalid_value"):
        await RealtimeSpeaker(client, DEFAULT_TTS_MODEL).say("hello", "onyx")
    assert fake.realtime.errors[0]["param"] == "session.audio.output.voice"


async def test_a_shut_down_model_fails_the_response_with_model_not_found(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.today = date(2027, 1, 21)  # gpt-realtime-mini: shutdown 2027-01-20 (the SDK's note)
    with pytest.raises(NarrationError, match=r"failed.*model_not_found"):
        await RealtimeSpeaker(client, "gpt-realtime-mini").say("hello", "coral")
    assert len(await RealtimeSpeaker(client, DEFAULT_TTS_MODEL).say("hello", "coral")) > 0


async def test_a_refused_handshake_is_a_narration_error(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.fail_next(503, path="/realtime")
    with pytest.raises(NarrationError, match="HTTP 503"):
        await RealtimeSpeaker(client, DEFAULT_TTS_MODEL).say("hello", "coral")


async def test_a_line_that_takes_too_long_is_cut_off(
    fake: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake.speech.delay = 5.0
    with pytest.raises(NarrationError, match=r"within 0\.2 s"):
        await RealtimeSpeaker(client, DEFAULT_TTS_MODEL, timeout=0.2).say("hello", "coral")


async def test_the_speech_endpoint_takes_only_the_sdks_speech_models(
    client: openai.AsyncOpenAI,
) -> None:
    with pytest.raises(openai.BadRequestError) as exc:  # a Realtime model is not served there
        await client.audio.speech.create(model=DEFAULT_TTS_MODEL, voice="coral", input="hi")
    assert exc.value.param == "model"


async def test_the_fakes_clock_can_be_set_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_OPENAI_TODAY", "2027-01-07")
    async with (
        FakeOpenAI() as fake,
        openai.AsyncOpenAI(api_key="t", base_url=fake.base_url, max_retries=0) as client,
    ):
        assert fake.today == date(2027, 1, 7)
        with pytest.raises(openai.NotFoundError) as exc:
            await client.models.retrieve("tts-1")
        assert exc.value.code == "model_not_found"
        assert (await client.models.retrieve(DEFAULT_TTS_MODEL)).shutdown_date is None
