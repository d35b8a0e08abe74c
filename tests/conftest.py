"""Shared fixtures: an isolated environment, the provider fakes, settings pointing at them, and
a harness around the real runner built by `open_services`.

Every test runs in its own empty working directory with every Reelbot variable removed from
the environment (so neither the developer's `.env` nor their shell can leak in), and with
outgoing connections limited to loopback (so a misconfigured client fails loudly instead of
calling a real provider).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.pipeline.events import Event
from bot.pipeline.run.runner import Runner
from bot.services import Services, open_services
from storage.models import Generation, NewGeneration
from storage.repository import Repository
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate
from tests.fakes.serve import provider_env
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures: a real PostgreSQL server)

SETTINGS_VARIABLES = tuple(name.upper() for name in Settings.model_fields)
TEST_OWNER = 4242
IDEA = "a lighthouse keeper adopts a seal"

# -- isolation -------------------------------------------------------------------------------


def _refuse_remote(address: Any) -> None:
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        try:
            loopback = ipaddress.ip_address(address[0].split("%")[0]).is_loopback
        except ValueError:
            loopback = address[0] == "localhost"
        if not loopback:
            raise ConnectionRefusedError(f"tests may only connect to loopback, not {address[0]}")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Reelbot variable from the outside, an empty working directory, loopback only."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.chdir(tmp_path)

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        _refuse_remote(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _refuse_remote(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


# -- fakes -----------------------------------------------------------------------------------


@pytest.fixture
async def openai_fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def replicate_fake() -> AsyncIterator[FakeReplicate]:
    async with FakeReplicate() as fake:
        fake.throttle_retry_after = 0  # the client sleeps Retry-After seconds between GETs
        yield fake


@pytest.fixture
def fake_env(openai_fake: FakeOpenAI, replicate_fake: FakeReplicate) -> dict[str, str]:
    """The provider variables that point Reelbot at the fakes."""
    return provider_env(openai_fake, replicate_fake)


# -- settings --------------------------------------------------------------------------------


@pytest.fixture
def make_settings(
    fake_env: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[..., Settings]:
    """Settings pointing at the fakes, with the database and media in `tmp_path`; keyword
    arguments override (by field name). REELBOT_TEST_BACKEND=postgres: the database is a fresh
    one on the session's PostgreSQL server instead (to run any test on PostgreSQL)."""
    database_url = None
    if os.environ.get("REELBOT_TEST_BACKEND") == "postgres":
        database_url = request.getfixturevalue("pg_server").create_database_blocking()

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {name.lower(): value for name, value in fake_env.items()}
        values["media_allowed_hosts"] = values["media_allowed_hosts"].split(",")
        values.update(
            database_path=tmp_path / "data" / "reelbot.sqlite3",
            media_dir=tmp_path / "data" / "media",
            replicate_poll_seconds=0.05,
            clip_timeout_seconds=20.0,
            max_clips=4,
            # tests make many films as one member: unlimited unless a test sets a limit
            daily_video_seconds_limit=0,
            clip_moderation=False,  # each clip's frames moderated: on in tests that say so
        )
        if database_url:
            values["database_url"] = database_url
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


# -- the runner ------------------------------------------------------------------------------


@dataclass
class RecordingDeliverer:
    """Delivers by copying the film aside; records every call."""

    folder: Path
    calls: list[tuple[int, Path]] = field(default_factory=list)

    async def deliver(self, generation: Generation, film: Path, *, version: int = 1) -> str:
        self.calls.append((generation.id, film))
        tag = "" if version == 1 else f"-v{version}"
        dest = self.folder / f"delivered-{generation.id}{tag}.mp4"
        dest.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(shutil.copyfile, film, dest)
        return f"test:{dest.name}"


@dataclass
class Harness:
    """Services from `open_services`, a recording deliverer for source "cli", and every
    event published on the bus."""

    services: Services
    deliverer: RecordingDeliverer
    events: list[Event] = field(default_factory=list)

    @property
    def runner(self) -> Runner:
        return self.services.runner

    @property
    def repo(self) -> Repository:
        return self.services.repo

    async def submit(
        self,
        prompt: str = IDEA,
        *,
        clips: int | None = None,
        owner_id: int = TEST_OWNER,
        **options: Any,
    ) -> Generation:
        """Start a generation from source "cli"; `options` are other `NewGeneration` fields."""
        new = NewGeneration(
            owner_id=owner_id, prompt=prompt, source="cli", clips_requested=clips, **options
        )
        return await self.services.runner.submit(new)

    async def generate(
        self, prompt: str = IDEA, *, timeout: float = 30, **options: Any
    ) -> Generation:
        """Submit and wait for the final state."""
        generation = await self.submit(prompt, **options)
        async with asyncio.timeout(timeout):
            return await self.services.runner.wait(generation.id)

    def of(self, generation_id: int, kind: type[Event] | None = None) -> list[Event]:
        return [
            e
            for e in self.events
            if e.generation_id == generation_id and (kind is None or isinstance(e, kind))
        ]

    async def wait_for(
        self, condition: Callable[[], bool], *, timeout: float = 10, what: str = "condition"
    ) -> None:
        """Poll `condition` until it holds; fail the test after `timeout` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}; events: {self.events}")
            await asyncio.sleep(0.01)


@pytest.fixture
def open_harness(tmp_path: Path) -> Callable[..., AbstractAsyncContextManager[Harness]]:
    """`async with open_harness(settings) as h:` — services whose lifetime the test controls
    (to stop a runner mid-render and open a fresh one on the same database). `make_leases`
    (given the repository): the leases of a process that shares the database, given to the
    runner and the clip maker when they are built, as `open_services` does."""

    @asynccontextmanager
    async def open_(settings: Settings, make_leases: Any = None) -> AsyncIterator[Harness]:
        async with open_services(settings, make_leases=make_leases) as services:
            harness = Harness(services, RecordingDeliverer(tmp_path / "delivered"))
            services.runner.register_deliverer("cli", harness.deliverer)
            unsubscribe = services.bus.subscribe(harness.events.append)
            try:
                yield harness
            finally:
                unsubscribe()

    return open_


@pytest.fixture
async def harness(
    settings: Settings, open_harness: Callable[[Settings], AbstractAsyncContextManager[Harness]]
) -> AsyncIterator[Harness]:
    async with open_harness(settings) as h:
        yield h
