"""A loopback fake of Replicate's HTTP API (predictions) and of its file delivery host."""

from __future__ import annotations

import asyncio
import base64
import math
import random
import re
import time
import zlib
from collections import deque
from http import HTTPStatus
from typing import Any

from aiohttp import web

from tests.fakes._common import (
    ClipCache,
    FaultQueue,
    LoopbackServer,
    PredictionRecord,
    SlidingWindow,
    bearer_token,
    input_seconds,
    iso_z,
    json_response,
    music_track,
    problem_json,
    random_id,
    read_json,
)
from tests.fakes.replicate_catalog import add_catalog_routes
from tests.fakes.replicate_files import (
    FILE_LIFETIME,
    FakeFile,
    add_file_routes,
    invalid_input,
    missing_file,
    parse_deadline,
    start_color,
    unknown_image_input,
)
from tests.fakes.replicate_images import (
    IMAGE_MODELS,
    missing_reference,
    png_bytes,
    portrait_color,
    reference_colors,
)

OUTCOMES = frozenset({"succeeded", "failed", "filtered", "empty", "stuck", "canceled", "aborted"})
DEFAULT_ERROR = "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.15 GiB total capacity)"
PALETTE = ("red", "lime", "blue", "yellow", "magenta", "cyan", "white", "orange")
SIZES = {"16:9": (160, 90), "9:16": (90, 160), "1:1": (96, 96)}
_SCENE_NUMBER = re.compile(r"scene\s*(\d+)", re.IGNORECASE)
# "aborted": "the prediction exceeded its deadline before it could start running"
# (https://replicate.com/docs/topics/predictions/lifecycle); replicate-python 1.0.7's
# Prediction model does not know it yet (replicate/replicate-python PR #460 adds it).
# google/lyria-2 answers one URI: a 48 kHz WAV of 32.8 s (its Replicate schema and Google's model
# card: bot/pipeline/sound/music.py)
MUSIC_MODELS = frozenset({"google/lyria-2"})
_TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
STATUSES = ("starting", "processing", "succeeded", "failed", "canceled", "aborted")
FOREIGN_MODELS = (
    "black-forest-labs/flux-schnell",
    "meta/meta-llama-3-8b-instruct",
    "openai/whisper",
)
# API predictions lose their input, output, output files and logs "after an hour, by default";
# web ones are kept (https://replicate.com/docs/topics/predictions/data-retention); the
# prediction then says `"data_removed": true` (Replicate's OpenAPI schema: "Whether the
# prediction output has been deleted").
DATA_RETENTION = 3600.0


