"""A loopback fake of the OpenAI REST API: models, moderations and structured chat completions."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Any, get_args

import jsonschema
from aiohttp import web
from openai.types.shared.chat_model import ChatModel

from tests.fakes._common import (
    FaultQueue,
    LoopbackServer,
    bearer_token,
    json_response,
    random_id,
    read_json,
)
from tests.fakes.openai_moderation_images import IMAGE_CATEGORY, flagged_image, image_parts
from tests.fakes.openai_realtime import REALTIME_MODELS, RealtimeRoute
from tests.fakes.openai_speech import SPEECH_MODELS, SpeechRoute
from tests.fakes.openai_vision import content_problem, image_urls

_EXACTLY = re.compile(r"exactly (\d+) scene", re.IGNORECASE)
_IDEA = re.compile(r"<<<(.*?)>>>", re.DOTALL)
_AFTER = re.compile(r"after scene (\d+) of the film so far")

MODERATION_CATEGORIES: dict[str, list[str]] = {
    "harassment": ["text"],
    "harassment/threatening": ["text"],
    "hate": ["text"],
    "hate/threatening": ["text"],
    "illicit": ["text"],
    "illicit/violent": ["text"],
    "self-harm": ["text"],
    "self-harm/instructions": ["text"],
    "self-harm/intent": ["text"],
    "sexual": ["text"],
    "sexual/minors": ["text"],
    "violence": ["text"],
    "violence/graphic": ["text"],
}

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    409: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
}

REFUSAL = "I can't help with that."

# The characters of every shot list whose schema asks for them
# (bot/pipeline/director/characters.py).
CAST = (
    ("Ada", "a tall woman with silver hair in a green wool coat"),
    ("Bo", "a small grey seal with a white patch over one eye"),
)

# The models the fake serves: every chat model the installed SDK names (openai/types/shared/
# chat_model.py, generated from OpenAI's API description) and the moderation models.
MODELS = (
    frozenset(get_args(ChatModel))
    | {"omni-moderation-latest", "omni-moderation-2024-09-26"}
    | SPEECH_MODELS
    | REALTIME_MODELS
)
# The fake's clock for shutdowns when the environment sets it (YYYY-MM-DD): a manual run of
# `python -m tests.fakes.serve` as if it were that day. Tests set `FakeOpenAI.today` instead.
TODAY_VARIABLE = "FAKE_OPENAI_TODAY"

# Announced shutdown dates, from OpenAI's deprecations page
# (https://developers.openai.com/api/docs/deprecations) and the "Deprecated values" note in
# openai/types/shared/chat_model.py (openai 3.57). The model object carries it as
# `shutdown_date` (openapi.json: components.schemas.Model; the deprecations page: "call the List
# models endpoint ... and check each model's optional shutdown_date field ... also available from
# the Retrieve a model endpoint"). After the date the model "will no longer be accessible".
SHUTDOWN_DATES: dict[str, date] = {
    **dict.fromkeys(
        (
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4.1-2025-04-14",
            "gpt-4.1-mini-2025-04-14",
            "gpt-4o",
            "gpt-4o-2024-11-20",
            "gpt-4o-2024-08-06",
            "gpt-4o-mini",
            "gpt-4o-mini-2024-07-18",
        ),
        date(2027, 1, 14),
    ),
    **dict.fromkeys(
        ("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-2025-08-07", "o3", "o3-2025-04-16"),
        date(2026, 12, 11),
    ),
    **dict.fromkeys(
        ("gpt-4.1-nano", "o4-mini", "o3-mini", "o1", "gpt-4-turbo", "gpt-4", "gpt-3.5-turbo"),
        date(2026, 10, 23),
    ),
    **dict.fromkeys(("gpt-5.1", "gpt-5.4-nano"), date(2027, 4, 1)),
    # openai/types/audio/speech_model.py: "Announced shutdown date: 2027-01-06"
    **dict.fromkeys(SPEECH_MODELS, date(2027, 1, 6)),
    # openai/types/realtime/realtime_session_create_request.py, the `model` field's note:
    # "Announced shutdown date: 2027-01-20"
    **dict.fromkeys(
        (
            "gpt-realtime",
            "gpt-realtime-2025-08-28",
            "gpt-realtime-mini",
            "gpt-realtime-mini-2025-12-15",
            "gpt-audio-mini",
            "gpt-audio-mini-2025-12-15",
        ),
        date(2027, 1, 20),
    ),
    **dict.fromkeys(("o1-mini", "o1-mini-2024-09-12"), date(2025, 10, 27)),
    **dict.fromkeys(("gpt-3.5-turbo-0613", "gpt-3.5-turbo-16k-0613"), date(2024, 9, 13)),
}


def openai_error(
    status: int, message: str | None = None, *, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The body OpenAI answers errors with."""
    err_type, default_code = _ERROR_TYPES.get(status, ("server_error", None))
    if message is None:
        message = f"Injected {status} {HTTPStatus(status).phrase} from the fake OpenAI API."
    return {
        "error": {
            "message": message,
            "type": err_type,
            "param": param,
            "code": code or default_code,
        }
    }


