"""Shared plumbing of the loopback HTTP fakes (OpenAI, Replicate).

A fake is an aiohttp application on 127.0.0.1, port 0, that records every request it
receives and answers JSON with ``Content-Type: application/json`` exactly.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import random
import shutil
import string
import subprocess
import tempfile
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, Self

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_ID_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake saw it (the ``Authorization`` header left out)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str] = field(repr=False)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON reply whose Content-Type is exactly ``application/json``."""
    # body= (bytes), not text=: with text= aiohttp appends "; charset=utf-8".
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def random_id(length: int = 26) -> str:
    """A lowercase alphanumeric id, like Replicate's prediction ids."""
    return "".join(random.choices(_ID_ALPHABET, k=length))


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class SlidingWindow:
    """At most ``limit`` events per ``window`` seconds; amortised O(1) per call."""

    def __init__(self) -> None:
        self._stamps: deque[float] = deque()

    def admit(self, now: float, limit: int, window: float) -> bool:
        """Record an event at ``now`` and return True, or return False when over the limit."""
        stamps = self._stamps
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) >= limit:
            return False
        stamps.append(now)
        return True

    def free_in(self, now: float, window: float) -> float:
        """Seconds from ``now`` until the oldest event leaves the window (0 when empty): when a
        full window admits again."""
        return max(0.0, self._stamps[0] + window - now) if self._stamps else 0.0


@dataclass(slots=True)
class FaultQueue:
    """Injected failures, consumed one per matching request, first registered first."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, times: int, **entry: Any) -> None:
        if times > 0:
            self.entries.append({"times": times, **entry})

    def take(self, predicate: Callable[[dict[str, Any]], bool] | None = None) -> dict | None:
        for entry in self.entries:
            if predicate is None or predicate(entry):
                entry["times"] -= 1
                if entry["times"] <= 0:
                    self.entries.remove(entry)
                return entry
        return None


class LoopbackServer:
    """Base of the fakes: lifetime, request log, JSON 404/405 for unknown routes.

    Subclasses implement ``_add_routes(app)`` and may override ``_not_found_body``.
    """

    #: Set to False in long benchmarks to stop growing ``requests``.
    record_requests: bool

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.record_requests = True
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def now(self) -> float:
        """The clock of the event loop the fake was started on (monotonic seconds)."""
        if self._loop is None:
            raise RuntimeError("the fake is not started: use `async with` or `await start()`")
        return self._loop.time()

    # -- lifetime -----------------------------------------------------------------------
    async def start(self) -> Self:
        if self._runner is not None:
            return self
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024**2)
        self._add_routes(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)  # benchmark bursts
        await site.start()
        self._port = runner.addresses[0][1]
        self._loop = asyncio.get_running_loop()
        self._runner = runner
        return self

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._port is None:
            raise RuntimeError("the fake is not started: use `async with` or `await start()`")
        return f"http://127.0.0.1:{self._port}"

    # -- hooks --------------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def _error_body(self, request: web.Request, status: int, reason: str) -> dict[str, Any]:
        return {"detail": reason, "status": status}

    # -- middleware ---------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.record_requests:
            body: Any = None
            if request.can_read_body:
                raw = await request.read()  # cached: handlers may read it again
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
            headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
            self.requests.append(
                RecordedRequest(request.method, request.path, dict(request.query), body, headers)
            )
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status in (404, 405):
                body = self._error_body(request, exc.status, exc.reason)
                return json_response(body, exc.status)
            raise


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or None when absent or invalid."""
    try:
        return await request.json()
    except ValueError:
        return None


# -- real mp4 clips, generated once per process and parameters ---------------------------
ClipKey = tuple[float, int, int, str]
_CLIP_BYTES: dict[ClipKey, bytes] = {}
_clip_dir: Path | None = None


def _clips_dir() -> Path:
    global _clip_dir
    if _clip_dir is None:
        _clip_dir = Path(tempfile.mkdtemp(prefix="reelbot-fake-clips-"))
        atexit.register(shutil.rmtree, _clip_dir, True)
    return _clip_dir


def _render_clip(key: ClipKey) -> bytes:
    from tests.fakes.mp4 import make_clip  # lazily: a sibling module, heavy to import

    seconds, width, height, color = key
    color, _, sound = color.partition("+")  # "COLOR+sound": the clip carries its own sound
    first, _, color = color.rpartition(">")  # "FIRST>COLOR": opens on FIRST (a start image's)
    final = _clips_dir() / f"{width}x{height}_{seconds:g}s_{first}_{color}{sound}.mp4"
    if not final.exists():  # make_clip writes atomically
        make_clip(
            final,
            seconds=seconds,
            width=width,
            height=height,
            color=color,
            first_color=first or None,
            audio=bool(sound),
        )
    return final.read_bytes()