class FakeReplicate(LoopbackServer):
    """Loopback fake of ``https://api.replicate.com`` for ``replicate.Client``.

    Use ``async with FakeReplicate() as fake:`` (or ``await fake.start()`` / ``await
    fake.close()``) and ``replicate.Client(api_token="t", base_url=fake.base_url)``.

    Routes: ``POST /v1/models/{owner}/{name}/predictions``, ``POST /v1/predictions`` (with
    ``version``: ``hash``, ``owner/name`` or ``owner/name:hash``), ``GET /v1/predictions/{id}``,
    ``POST /v1/predictions/{id}/cancel``, ``GET /v1/predictions`` (newest first, ``page_size``
    per page, absolute ``next``/``previous`` URLs), and ``GET /files/{id}.mp4`` (no auth, like
    replicate.delivery). API routes need ``Authorization: Bearer <token>`` (any token, or
    exactly ``api_token`` when set), else 401 ``{"title": "Unauthenticated", ...}``.

    Lifecycle, computed from the loop clock when read (no task per prediction): ``starting``,
    then ``processing`` after ``start_delay``, then the outcome after ``clip_delay`` from
    creation. Outcomes: "succeeded" (output ``{base}/files/{id}.mp4``, or ``[url]`` when
    ``output_as_list``), "failed" (``error``; "failed:TEXT" sets the text), "filtered"
    (succeeded, output None), "empty" (succeeded, output [] or ""), "stuck" (processing for
    ever), "canceled", "aborted" (stays ``starting``, never starts; ``aborted`` only when its
    create carried a ``Cancel-After`` deadline, else it waits on). A create's ``Cancel-After``
    ends a prediction still queued at its deadline ``aborted``, one still running ``canceled``.

    The list is the whole account's, as Replicate's is ("a paginated list of predictions that
    you've created. This will include predictions created from the API and the website. It
    will return 100 records per page", newest first: the "List predictions" operation of
    https://api.replicate.com/openapi.json): ``add_foreign`` puts other apps' predictions of
    other models, in every status, in it. ``data_retention`` seconds after an API prediction
    ended, its input, output, logs and file are removed (``data_removed: true``).

    Attributes (set freely):
        base_url: ``http://127.0.0.1:PORT`` (no ``/v1``; read only).
        requests: every request as ``RecordedRequest``; ``record_requests = False`` stops it.
        api_token: the only accepted token when not None (default None: any token).
        models: allowed ``owner/name`` (default None: any); others answer 404.
        versions: version hash -> ``owner/name`` for bare-hash creates (unknown: "fake/model").
        start_delay (0.02), clip_delay (0.1): seconds from creation.
        clip_jitter (0.0): each prediction takes clip_delay plus up to this many seconds more
            (uniformly random, fixed at creation), like real predictions whose times vary.
        answer_delay (0.0): seconds between creating a prediction and answering the create
            (a create "in flight" whose prediction already exists).
        auto_complete: False keeps predictions processing until ``complete``/``fail``.
        output_as_list (False), max_clip_seconds (1.0), palette (``PALETTE``).
        create_limit (600), read_limit (3000) per ``rate_window`` (60.0) seconds, sliding;
            over it: 429 with ``Retry-After: throttle_retry_after`` (1; the client sleeps that
            many seconds before retrying a GET).
        window_retry_hint (False): a 429 over the limits says when the window admits again
            (``Retry-After: N`` and ``"Your rate limit resets in ~Ns."``, N the whole seconds
            until the oldest counted request leaves the window) instead of
            ``throttle_retry_after``: what the benchmark's ``sustained`` scenario uses.
        throttled_at: (loop time, "create" or "other") of every request answered 429 by the
            limits (``counts["throttled_create"]`` counts the creates among them).
        page_size: predictions per list page (100).
        data_retention (3600.0): seconds after an API prediction ends until its data is removed.
        list_status (None): answer every ``GET /v1/predictions`` with this status (an outage;
            the SDK's RetryTransport retries 429/503/504 GETs: replicate/client.py).
        next_base_url (None): fault injection, not a documented behaviour: the list's
            ``next``/``previous`` URLs name this origin instead of the API's own.
        truncate_downloads (False), redirect_downloads_to (None), download_status (None).
        counts: "create", "get", "list", "cancel", "download", "files" (requests that passed
            auth and rate limit, injected failures included) and "throttled".
        files: id -> ``FakeFile`` uploaded through ``POST /v1/files`` (tests/fakes/replicate_files).
        unknown_inputs ("drop"): an input the model does not declare is accepted and ignored, as
            Replicate's API does ("has historically ignored unknown inputs": replicate/cog PR
            #2943); "reject" answers 422 as strictly validating Cog models did
            (tests/fakes/replicate_files.py).
        file_lifetime (3600.0): seconds an upload is kept (its ``expires_at``); after that the
            file is gone and a prediction naming it fails.
        deleted_files: ids of files deleted through ``DELETE /v1/files/{id}``, in order.
        uploaded: id -> ``FakeFile`` of every upload ever made (``files`` keeps the live ones).
        predictions: id -> ``PredictionRecord`` (id, model, version, input, prompt, status,
            canceled, created, color, seconds, width, height, output, error).

    Methods:
        script(outcomes, match=None): queue outcomes, consumed one per created prediction
            whose ``input.prompt`` contains ``match`` (any prediction when None).
        complete(id, outcome="succeeded") / fail(id, error=DEFAULT_ERROR): finish now.
        fail_next_creates(status, times=1, created=False): answer creates with ``status``;
            ``created=True`` creates the prediction first (an ambiguous failure).
        fail_next_gets(status, times=1): answer ``GET /v1/predictions/{id}`` with ``status``.
        abort(id): end a prediction that has not started ``aborted`` now (its deadline passed).
        add_foreign(count): ``count`` predictions of other models and sources, every status.
        delay_answers(seconds, match): hold the answer to creates whose prompt contains
            ``match`` (the prediction exists meanwhile: a create "in flight"); 0 ends it.
        advance(seconds): move the fake's clock on, as if that long had passed.
        corrupt(id, **fields): fault injection: serve these fields as they are (e.g. an
            ``error`` object) in this prediction's JSON, to test a client's defences.
        color_for(id), start_color_for(id), created_for(match), output_url(id).

    A prediction given a start image (on a model that takes one) renders a clip that opens on
    the image's average colour, then turns to its own palette colour.
    """

    def __init__(self, *, api_token: str | None = None) -> None:
        super().__init__()
        self.api_token = api_token
        self.models: set[str] | None = None
        self.versions: dict[str, str] = {}
        self.start_delay = 0.02
        self.clip_delay = 0.1
        self.clip_jitter = 0.0
        self.auto_complete = True
        self.output_as_list = False
        self.max_clip_seconds = 1.0
        self.palette: tuple[str, ...] = PALETTE
        self.create_limit = 600
        self.read_limit = 3000
        self.rate_window = 60.0
        self.throttle_retry_after = 1
        self.window_retry_hint = False
        self.throttled_at: list[tuple[float, str]] = []
        self.page_size = 100
        self.truncate_downloads = False
        self.redirect_downloads_to: str | None = None
        self.download_status: int | None = None
        self.answer_delay = 0.0
        self.data_retention = DATA_RETENTION
        self.list_status: int | None = None
        self.next_base_url: str | None = None
        self.files: dict[str, FakeFile] = {}
        self.unknown_inputs = "drop"
        self.file_lifetime = FILE_LIFETIME
        self.deleted_files: list[str] = []
        self.uploaded: dict[str, FakeFile] = {}
        self._answer_delays: dict[str, float] = {}
        self._skew = 0.0
        self.counts = dict.fromkeys(("create", "get", "list", "cancel", "download", "throttled"), 0)
        self.counts["throttled_create"] = 0
        self.predictions: dict[str, PredictionRecord] = {}
        self._order: list[str] = []
        self._scripts: list[tuple[str | None, deque[str]]] = []
        self._create_faults = FaultQueue()
        self._get_faults = FaultQueue()
        self._create_window = SlidingWindow()
        self._read_window = SlidingWindow()
        self._clips = ClipCache()

    @property
    def base_url(self) -> str:
        return self.origin

    # -- knobs ------------------------------------------------------------------------------
    def script(self, outcomes: list[str], match: str | None = None) -> None:
        for outcome in outcomes:
            if outcome.partition(":")[0] not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(OUTCOMES)}")
        self._scripts.append((match, deque(outcomes)))

    def fail_next_creates(self, status: int, times: int = 1, created: bool = False) -> None:
        self._create_faults.add(times, status=status, created=created)

    def fail_next_gets(self, status: int, times: int = 1) -> None:
        self._get_faults.add(times, status=status)

    def abort(self, prediction_id: str) -> None:
        rec = self.predictions[prediction_id]
        status = self._refresh(rec)
        if status != "starting":  # aborted means it never started (the lifecycle docs)
            raise ValueError(f"prediction {prediction_id} is {status}: only a starting one aborts")
        self._finish(rec, "aborted", None, self.now())

    def add_foreign(self, count: int) -> list[str]:
        """Predictions of other apps of the account: other models, web and API, every status."""
        ids = []
        for i in range(count):
            status = STATUSES[i % len(STATUSES)]
            model = FOREIGN_MODELS[i % len(FOREIGN_MODELS)]
            outcome = {"starting": "queued", "processing": "stuck"}.get(status, status)
            rec = self._new_prediction(model, "hidden", {"prompt": f"other app {i}"}, outcome)
            rec.source = "web" if i % 2 else "api"
            if status in _TERMINAL:
                self._finish(
                    rec, status, "out of memory" if status == "failed" else None, rec.created
                )
            ids.append(rec.id)
        return ids

    def delay_answers(self, seconds: float, match: str) -> None:
        self._answer_delays[match] = seconds

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on (an outage of an hour, in no time): predictions finish,
        and their data is removed, as if `seconds` had passed."""
        self._skew += seconds

    def now(self) -> float:
        return super().now() + self._skew

    def corrupt(self, prediction_id: str, **fields: Any) -> None:
        self.predictions[prediction_id].overrides.update(fields)

    def complete(self, prediction_id: str, outcome: str = "succeeded") -> None:
        if outcome not in ("succeeded", "filtered", "empty", "canceled"):
            raise ValueError(f"complete() takes succeeded/filtered/empty/canceled, not {outcome!r}")
        self._finish_now(prediction_id, outcome, None)

    def fail(self, prediction_id: str, error: str = DEFAULT_ERROR) -> None:
        self._finish_now(prediction_id, "failed", error)

    def color_for(self, prediction_id: str) -> str:
        return self.predictions[prediction_id].color

    def start_color_for(self, prediction_id: str) -> str | None:
        return self.predictions[prediction_id].start_color

    def created_for(self, match: str) -> list[PredictionRecord]:
        return [r for r in self.predictions.values() if match in r.prompt]

    def output_url(self, prediction_id: str) -> str:
        rec = self.predictions.get(prediction_id)
        if rec is not None and rec.model in MUSIC_MODELS:  # a music model answers audio
            return f"{self.base_url}/files/{prediction_id}.wav"
        if rec is not None and rec.model in IMAGE_MODELS:  # issue 24: a portrait
            return f"{self.base_url}/files/{prediction_id}.png"
        return f"{self.base_url}/files/{prediction_id}.mp4"

    # -- lifecycle --------------------------------------------------------------------------
    def _refresh(self, rec: PredictionRecord) -> str:
        if rec.final_status is not None:
            return rec.final_status
        elapsed = self.now() - rec.created
        delay = self.clip_delay if rec.delay is None else rec.delay
        if rec.outcome == "aborted":  # never leaves the queue
            # "Replicate sets the prediction's status to aborted if the deadline is reached
            # before it starts running" (https://replicate.com/changelog/2025-10-16-prediction-
            # deadlines): without a Cancel-After deadline nothing ends it, it waits on. The
            # deadline passes at `delay` when that is sooner (a test's compressed time).
            if rec.deadline is None or not self.auto_complete:
                return "starting"
            ends = min(delay, rec.deadline)
            if elapsed < ends:
                return "starting"
            self._finish(rec, "aborted", None, rec.created + ends)
            return "aborted"
        natural_end = (
            None if rec.outcome in ("stuck", "queued") or not self.auto_complete else delay
        )
        if (
            rec.deadline is not None
            and elapsed >= rec.deadline
            and (natural_end is None or rec.deadline < natural_end)
        ):
            # "... and canceled if the deadline is reached while it's running" (same page); one
            # still queued at its deadline is aborted
            started = rec.outcome != "queued" and rec.deadline >= self.start_delay
            if started and rec.started is None:
                rec.started = rec.created + self.start_delay
            self._finish(
                rec, "canceled" if started else "aborted", None, rec.created + rec.deadline
            )
            assert rec.final_status is not None
            return rec.final_status
        if elapsed < self.start_delay or rec.outcome == "queued":
            return "starting"
        if rec.started is None:
            rec.started = rec.created + self.start_delay
        if rec.outcome == "stuck" or not self.auto_complete or elapsed < delay:
            return "processing"
        self._finish(rec, rec.outcome, rec.error_text, rec.created + delay)
        assert rec.final_status is not None
        return rec.final_status

    def _finish(self, rec: PredictionRecord, outcome: str, error: str | None, at: float) -> None:
        rec.completed = at
        if outcome in ("canceled", "aborted"):  # aborted: never started
            rec.final_status = outcome
            return
        rec.started = min(rec.started or at, at)
        if outcome == "failed":
            rec.final_status, rec.error = "failed", error or DEFAULT_ERROR
        else:
            rec.final_status = "succeeded"
            url = self.output_url(rec.id)
            # flux-schnell's output is a list of URIs even for one image (its schema)
            listed = self.output_as_list or rec.model in IMAGE_MODELS
            rec.output = {
                "succeeded": [url] if listed else url,
                "filtered": None,
                "empty": [] if listed else "",
            }[outcome]

    def _finish_now(self, prediction_id: str, outcome: str, error: str | None) -> None:
        rec = self.predictions[prediction_id]
        if self._refresh(rec) in _TERMINAL:
            raise ValueError(f"prediction {prediction_id} is already {rec.final_status}")
        self._finish(rec, outcome, error, self.now())

    def data_removed(self, rec: PredictionRecord) -> bool:
        """Whether Replicate has removed the prediction's input, output, files and logs."""
        return (
            rec.source == "api"
            and self._refresh(rec) in _TERMINAL
            and rec.completed is not None
            and self.now() - rec.completed >= self.data_retention
        )

    def _prediction_json(self, rec: PredictionRecord) -> dict[str, Any]:
        status = self._refresh(rec)
        url = f"{self.base_url}/v1/predictions/{rec.id}"
        logs = {"starting": "", "processing": "Generating video...\n"}.get(
            status, "Generating video...\nDone.\n"
        )
        removed = self.data_removed(rec)
        metrics: dict[str, float] = {}
        if status in ("succeeded", "failed") and rec.completed is not None:
            metrics = {
                "predict_time": round(rec.completed - (rec.started or rec.created), 6),
                "total_time": round(rec.completed - rec.created, 6),
            }
        body = {
            "id": rec.id,
            "model": rec.model,
            "version": rec.version,
            "input": {} if removed else rec.input,
            "logs": "" if removed else logs,
            "output": None if removed else rec.output,
            "data_removed": removed,
            "error": rec.error,
            "source": rec.source,
            "status": status,
            "created_at": iso_z(rec.created_wall),
            "started_at": iso_z(rec.wall(rec.started)),
            "completed_at": iso_z(rec.wall(rec.completed)),
            "urls": {
                "cancel": f"{url}/cancel",
                "get": url,
                "stream": f"{self.base_url}/v1/stream/{rec.id}",
                "web": f"{self.base_url}/p/{rec.id}",
            },
            "metrics": metrics,
        }
        body.update(rec.overrides)
        return body

    def _take_outcome(self, prompt: str) -> str:
        for i, (match, queue) in enumerate(self._scripts):
            if match is None or match in prompt:
                outcome = queue.popleft()
                if not queue:
                    del self._scripts[i]
                return outcome
        return "succeeded"

    def _new_prediction(
        self, model: str, version: str, inputs: dict[str, Any], outcome: str | None = None
    ) -> PredictionRecord:
        prompt = inputs["prompt"]
        outcome, _, error_text = (outcome or self._take_outcome(prompt)).partition(":")
        scene = _SCENE_NUMBER.search(prompt)
        index = int(scene.group(1)) - 1 if scene else zlib.crc32(prompt.encode())
        seed = inputs.get("seed")
        if isinstance(seed, int) and not isinstance(seed, bool):
            # a model's output depends on its seed ("Random seed. Set for reproducible
            # generation": the seed input of the video models' schemas on replicate.com): a
            # seeded clip is never the colour the same scene has unseeded
            index += 1 + seed % (len(self.palette) - 1)
        width, height = SIZES.get(str(inputs.get("aspect_ratio")), SIZES["16:9"])
        seconds = min(input_seconds(inputs) or self.max_clip_seconds, self.max_clip_seconds)
        rec = PredictionRecord(
            id=random_id(),
            model=model,
            version=version,
            input=inputs,
            prompt=prompt,
            created=self.now(),
            created_wall=time.time(),
            outcome=outcome,
            error_text=error_text or None,
            color=self.palette[index % len(self.palette)],
            seconds=seconds,
            width=width,
            height=height,
            refresh=self._refresh,
            delay=(self.clip_delay + random.uniform(0, self.clip_jitter))
            if self.clip_jitter
            else None,
        )
        self.predictions[rec.id] = rec
        self._order.append(rec.id)
        return rec

    # -- HTTP -------------------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/models/{owner}/{name}/predictions", self._create_for_model)
        app.router.add_post("/v1/predictions", self._create_for_version)
        app.router.add_get("/v1/predictions", self._list)
        app.router.add_get("/v1/predictions/{id}", self._get)
        app.router.add_post("/v1/predictions/{id}/cancel", self._cancel)
        app.router.add_get("/files/{name}", self._download)
        add_catalog_routes(app, self)  # GET /v1/account, GET /v1/models/{owner}/{name}
        add_file_routes(app, self)  # POST /v1/files, GET/DELETE /v1/files/{id}

    def _error_body(self, request: web.Request, status: int, message: str) -> dict[str, Any]:
        detail = "Method not allowed." if status == 405 else "The requested resource was not found."
        return problem_json(status, detail, message)

    def _gate(self, request: web.Request, kind: str) -> web.Response | None:
        """Authentication and rate limits; counts the request when it passes."""
        token = bearer_token(request)
        if token is None or (self.api_token is not None and token != self.api_token):
            detail = (
                "You did not pass an authentication token"
                if token is None
                else "You did not pass a valid authentication token"
            )
            return json_response(problem_json(401, detail, "Unauthenticated"), 401)
        window, limit = (
            (self._create_window, self.create_limit)
            if kind == "create"
            else (self._read_window, self.read_limit)
        )
        # Replicate's documented budgets: "You can create predictions at 600 requests per
        # minute. All other endpoints you can call at 3000 requests per minute." Beyond them:
        # "status 429 with a body like {"detail":"Request was throttled. Your rate limit resets
        # in ~30s."}" (https://replicate.com/docs/topics/predictions/rate-limits). The page
        # also allows "short bursts ... above the default rate limits": a sliding 60 s window
        # with no burst above it is the strict reading, so a client that passes here passes
        # there. replicate-python 1.0.7 sleeps the `Retry-After` seconds before retrying a GET
        # (RetryTransport._calculate_sleep, replicate/client.py) and never retries a POST.
        now = self.now()
        if not window.admit(now, limit, self.rate_window):
            self.counts["throttled"] += 1
            self.throttled_at.append((now, "create" if kind == "create" else "other"))
            if kind == "create":
                self.counts["throttled_create"] += 1
            if self.window_retry_hint:
                return self._throttled(math.ceil(window.free_in(now, self.rate_window)), True)
            return self._throttled()
        self.counts[kind] += 1
        return None

    def _throttled(self, seconds: int | None = None, resets: bool = False) -> web.Response:
        n = self.throttle_retry_after if seconds is None else max(1, seconds)
        detail = f"Request was throttled. Expected available in {n} second{'' if n == 1 else 's'}."
        if resets:  # the documented wording (rate-limits page, above)
            detail = f"Request was throttled. Your rate limit resets in ~{n}s."
        body = problem_json(429, detail, "Too Many Requests")
        return json_response(body, 429, {"Retry-After": str(n)})

    def _injected(self, status: int) -> web.Response:
        if status == 429:
            return self._throttled()
        body = problem_json(status, f"Injected {status} from the fake Replicate API.")
        headers = {"Retry-After": str(self.throttle_retry_after)} if status == 503 else None
        return json_response(body, status, headers)

    async def _create_for_model(self, request: web.Request) -> web.Response:
        model = f"{request.match_info['owner']}/{request.match_info['name']}"
        return await self._create(request, model, "hidden")

    async def _create_for_version(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(version, str) or not version:
            return await self._create(request, None, "")
        ref, _, digest = version.rpartition(":") if ":" in version else ("", "", version)
        if "/" in digest:  # "owner/name" without a version
            ref, digest = digest, "hidden"
        return await self._create(request, ref or self.versions.get(digest, "fake/model"), digest)

    async def _create(self, request: web.Request, model: str | None, version: str) -> web.Response:
        if (failure := self._gate(request, "create")) is not None:
            return failure
        body = await read_json(request)
        inputs = body.get("input") if isinstance(body, dict) else None
        if model is None:
            detail = "- version: version is required\n"
            return json_response(problem_json(422, detail, "Input validation failed"), 422)
        if self.models is not None and model not in self.models:
            return json_response(problem_json(404, f"Model {model} not found.", "Not found"), 404)
        prompt = inputs.get("prompt") if isinstance(inputs, dict) else None
        if not isinstance(prompt, str) or not prompt.strip():
            detail = "- input: prompt is required\n" if prompt is None else "- input.prompt: empty"
            problem = problem_json(422, detail, "Input validation failed")
            problem["invalid_fields"] = [{"type": "required", "field": "input.prompt"}]
            return json_response(problem, 422)
        assert isinstance(inputs, dict)
        extra = unknown_image_input(model, inputs)
        if extra is not None and self.unknown_inputs == "reject":
            return invalid_input(extra)
        fault = self._create_faults.take()
        if fault is not None and not fault["created"]:
            return self._injected(fault["status"])
        opening = await start_color(self, model, inputs)
        references = await reference_colors(self, model, inputs)
        gone = missing_file(self, model, inputs) or missing_reference(self, model, inputs)
        rec = self._new_prediction(
            model, version, inputs, None if gone is None else f"failed:{gone}"
        )
        rec.start_color = opening
        if model in IMAGE_MODELS:  # issue 24: the portrait's colour comes from its prompt
            rec.color = portrait_color(rec.prompt)
        if references:  # issue 24: the clip is coloured by its first reference image
            rec.references = references
            rec.color = references[0]
        rec.deadline = parse_deadline(request.headers.get("Cancel-After"))
        delay = max(
            [self.answer_delay] + [s for m, s in self._answer_delays.items() if m in rec.prompt]
        )
        if delay > 0:
            await asyncio.sleep(delay)
        if fault is not None:
            return self._injected(fault["status"])
        return json_response(self._prediction_json(rec), 201)

    def _lookup(self, request: web.Request) -> PredictionRecord | web.Response:
        rec = self.predictions.get(request.match_info["id"])
        if rec is None:
            return json_response(problem_json(404, "Prediction not found.", "Not found"), 404)
        return rec

    async def _get(self, request: web.Request) -> web.Response:
        if (failure := self._gate(request, "get")) is not None:
            return failure
        if (fault := self._get_faults.take()) is not None:
            return self._injected(fault["status"])
        rec = self._lookup(request)
        return rec if isinstance(rec, web.Response) else json_response(self._prediction_json(rec))

    async def _cancel(self, request: web.Request) -> web.Response:
        if (failure := self._gate(request, "cancel")) is not None:
            return failure
        rec = self._lookup(request)
        if isinstance(rec, web.Response):
            return rec
        if self._refresh(rec) not in _TERMINAL:
            rec.canceled = True
            self._finish(rec, "canceled", None, self.now())
        return json_response(self._prediction_json(rec))

    async def _list(self, request: web.Request) -> web.Response:
        if (failure := self._gate(request, "list")) is not None:
            return failure
        if self.list_status is not None:
            return self._injected(self.list_status)
        total = len(self._order)
        high = total
        if cursor := request.query.get("cursor"):
            try:
                high = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("o="))
            except ValueError:
                return json_response(problem_json(400, "Invalid cursor."), 400)
        high = max(0, min(high, total))
        low = max(0, high - self.page_size)
        page = [self._prediction_json(self.predictions[i]) for i in reversed(self._order[low:high])]
        return json_response(
            {
                "previous": self._page_url(high + self.page_size) if high < total else None,
                "next": self._page_url(low) if low > 0 else None,
                "results": page,
            }
        )

    def _page_url(self, high: int) -> str:
        cursor = base64.urlsafe_b64encode(f"o={high}".encode()).decode()
        return f"{self.next_base_url or self.base_url}/v1/predictions?cursor={cursor}"

    async def _download(self, request: web.Request) -> web.StreamResponse:
        self.counts["download"] += 1
        if self.download_status is not None:
            status = self.download_status
            return web.Response(status=status, text=HTTPStatus(status).phrase)
        if self.redirect_downloads_to is not None:
            # the header as given, unchecked: a test may send a malformed one
            return web.Response(status=302, headers={"Location": self.redirect_downloads_to})
        name = request.match_info["name"]
        rec = self.predictions.get(
            name.removesuffix(".mp4").removesuffix(".wav").removesuffix(".png")
        )
        if rec is None or self._refresh(rec) != "succeeded" or self.data_removed(rec):
            return web.Response(status=404, text="Not Found")
        if rec.model in MUSIC_MODELS:  # issue 22: real audio, as long as the model renders
            return web.Response(body=await music_track(), content_type="audio/wav")
        if rec.model in IMAGE_MODELS:  # issue 24: a real PNG of the portrait's colour
            return web.Response(body=png_bytes(rec.color), content_type="image/png")
        color = rec.color if rec.start_color is None else f"{rec.start_color}>{rec.color}"
        if rec.input.get("generate_audio") is True:  # a model asked for its own sound (veo-3.1,
            color += "+sound"  # seedance-2.0, kling-v3: `generate_audio` in their schemas)
        data = await self._clips.get(rec.seconds, rec.width, rec.height, color)
        if not self.truncate_downloads:
            return web.Response(body=data, content_type="video/mp4")
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.content_length = len(data)
        await response.prepare(request)
        await response.write(data[: len(data) // 2])
        if request.transport is not None:
            request.transport.close()
        return response