def _text_of(content: Any) -> str:
    """The text of a message content: a string, or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


class FakeOpenAI(LoopbackServer):
    """Loopback fake of ``https://api.openai.com/v1`` for ``openai.AsyncOpenAI``.

    Use ``async with FakeOpenAI() as fake:`` (or ``await fake.start()`` / ``await fake.close()``)
    and ``AsyncOpenAI(api_key="test", base_url=fake.base_url)``.

    Routes: ``GET /v1/models/{model}``, ``POST /v1/moderations``, ``POST /v1/chat/completions``,
    ``POST /v1/audio/speech``, ``GET /v1/realtime`` (a WebSocket: tests/fakes/openai_realtime.py).
    Every request, to any path, needs ``Authorization: Bearer <token>`` (any token, or exactly
    ``api_key`` when that is set), else 401 in OpenAI's error shape (``invalid_api_key`` for a
    wrong key). Unknown routes answer 404 in the same shape. A model that is not in ``models``,
    or whose ``shutdown_dates`` entry is on or before ``today``, answers 404 ``model_not_found``
    on ``GET /v1/models/{model}`` and when a chat or moderation request names it.

    The shot list is about the idea between ``<<<`` and ``>>>`` in the last user message when
    those markers are there (else the whole message): title ``Film: <idea>``, scene prompts
    ``Scene N: <idea>``.

    Attributes (set freely between requests):
        base_url: ``http://127.0.0.1:PORT/v1`` (read only).
        requests: every request received, as ``RecordedRequest`` (method, path, query, json,
            headers without ``Authorization``); ``record_requests = False`` stops recording.
        api_key: when not None, the only accepted bearer token (default None: any token).
        models: the model ids served (default ``MODELS``).
        shutdown_dates: model id -> announced shutdown date (default ``SHUTDOWN_DATES``).
        today: the fake's date for shutdowns (default: ``FAKE_OPENAI_TODAY`` from the
            environment when set, else None: today in UTC).
        flag_words: moderation flags an input containing any of these words,
            case-insensitively (default ``{"FLAGME"}``).
        scene_count: when not None, the number of scenes every shot list has (no clamping).
            Else N when a message says "exactly N scene(s)", else 3.
        scene_duration: ``duration`` of every scene (default 2).
        narration_words_per_second: when the response_format schema asks each scene for a
            ``narration``, each line has ``scene_duration`` times this many words (default 2.0).
        cast: when the schema asks for ``characters``, the named characters written, as
            (name, look) pairs (default ``CAST``; empty: a film without characters). Scene 1
            shows all of them, each look word for word; scene N > 1 shows character N-1 (round).
        looks_left_out: like a real model, which keeps the schema's shape but not always the
            prompt's wording (strict structured outputs guarantee "responses that adhere to
            your supplied JSON Schema", nothing about the text: platform.openai.com/docs/guides/
            structured-outputs), scenes after the first leave the look out (default True): an
            even scene names its character without the look, an odd one only lists it.
        speech: the speech endpoint's state and knobs (``tests/fakes/openai_speech.py``); the
            Realtime endpoint records and obeys the same (``requests``, ``spoken``, ``hold``).
        realtime: the Realtime endpoint's sessions and error events.
        delay: seconds slept before answering each chat completion (default 0.0): a slow
            model, for the client's timeout and retries (the SDK retries a timed-out request).
        chat_requests: the JSON body of every chat request, in order.
        flag_colors: images (in a moderation's multi-modal input) whose average colour is close
            to one of these ``0xRRGGBB`` are flagged (tests/fakes/openai_moderation_images.py).
        moderated_images: images moderated so far.
        retry_after_ms: value of ``retry-after-ms`` sent with injected 429 and 5xx answers
            (default 1, so the client's own retries are immediate; ``retry-after`` is "0").
        calls: ``{"chat": n, "moderations": n}`` (and ``"speech"`` once spoken to):
            authenticated requests per endpoint,
            injected failures included.
        last_schema: the JSON schema of the latest chat request's ``response_format``.
        images: the image URLs (data URLs included) of every chat request's user messages, in
            order (content parts are checked: tests/fakes/openai_vision.py).

    Methods (each queues ``times`` one-shot behaviours, consumed in order of registration):
        fail_next(status, times=1, path=None): answer ``status`` with an OpenAI error JSON to
            the next requests whose path ends with ``path`` (any route when None; the models
            route included).
        malformed_next(times=1): chat content that is not valid JSON.
        wrong_shape_next(times=1): chat content that is valid JSON without ``scenes`` (not
            checked against the schema).
        refuse_next(times=1): ``message.refusal = REFUSAL`` and ``content = None``.
    A chat request consumes at most one of refusal, malformed, wrong-shape (in that order).

    The shot list ``{"title", "style", "scenes": [{"prompt", "duration"}]}`` is validated with
    ``jsonschema`` against the ``response_format.json_schema.schema`` of the request; when it
    does not validate, the answer is 400 ``invalid_request_error`` naming the mismatch.
    """

    def __init__(self, *, api_key: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self.models: set[str] = set(MODELS)
        self.shutdown_dates: dict[str, date] = dict(SHUTDOWN_DATES)
        fixed = os.environ.get(TODAY_VARIABLE)
        self.today: date | None = date.fromisoformat(fixed) if fixed else None
        self.flag_words: set[str] = {"FLAGME"}
        self.scene_count: int | None = None
        self.scene_duration: int = 2
        self.music_direction = "slow strings and soft piano, 70 bpm, hopeful"  # issue 22
        self.narration_words_per_second: float = 2.0  # length of the narration lines written
        self.cast: list[tuple[str, str]] = list(CAST)
        self.looks_left_out = True
        self.delay: float = 0.0
        self.retry_after_ms: int = 1
        self.calls: dict[str, int] = {"chat": 0, "moderations": 0}  # "speech" from its first
        self.speech = SpeechRoute(self)  # POST /v1/audio/speech (tests/fakes/openai_speech.py)
        self.realtime = RealtimeRoute(self)  # GET /v1/realtime (tests/fakes/openai_realtime.py)
        self.last_schema: dict[str, Any] | None = None
        self.images: list[str] = []
        self.chat_requests: list[Any] = []  # every chat request's JSON body, in order
        self.flag_colors: set[str] = set()  # images of these colours are flagged (0xRRGGBB)
        self.moderated_images = 0
        self._faults = FaultQueue()
        self._content_faults = {"refuse": 0, "malformed": 0, "wrong_shape": 0}
        self._validators: dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    # -- knobs ------------------------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1, path: str | None = None) -> None:
        self._faults.add(times, status=status, path=path)

    def malformed_next(self, times: int = 1) -> None:
        self._content_faults["malformed"] += times

    def wrong_shape_next(self, times: int = 1) -> None:
        self._content_faults["wrong_shape"] += times

    def refuse_next(self, times: int = 1) -> None:
        self._content_faults["refuse"] += times

    # -- plumbing ---------------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/models/{model}", self._model)
        app.router.add_post("/v1/moderations", self._moderations)
        app.router.add_post("/v1/chat/completions", self._chat)
        self.speech.register(app)
        self.realtime.register(app)

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Authentication before routing: the real API answers a missing or wrong key with 401
        whatever the path (openapi.json: top-level ``security: [ApiKeyAuth]``, for every path;
        https://platform.openai.com/docs/api-reference/authentication)."""

        async def authenticated(req: web.Request) -> web.StreamResponse:
            if (failure := self._auth_failure(req)) is not None:
                return failure
            return await handler(req)

        return await super()._middleware(request, authenticated)

    def _error_body(self, request: web.Request, status: int, reason: str) -> dict[str, Any]:
        body = openai_error(status, f"Invalid URL ({request.method} {request.path})")
        body["error"]["code"] = None
        return body

    def _headers(self) -> dict[str, str]:
        return {"x-request-id": f"req_{random_id(24)}", "openai-processing-ms": "1"}

    def _error(self, status: int, body: dict[str, Any]) -> web.Response:
        headers = self._headers()
        if status == 429 or status >= 500:
            headers["retry-after-ms"] = str(self.retry_after_ms)
            headers["retry-after"] = "0"
        return json_response(body, status, headers)

    def _auth_failure(self, request: web.Request) -> web.Response | None:
        token = bearer_token(request)
        if token is None:
            message = (
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
            body = openai_error(401, message)
            body["error"]["code"] = None
            return self._error(401, body)
        if self.api_key is not None and token != self.api_key:
            # the real message quotes the key, masked: its first 8 and last 4 characters stay,
            # one asterisk for each character between ("sk-proj-****…****SJh4" in
            # github.com/IIC2440/Syllabus-2025-1/issues/13 and continuedev/continue/issues/9634;
            # "sk-PMafP" + 39 asterisks + "E873" for a 51-character key in
            # popjane/free_chatgpt_api/issues/3); a key too short for that is quoted whole
            # ("Incorrect API key provided: ai." — continuedev/continue/issues/10398)
            hidden = len(token) - 12
            masked = token[:8] + "*" * hidden + token[-4:] if hidden > 0 else token
            message = (
                f"Incorrect API key provided: {masked}. You can find your API key at "
                "https://platform.openai.com/account/api-keys."
            )
            return self._error(401, openai_error(401, message, code="invalid_api_key"))
        return None

    def _injected(self, request: web.Request) -> web.Response | None:
        if not self._faults.entries:
            return None
        entry = self._faults.take(lambda e: e["path"] is None or request.path.endswith(e["path"]))
        if entry is None:
            return None
        return self._error(entry["status"], openai_error(entry["status"]))

    def _take_content_fault(self) -> str | None:
        for name, left in self._content_faults.items():
            if left > 0:
                self._content_faults[name] = left - 1
                return name
        return None

    # -- models ------------------------------------------------------------------------------
    def _today(self) -> date:
        return self.today or datetime.now(UTC).date()

    def _model_missing(self, model: str) -> web.Response | None:
        """404 ``model_not_found`` for a model not served, or past its shutdown date, in the
        shape and words OpenAI uses (e.g. github.com/shobrook/wut/issues/14: "The model `gpt-4o`
        does not exist or you do not have access to it.", type invalid_request_error, param
        null, code model_not_found)."""
        shutdown = self.shutdown_dates.get(model)
        if model in self.models and (shutdown is None or self._today() < shutdown):
            return None
        message = f"The model `{model}` does not exist or you do not have access to it."
        return self._error(404, openai_error(404, message, code="model_not_found"))

    async def _model(self, request: web.Request) -> web.Response:
        """Retrieve a model (openapi.json: ``GET /models/{model}`` -> ``Model``: id, object
        "model", created, owned_by, shutdown_date)."""
        model = request.match_info["model"]
        if (failure := self._injected(request)) is not None:
            return failure
        if (missing := self._model_missing(model)) is not None:
            return missing
        shutdown = self.shutdown_dates.get(model)
        return json_response(
            {
                "id": model,
                "object": "model",
                "created": 1_700_000_000,
                "owned_by": "system",
                "shutdown_date": shutdown.isoformat() if shutdown else None,
            },
            headers=self._headers(),
        )

    # -- moderations ------------------------------------------------------------------------
    async def _moderations(self, request: web.Request) -> web.Response:
        self.calls["moderations"] += 1
        if (failure := self._injected(request)) is not None:
            return failure
        body = await read_json(request)
        if not isinstance(body, dict) or "input" not in body:
            message = "Missing required parameter: 'input'."
            return self._error(400, openai_error(400, message, param="input"))
        if isinstance(body.get("model"), str) and (gone := self._model_missing(body["model"])):
            return gone
        raw = body["input"]
        if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
            texts = raw  # one result per string
        else:  # one string, or one multi-modal input made of content parts
            texts = [_text_of(raw)]
        words = [w.lower() for w in self.flag_words]
        results = [self._moderation_result(any(w in t.lower() for w in words)) for t in texts]
        images = image_parts(raw)
        self.moderated_images += len(images)
        if images and await flagged_image(images, self.flag_colors):
            results = [self._image_flagged()]
        reply = {
            "id": f"modr-{random_id(24)}",
            "model": body.get("model") or "omni-moderation-latest",
            "results": results,
        }
        return json_response(reply, headers=self._headers())

    def _image_flagged(self) -> dict[str, Any]:
        result = self._moderation_result(True)
        result["categories"]["violence"] = False
        result["categories"][IMAGE_CATEGORY] = True
        result["category_scores"][IMAGE_CATEGORY] = 0.91
        result["category_applied_input_types"][IMAGE_CATEGORY] = ["image"]
        return result

    @staticmethod
    def _moderation_result(flagged: bool) -> dict[str, Any]:
        categories = dict.fromkeys(MODERATION_CATEGORIES, False)
        scores = dict.fromkeys(MODERATION_CATEGORIES, 1e-6)
        if flagged:
            categories["violence"] = True
            scores["violence"] = 0.93
        return {
            "flagged": flagged,
            "categories": categories,
            "category_scores": scores,
            "category_applied_input_types": {k: list(v) for k, v in MODERATION_CATEGORIES.items()},
        }

    # -- chat completions -------------------------------------------------------------------
    async def _chat(self, request: web.Request) -> web.Response:
        self.calls["chat"] += 1
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        if (failure := self._injected(request)) is not None:
            return failure
        body = await read_json(request)
        self.chat_requests.append(body)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            message = "Missing required parameter: 'messages'."
            return self._error(400, openai_error(400, message, param="messages"))
        if (gone := self._model_missing(str(body.get("model")))) is not None:
            return gone
        messages = [m for m in body["messages"] if isinstance(m, dict)]
        if (problem := content_problem(messages)) is not None:
            text, param, code = problem
            return self._error(400, openai_error(400, text, param=param, code=code))
        self.images += image_urls(messages)
        schema = self._schema_of(body.get("response_format"))
        self.last_schema = schema
        if _asks_one_prompt(schema):  # a scene rewritten from a member's note (a reroll)
            content = json.dumps(self._rewritten(messages))
            return json_response(
                self._completion(body, messages, content, None), headers=self._headers()
            )

        refusal: str | None = None
        content: str | None
        fault = self._take_content_fault()
        shot_list = self._shot_list(messages)
        if _asks_narration(schema):
            self._narrate(shot_list)
        if _asks_characters(schema):
            self._cast(shot_list)
        if schema is not None and "music" in (schema.get("properties") or {}):
            # issue 22: the plan's one line of musical direction (its `music` property)
            shot_list["music"] = self.music_direction
        if fault == "refuse":
            content, refusal = None, REFUSAL
        elif fault == "malformed":
            content = json.dumps(shot_list)[:-7] + ' "oops'
        elif fault == "wrong_shape":
            content = json.dumps({"title": shot_list["title"], "style": shot_list["style"]})
        else:
            if schema is not None:
                error = self._validation_error(schema, shot_list)
                if error is not None:
                    message = (
                        f"The fake shot list does not match the response_format schema: {error}"
                    )
                    body400 = openai_error(400, message, param="response_format")
                    return self._error(400, body400)
            content = json.dumps(shot_list)
        return json_response(
            self._completion(body, messages, content, refusal), headers=self._headers()
        )

    @staticmethod
    def _schema_of(response_format: Any) -> dict[str, Any] | None:
        if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
            return None
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else None

    def _validation_error(self, schema: dict[str, Any], instance: Any) -> str | None:
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            cls = jsonschema.validators.validator_for(
                schema, default=jsonschema.Draft202012Validator
            )
            cls.check_schema(schema)
            validator = self._validators[key] = cls(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return f"{where}: {error.message}"

    def _shot_list(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        user_texts = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
        text = user_texts[-1] if user_texts else ""
        idea = _IDEA.search(text)  # the Analyst wraps the member's idea in <<< >>>
        prompt = " ".join((idea.group(1) if idea else text).split()) or "untitled"
        count = self.scene_count
        if count is None:
            match = None
            for m in messages:
                match = _EXACTLY.search(_text_of(m.get("content"))) or match
            count = int(match.group(1)) if match else 3
        # a continuation (issue 24's Extend: bot/pipeline/analysis/extend.py asks for "scenes
        # N+1 to N+k, after scene N") goes on numbering where the film stopped
        after = _AFTER.search(text)
        first = int(after.group(1)) if after else 0
        scenes: list[dict[str, Any]] = [
            {"prompt": f"Scene {first + i + 1}: {prompt}", "duration": self.scene_duration}
            for i in range(count)
        ]
        return {"title": f"Film: {prompt[:60]}", "style": "cinematic, warm light", "scenes": scenes}

    @staticmethod
    def _rewritten(messages: list[dict[str, Any]]) -> dict[str, str]:
        """A scene rewrite: with Structured Outputs the answer adheres to the request's JSON
        schema (https://platform.openai.com/docs/guides/structured-outputs), here
        ``{"prompt"}``; the fake writes the scene (the second-last ``<<< >>>`` block of the
        last user message) followed by the note (the last block)."""
        user_texts = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
        blocks = [" ".join(b.split()) for b in _IDEA.findall(user_texts[-1] if user_texts else "")]
        scene, note = (blocks[-2], blocks[-1]) if len(blocks) >= 2 else ("a scene", "")
        return {"prompt": f"{scene}, {note}".rstrip(", ")}

    def _narrate(self, shot_list: dict[str, Any]) -> None:
        """A narration line per scene that fits it, as the Analyst asks (words per second):
        "Line N:" and the first words of the idea."""
        words = shot_list["title"].removeprefix("Film: ").split()
        for i, scene in enumerate(shot_list["scenes"]):
            budget = max(1, int(scene["duration"] * self.narration_words_per_second))
            scene["narration"] = " ".join([f"Line {i + 1}:", *words][:budget])

    def _cast(self, shot_list: dict[str, Any]) -> None:
        """The named characters (``cast``) and the ones each scene shows (see ``cast``,
        ``looks_left_out``)."""
        shot_list["characters"] = [{"name": n, "look": look} for n, look in self.cast]
        for i, scene in enumerate(shot_list["scenes"]):
            scene["characters"] = []
            if not self.cast:
                continue
            shown = self.cast if i == 0 else [self.cast[(i - 1) % len(self.cast)]]
            scene["characters"] = [n for n, _ in shown]
            if i == 0 or not self.looks_left_out:
                scene["prompt"] += "".join(f", with {n}, {look}" for n, look in shown)
            elif i % 2 == 1:  # scene 2, 4, ...: named, the look left out
                scene["prompt"] += f", {shown[0][0]} looks on"

    @staticmethod
    def _completion(
        body: dict[str, Any],
        messages: list[dict[str, Any]],
        content: str | None,
        refusal: str | None,
    ) -> dict[str, Any]:
        prompt_tokens = sum(len(_text_of(m.get("content"))) for m in messages) // 4 + 1
        completion_tokens = len(content or refusal or "") // 4 + 1
        return {
            "id": f"chatcmpl-{random_id(29)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or "gpt-6-luna",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "refusal": refusal,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fake0001",
        }


def _asks_narration(schema: dict[str, Any] | None) -> bool:
    """Whether the shot-list schema has a ``narration`` property on its scenes."""
    return schema is not None and '"narration"' in json.dumps(schema)


def _asks_one_prompt(schema: dict[str, Any] | None) -> bool:
    """Whether the schema asks for one ``prompt`` (a scene rewrite), not a shot list."""
    return schema is not None and set(schema.get("properties") or {}) == {"prompt"}


def _asks_characters(schema: dict[str, Any] | None) -> bool:
    """Whether the shot-list schema has a ``characters`` property."""
    return schema is not None and '"characters"' in json.dumps(schema)