class ClipCache:
    """Real small mp4 files by (seconds, width, height, color), rendered off the event loop.

    Rendered bytes are shared by every fake of the process; concurrent requests for the same
    clip wait for one rendering.
    """

    def __init__(self) -> None:
        self._pending: dict[ClipKey, asyncio.Future[bytes]] = {}

    async def get(self, seconds: float, width: int, height: int, color: str) -> bytes:
        key: ClipKey = (round(seconds, 3), width, height, color)
        data = _CLIP_BYTES.get(key)
        if data is not None:
            return data
        future = self._pending.get(key)
        if future is None:
            future = asyncio.ensure_future(asyncio.to_thread(_render_clip, key))
            self._pending[key] = future
            future.add_done_callback(lambda _f: self._pending.pop(key, None))
        data = await asyncio.shield(future)
        _CLIP_BYTES[key] = data
        return data


# -- Replicate ---------------------------------------------------------------------------
def problem_json(status: int, detail: str, title: str | None = None) -> dict[str, Any]:
    """Replicate's error body (RFC 7807 problem details)."""
    return {"detail": detail, "status": status, "title": title or HTTPStatus(status).phrase}


def iso_z(wall: float | None) -> str | None:
    """``time.time()`` seconds as ISO 8601 UTC with a ``Z``, like Replicate's timestamps."""
    if wall is None:
        return None
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def input_seconds(inputs: dict[str, Any]) -> float | None:
    """The clip length a video model's input asks for, if any."""
    for key in ("duration", "seconds"):
        value = inputs.get(key)
        if isinstance(value, int | float) and value > 0:
            return float(value)
    frames, fps = inputs.get("num_frames"), inputs.get("fps") or inputs.get("frames_per_second")
    if isinstance(frames, int | float) and isinstance(fps, int | float) and frames > 0 < fps:
        return frames / fps
    return None


@dataclass(eq=False)
class PredictionRecord:
    """Server-side state of one prediction. ``status`` is computed when read."""

    id: str
    model: str
    version: str
    input: dict[str, Any]
    prompt: str
    created: float  # event-loop clock
    created_wall: float  # time.time() at creation
    outcome: str  # what it becomes once its clip_delay has passed
    error_text: str | None
    color: str
    seconds: float
    width: int
    height: int
    canceled: bool = False
    started: float | None = None
    completed: float | None = None
    final_status: str | None = None
    output: Any = None
    error: str | None = None
    refresh: Callable[[PredictionRecord], str] | None = field(default=None, repr=False)
    delay: float | None = None  # its own clip_delay (set when the fake jitters delays)
    source: str = "api"  # "api" or "web": how it was created (web data is kept for good)
    overrides: dict[str, Any] = field(default_factory=dict)  # fault injection: fields as served
    start_color: str | None = None  # the start image's colour ("0xRRGGBB"): the clip opens on it
    deadline: float | None = None  # seconds from creation its create's Cancel-After header gave
    references: list[str] = field(default_factory=list)  # its reference images' colours (issue 24)

    @property
    def status(self) -> str:
        """The status now (computed from the clock)."""
        assert self.refresh is not None
        return self.refresh(self)

    def wall(self, loop_time: float | None) -> float | None:
        return None if loop_time is None else self.created_wall + (loop_time - self.created)


_MUSIC: list[bytes] = []


def _render_music() -> bytes:
    """A real score as google/lyria-2 answers it: 32.8 s of 48 kHz 16-bit stereo WAV (a soft
    two-note chord, swelling, so it is neither silent nor constant)."""
    import imageio_ffmpeg

    final = _clips_dir() / "lyria-2_32.8s.wav"
    if not final.exists():
        tmp = final.with_suffix(".tmp.wav")
        graph = (
            "sine=f=220:d=32.8:sample_rate=48000[a];sine=f=330:d=32.8:sample_rate=48000[b];"
            "[a][b]amerge=inputs=2,volume='0.5+0.3*sin(t)':eval=frame[out]"
        )
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-filter_complex", graph,
             "-map", "[out]", "-c:a", "pcm_s16le", "-f", "wav", str(tmp)],
            check=True, timeout=60,
        )  # fmt: skip
        tmp.replace(final)
    return final.read_bytes()


async def music_track() -> bytes:
    if not _MUSIC:
        _MUSIC.append(await asyncio.to_thread(_render_music))
    return _MUSIC[0]
