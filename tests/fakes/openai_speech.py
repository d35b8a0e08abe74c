"""The fake OpenAI's speech endpoint, ``POST /v1/audio/speech``: real audio bytes, made with the
bundled ffmpeg, lasting in proportion to the text; registered by ``FakeOpenAI``."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any, get_args

import imageio_ffmpeg
from aiohttp import web
from openai.types.audio.speech_model import SpeechModel

from tests.fakes._common import read_json

if TYPE_CHECKING:
    from tests.fakes.openai_fake import FakeOpenAI

# The speech models the installed SDK names (openai/types/audio/speech_model.py). Its note, and
# https://developers.openai.com/api/docs/deprecations, announce their shutdown on 2027-01-06.
SPEECH_MODELS = frozenset(get_args(SpeechModel))
# Built-in voices (openapi.json: CreateSpeechRequest.voice, "Supported built-in voices are
# `alloy`, `ash`, `ballad`, `coral`, `echo`, `fable`, `onyx`, `nova`, `sage`, `shimmer`,
# `verse`, `marin`, and `cedar`"; openai/types/audio/speech_create_params.py lists the same).
VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx",
    "nova", "sage", "shimmer", "verse", "marin", "cedar",
)  # fmt: skip
# openapi.json: response_format enum (default "mp3"). The Content-Type of each answer: the API
# answers the format's own audio type, not the spec's application/octet-stream
# (github.com/openai/openai-openapi/issues/141: "audio/mpeg or audio/aac").
CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
# ffmpeg muxer and codec per format. pcm is "raw samples in 24kHz (16-bit signed, low-endian),
# without the header" (https://developers.openai.com/api/docs/guides/text-to-speech); every
# format is 24 kHz mono there too.
_ENCODE = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"],
    "opus": ["-c:a", "libopus", "-b:a", "32k", "-f", "ogg"],
    "aac": ["-c:a", "aac", "-b:a", "64k", "-f", "adts"],
    "flac": ["-c:a", "flac", "-f", "flac"],
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    "pcm": ["-c:a", "pcm_s16le", "-f", "s16le"],
}
WORDS_PER_SECOND = 2.5  # the fake "speaks" at a natural rate: 150 words a minute


class SpeechRoute:
    """State of the speech endpoint: what it answered and the knobs tests turn.

    Attributes:
        requests: one entry per authenticated speech request (injected failures included):
            the request's ``input`` text.
        spoken: ``Counter`` of input texts answered with audio.
        words_per_second: the rate the length of the audio is computed from.
        hold: when not None, an ``asyncio.Event`` every request whose input contains
            ``hold_text`` waits for before answering (a line "in flight").
        hold_text: see ``hold`` (default "": every request).
        delay: seconds slept before answering each request (default 0.0).
    """

    def __init__(self, fake: FakeOpenAI) -> None:
        self._fake = fake
        self.requests: list[str] = []
        self.spoken: Counter[str] = Counter()
        self.words_per_second = WORDS_PER_SECOND
        self.hold: asyncio.Event | None = None
        self.hold_text = ""
        self.delay = 0.0

    def register(self, app: web.Application) -> None:
        app.router.add_post("/v1/audio/speech", self.speech)

    async def speech(self, request: web.Request) -> web.StreamResponse:
        """Create speech (openapi.json: ``POST /audio/speech``, body ``CreateSpeechRequest``;
        the answer is the audio file's bytes)."""
        fake = self._fake
        fake.calls["speech"] = fake.calls.get("speech", 0) + 1
        body = await read_json(request)
        text = body.get("input") if isinstance(body, dict) else None
        self.requests.append(text if isinstance(text, str) else "")
        if self.hold is not None and self.hold_text in (text or ""):
            await self.hold.wait()
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        if (failure := fake._injected(request)) is not None:
            return failure
        if not isinstance(body, dict):
            return fake._error(400, _invalid("We could not parse the JSON body of your request."))
        if (problem := _check(body)) is not None:
            return fake._error(400, problem)
        if (gone := fake._model_missing(str(body["model"]))) is not None:
            return gone
        if body["model"] not in SPEECH_MODELS:  # a chat model named here (documented list)
            message = f"Invalid value: '{body['model']}'. The model is not a text-to-speech model."
            return fake._error(400, _invalid(message, "model", "invalid_value"))
        fmt = body.get("response_format", "mp3")
        words = max(1, len(body["input"].split()))
        seconds = words / self.words_per_second / float(body.get("speed", 1.0))
        audio = await _tone(seconds, fmt)
        self.spoken[body["input"]] += 1
        headers = fake._headers()
        headers["Content-Type"] = CONTENT_TYPES[fmt]
        return web.Response(body=audio, headers=headers)


def _invalid(message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }
    }


