"""The fake OpenAI's Realtime endpoint, ``GET /v1/realtime?model=...`` upgraded to a WebSocket:
the events a text-to-speech session needs, shaped as the installed SDK's types define them
(openai/types/realtime/*), with real PCM audio (a tone) in ``response.output_audio.delta``;
registered by ``FakeOpenAI``.

The SDK builds the URL from the client's base URL: ``http://127.0.0.1:PORT/v1`` becomes
``ws://127.0.0.1:PORT/v1/realtime?model=...`` (openai/resources/realtime/realtime.py,
``AsyncRealtimeConnectionManager._prepare_url`` and ``_connect_ws``), with the key as
``Authorization: Bearer`` (checked by the fake's middleware before the upgrade, as for every
route).

What it answers (client events in, server events out):
- on connect: ``session.created`` (session_created_event.py), the default session;
- ``session.update`` -> ``session.updated`` (session_updated_event.py), or an ``error`` event
  (realtime_error_event.py) for a voice that is not a Realtime voice
  (realtime_audio_config_output_param.py, ``Voice``) or an output format other than PCM 24 kHz
  (realtime_audio_formats_param.py); the session stays open, as the real one does ("most errors
  are recoverable and the session will stay open");
- ``conversation.item.create`` -> ``conversation.item.added`` and ``conversation.item.done``;
- ``response.create`` -> ``response.created``, ``response.output_item.added``,
  ``response.content_part.added``, ``response.output_audio.delta`` (base64 PCM 16-bit 24 kHz
  mono, "the default ... PCM 16-bit 24kHz mono": realtime_conversation_item_assistant_message.py)
  ..., ``response.output_audio.done``, ``response.output_audio_transcript.done``,
  ``response.content_part.done``, ``response.output_item.done``, ``response.done`` (status
  ``completed``).
A model that is not served, or is past its shutdown date by the fake's clock, is answered as the
real service answers it: the session opens, and ``response.done`` comes back ``failed`` with
``status_details.error`` ``{"type": "invalid_request_error", "code": "model_not_found",
"message": "The model `X` does not exist or you do not have access to it."}`` and no output
(github.com/openai/openai-realtime-console/issues/561, openai/openai-realtime-agents/issues/28).

The knobs and records are the speech endpoint's (``fake.speech``: ``requests``, ``spoken``,
``hold``/``hold_text``, ``delay``, ``words_per_second``); ``fake.realtime.sessions`` keeps each
session's last configuration (voice, instructions, format).
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import struct
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.fakes._common import random_id

if TYPE_CHECKING:
    from tests.fakes.openai_fake import FakeOpenAI

# The Realtime voices (openai/types/realtime/realtime_audio_config_output_param.py).
REALTIME_VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar",
)  # fmt: skip
# The Realtime session models the SDK names (realtime_session_create_request_param.py, `model`).
REALTIME_MODELS = frozenset(
    {
        "gpt-realtime",
        "gpt-realtime-1.5",
        "gpt-realtime-2",
        "gpt-realtime-2.1",
        "gpt-realtime-2.1-mini",
        "gpt-realtime-2025-08-28",
        "gpt-realtime-mini",
        "gpt-realtime-mini-2025-10-06",
        "gpt-realtime-mini-2025-12-15",
        "gpt-audio-1.5",
        "gpt-audio-mini",
        "gpt-audio-mini-2025-10-06",
        "gpt-audio-mini-2025-12-15",
    }
)
PCM_FORMAT = {"type": "audio/pcm", "rate": 24000}
RATE = 24_000
CHUNK = RATE * 2 // 10  # 100 ms of s16le mono per delta


def tone_pcm(seconds: float) -> bytes:
    """`seconds` of a 440 Hz tone, raw s16le mono at 24 kHz (made in Python: no ffmpeg)."""
    count = max(1, int(seconds * RATE))
    step = 2 * math.pi * 440 / RATE
    return struct.pack(f"<{count}h", *(int(12000 * math.sin(i * step)) for i in range(count)))


class RealtimeRoute:
    """``GET /v1/realtime``: one WebSocket session per connection (module docstring).

    Attributes:
        sessions: per session, its configuration after each ``session.update`` (a dict with
            ``model``, ``voice``, ``instructions``, ``format``).
        errors: the ``error`` events sent, in order.
    """

    def __init__(self, fake: FakeOpenAI) -> None:
        self._fake = fake
        self.sessions: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []

    def register(self, app: web.Application) -> None:
        app.router.add_get("/v1/realtime", self.realtime)

    async def realtime(self, request: web.Request) -> web.StreamResponse:
        fake = self._fake
        fake.calls["realtime"] = fake.calls.get("realtime", 0) + 1
        if (failure := fake._injected(request)) is not None:  # refused before the upgrade
            return failure
        model = request.query.get("model", "")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session: dict[str, Any] = {
            "model": model,
            "voice": "alloy",
            "instructions": "",
            "format": dict(PCM_FORMAT),
        }
        self.sessions.append(session)
        await _send(ws, {"type": "session.created", "session": _session(session)})
        texts: list[str] = []
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            try:
                event = json.loads(message.data)
            except ValueError:
                await self._error(ws, "invalid_request_error", None, "Invalid JSON.")
                continue
            kind = event.get("type") if isinstance(event, dict) else None
            if kind == "session.update":
                await self._update(ws, session, event)
            elif kind == "conversation.item.create":
                await self._item(ws, event, texts)
            elif kind == "response.create":
                await self._respond(ws, session, texts)
            else:
                await self._error(
                    ws, "invalid_request_error", "invalid_value", f"Invalid value: '{kind}'."
                )
        return ws

    async def _error(
        self, ws: web.WebSocketResponse, kind: str, code: str | None, message: str, **extra: Any
    ) -> None:
        error = {"type": kind, "code": code, "message": message, "param": None, "event_id": None}
        error.update(extra)
        self.errors.append(error)
        await _send(ws, {"type": "error", "error": error})

    async def _update(
        self, ws: web.WebSocketResponse, session: dict[str, Any], event: dict[str, Any]
    ) -> None:
        update = event.get("session") or {}
        if update.get("type") != "realtime":
            await self._error(
                ws, "invalid_request_error", "missing_required_parameter",
                "Missing required parameter: 'session.type'.", param="session.type",
            )  # fmt: skip
            return
        output = (update.get("audio") or {}).get("output") or {}
        voice = output.get("voice", session["voice"])
        if voice not in REALTIME_VOICES:
            listed = ", ".join(f"'{v}'" for v in REALTIME_VOICES)
            await self._error(
                ws, "invalid_request_error", "invalid_value",
                f"Invalid value: '{voice}'. Supported values are: {listed}.",
                param="session.audio.output.voice",
            )  # fmt: skip
            return
        fmt = output.get("format", session["format"])
        if fmt.get("type") != "audio/pcm" or fmt.get("rate", 24000) != 24000:
            await self._error(
                ws, "invalid_request_error", "invalid_value",
                "Invalid value for 'session.audio.output.format'.",
                param="session.audio.output.format",
            )  # fmt: skip
            return
        session.update(voice=voice, format=fmt)
        if isinstance(update.get("instructions"), str):
            session["instructions"] = update["instructions"]
        await _send(ws, {"type": "session.updated", "session": _session(session)})

    async def _item(
        self, ws: web.WebSocketResponse, event: dict[str, Any], texts: list[str]
    ) -> None:
        item = dict(event.get("item") or {})
        parts = item.get("content") if item.get("type") == "message" else None
        if not isinstance(parts, list):
            await self._error(
                ws, "invalid_request_error", "invalid_value", "Invalid 'item'.", param="item"
            )
            return
        said = [p for p in parts if isinstance(p, dict) and p.get("type") == "input_text"]
        text = " ".join(str(p.get("text", "")) for p in said)
        texts.append(text)
        item.update(id=item.get("id") or f"item_{random_id(20)}", object="realtime.item")
        item["status"] = "completed"
        await _send(ws, {"type": "conversation.item.added", "previous_item_id": None, "item": item})
        await _send(ws, {"type": "conversation.item.done", "previous_item_id": None, "item": item})

    async def _respond(
        self, ws: web.WebSocketResponse, session: dict[str, Any], texts: list[str]
    ) -> None:
        fake, speech = self._fake, self._fake.speech
        text = texts[-1] if texts else ""
        speech.requests.append(text)
        response_id = f"resp_{random_id(20)}"
        response = _response(response_id, session, "in_progress", [])
        await _send(ws, {"type": "response.created", "response": response})
        model = session["model"]
        if model not in REALTIME_MODELS or fake._model_missing(model) is not None:
            failed = _response(response_id, session, "failed", [])
            failed["status_details"] = {
                "type": "failed",
                "error": {
                    "type": "invalid_request_error",
                    "code": "model_not_found",
                    "message": (
                        f"The model `{model}` does not exist or you do not have access to it."
                    ),
                },
            }
            await _send(ws, {"type": "response.done", "response": failed})
            return
        if speech.hold is not None and speech.hold_text in text:
            await speech.hold.wait()
        if speech.delay > 0:
            await asyncio.sleep(speech.delay)
        seconds = max(1, len(text.split())) / speech.words_per_second
        pcm = tone_pcm(seconds)
        item_id = f"item_{random_id(20)}"
        ids = {"response_id": response_id, "item_id": item_id, "output_index": 0}
        item = {
            "id": item_id, "object": "realtime.item", "type": "message", "role": "assistant",
            "status": "in_progress", "content": [],
        }  # fmt: skip
        await _send(
            ws,
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "response_id": response_id,
                "item": item,
            },
        )
        part = {"type": "output_audio", "transcript": ""}
        await _send(
            ws, {"type": "response.content_part.added", **ids, "content_index": 0, "part": part}
        )
        for start in range(0, len(pcm), CHUNK):
            delta = base64.b64encode(pcm[start : start + CHUNK]).decode()
            await _send(
                ws,
                {"type": "response.output_audio.delta", **ids, "content_index": 0, "delta": delta},
            )
        await _send(ws, {"type": "response.output_audio.done", **ids, "content_index": 0})
        await _send(
            ws,
            {
                "type": "response.output_audio_transcript.done",
                **ids,
                "content_index": 0,
                "transcript": text,
            },
        )
        part = {"type": "output_audio", "transcript": text}
        await _send(
            ws, {"type": "response.content_part.done", **ids, "content_index": 0, "part": part}
        )
        item = {**item, "status": "completed", "content": [part]}
        await _send(
            ws,
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "response_id": response_id,
                "item": item,
            },
        )
        done = _response(response_id, session, "completed", [item])
        await _send(ws, {"type": "response.done", "response": done})
        speech.spoken[text] += 1


def _session(session: dict[str, Any]) -> dict[str, Any]:
    """The session object (realtime_session_create_request.py: type, model, instructions,
    output_modalities, audio, max_output_tokens, ...)."""
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": f"sess_{random_id(20)}",
        "model": session["model"],
        "output_modalities": ["audio"],
        "instructions": session["instructions"],
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": int(time.time()) + 3600,
        "audio": {
            "input": {
                "format": dict(PCM_FORMAT),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": {"type": "server_vad", "threshold": 0.5},
            },
            "output": {"format": session["format"], "voice": session["voice"], "speed": 1.0},
        },
        "include": None,
    }


def _response(
    response_id: str, session: dict[str, Any], status: str, output: list[dict[str, Any]]
) -> dict[str, Any]:
    """The response object (realtime_response.py)."""
    return {
        "object": "realtime.response",
        "id": response_id,
        "status": status,
        "status_details": None,
        "output": output,
        "conversation_id": f"conv_{random_id(20)}",
        "output_modalities": ["audio"],
        "max_output_tokens": "inf",
        "audio": {"output": {"format": session["format"], "voice": session["voice"]}},
        "usage": {"total_tokens": 0, "input_tokens": 0, "output_tokens": 0},
        "metadata": None,
    }


async def _send(ws: web.WebSocketResponse, event: dict[str, Any]) -> None:
    await ws.send_str(json.dumps({"event_id": f"event_{random_id(20)}", **event}))