def _check(body: dict[str, Any]) -> dict[str, Any] | None:
    """openapi.json CreateSpeechRequest: model, input (≤ 4096 characters) and voice required;
    response_format in the enum; speed 0.25..4.0; instructions ≤ 4096; no other property
    (additionalProperties: false). An unknown voice is answered as OpenAI answers an invalid
    enum value: "Invalid value: 'x'. Supported values are: 'a', ... and 'z'.", param and code
    invalid_value (the shape quoted in Azure-Samples/aoai-realtime-audio-sdk/issues/94 and
    dongri/openai-api-rs/pull/135)."""
    for name in ("model", "input", "voice"):
        if name not in body:
            return _invalid(
                f"Missing required parameter: '{name}'.", name, "missing_required_parameter"
            )
    allowed = {
        "model",
        "input",
        "voice",
        "instructions",
        "response_format",
        "speed",
        "stream_format",
    }
    extra = sorted(set(body) - allowed)
    if extra:
        return _invalid(f"Unrecognized request argument supplied: {extra[0]}", extra[0])
    text = body["input"]
    if not isinstance(text, str) or not text.strip():
        return _invalid("Invalid value for 'input': expected a non-empty string.", "input")
    if len(text) > 4096:
        message = (
            "Invalid 'input': string too long. Expected a string with maximum length 4096, "
            f"but got a string with length {len(text)} instead."
        )
        return _invalid(message, "input", "string_above_max_length")
    voice = body["voice"]
    if isinstance(voice, dict):
        voice = voice.get("id")
    if voice not in VOICES:
        listed = ", ".join(f"'{v}'" for v in VOICES[:-1]) + f", and '{VOICES[-1]}'"
        message = f"Invalid value: '{voice}'. Supported values are: {listed}."
        return _invalid(message, "voice", "invalid_value")
    fmt = body.get("response_format", "mp3")
    if fmt not in CONTENT_TYPES:
        listed = ", ".join(f"'{f}'" for f in CONTENT_TYPES)
        return _invalid(
            f"Invalid value: '{fmt}'. Supported values are: {listed}.",
            "response_format",
            "invalid_value",
        )
    speed = body.get("speed", 1.0)
    if not isinstance(speed, int | float) or not 0.25 <= speed <= 4.0:
        message = f"Invalid 'speed': {speed}. Expected a value between 0.25 and 4.0."
        return _invalid(message, "speed", "invalid_value")
    instructions = body.get("instructions")
    if instructions is not None and (not isinstance(instructions, str) or len(instructions) > 4096):
        return _invalid(
            "Invalid 'instructions': expected a string of at most 4096 characters.", "instructions"
        )
    return None


async def _tone(seconds: float, fmt: str) -> bytes:
    """``seconds`` of a 440 Hz tone, 24 kHz mono, in ``fmt``, made by the bundled ffmpeg."""
    proc = await asyncio.create_subprocess_exec(
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:sample_rate=24000:duration={seconds:.3f}",
        "-ac",
        "1",
        *_ENCODE[fmt],
        "pipe:1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make the fake speech: {err.decode()[-300:]}")
    return out
