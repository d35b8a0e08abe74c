"""The real bot (discord.py, openai, replicate clients) against the three loopback fakes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.discord_bot import Reelbot, RunningBot, running_bot
from bot.services import Services
from tests.fakes.discord_fake import FakeDiscord, Interaction, Message
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate
from tests.fakes.serve import provider_env


def settings_for(
    discord: FakeDiscord, openai: FakeOpenAI, replicate: FakeReplicate, data: Path, **overrides: Any
) -> Settings:
    env = {k.lower(): v for k, v in provider_env(openai, replicate).items()}
    values: dict[str, Any] = {
        **env,
        "discord_token": discord.token,
        "discord_guild_id": discord.guild_id,
        "discord_api_base_url": discord.api_base,
        "discord_gateway_url": discord.gateway_url,
        "database_path": data / "reelbot.sqlite3",
        "media_dir": data / "media",
        "replicate_poll_seconds": 0.05,
        "reply_edit_seconds": 0.05,
        "daily_video_seconds_limit": 0,  # unlimited unless a test sets a limit
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class World:
    """Fakes plus a running bot; `restart()` stops it and starts a fresh one on the same data."""

    discord: FakeDiscord
    openai: FakeOpenAI
    replicate: FakeReplicate
    settings: Settings
    running: RunningBot | None = None
    errors: list[logging.LogRecord] = field(default_factory=list)  # ERROR records of the bot
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    @property
    def bot(self) -> Reelbot:
        assert self.running is not None
        return self.running.bot

    @property
    def services(self) -> Services:
        assert self.running is not None
        return self.running.services

    async def start(self) -> None:
        """The bot started as `python -m bot` starts it (`running_bot`; world() restores where
        discord.py points), once it is ready."""
        stack = contextlib.AsyncExitStack()
        # discord.py waits this long after the last GUILD_CREATE before READY (default 2 s);
        # the fake sends its one guild at once
        running = await stack.enter_async_context(
            running_bot(self.settings, guild_ready_timeout=0.05)
        )
        self._stack = stack
        self.running = running
        await self.discord.wait_ready(timeout=15)
        await asyncio.wait_for(running.bot.wait_until_ready(), 15)

    async def stop(self) -> None:
        if self.running is None:
            return
        self.running = None
        await self._stack.aclose()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # helpers -------------------------------------------------------------------------------

    async def command(
        self, name: str, options: dict[str, Any] | None = None, *, user: str = "alice"
    ) -> Interaction:
        """A slash command as `user`, once the bot has answered it; a /generate (answered
        privately at once) once its public reply is there, or the private text refusing it."""
        interaction = await self.discord.send_slash(name, options or {}, user=user)
        await interaction.wait_callback(timeout=5)
        if name == "generate" and interaction.callback_type == 5:
            await self.discord.wait_for(
                lambda: interaction.reply_id or self.private_text(interaction), timeout=10
            )
        return interaction

    async def click(self, custom_id: str, message: Message, *, user: str = "alice") -> Interaction:
        """A button press as `user`, once the bot has answered it."""
        interaction = await self.discord.click(custom_id, message.id, user=user)
        await interaction.wait_callback(timeout=5)
        return interaction

    async def start_generate(
        self, prompt: str, user: str = "alice", **options: Any
    ) -> tuple[Interaction, Message]:
        """/generate, answered: the interaction and the reply message."""
        interaction = await self.command("generate", {"prompt": prompt, **options}, user=user)
        message_id = await self.discord.wait_for(lambda: interaction.reply_id)
        return interaction, self.discord.message(message_id)

    async def generate(self, prompt: str, user: str = "alice", **options: Any) -> Message:
        """/generate, answered; returns the reply message."""
        return (await self.start_generate(prompt, user, **options))[1]

    def private_text(self, interaction: Interaction) -> str | None:
        """The content of the ephemeral message answering `interaction`, once it is there."""
        candidates = list(interaction.followups)
        if interaction.callback_type in (4, 5) and interaction.original_message_id:
            candidates.insert(0, self.discord.message(interaction.original_message_id))
        for message in candidates:
            if message.ephemeral and not message.loading and message.content:
                return message.content
        return None

    async def wait_private_text(self, interaction: Interaction) -> str:
        return await self.discord.wait_for(lambda: self.private_text(interaction), timeout=5)

    async def until(
        self, condition: Callable[[], Awaitable[bool]], *, timeout: float = 10, what: str = ""
    ) -> None:
        """Poll an async `condition` (e.g. a database read) until it holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await condition():
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
            await asyncio.sleep(0.02)

    async def clips_running(self, generation_id: int, count: int) -> None:
        """Until the generation's `count` clips all have a prediction (its id stored)."""

        async def running() -> bool:
            clips = await self.services.repo.clips(generation_id)
            return len(clips) == count and all(c.status == "running" for c in clips)

        await self.until(running, what=f"{count} running clips")

    async def status_reached(self, generation_id: int, status: str, timeout: float = 20) -> None:
        """Until the stored status of the generation is `status`."""

        async def reached() -> bool:
            generation = await self.services.repo.generation(generation_id)
            return generation is not None and generation.status == status

        await self.until(reached, timeout=timeout, what=f"status {status}")

    async def wait_final(self, message: Message, timeout: float = 20) -> str:
        """Until the reply shows a final state; returns its status text."""

        def final() -> str | None:
            status = status_of(self.discord.message(message.id))
            return status if status and status.startswith(("✅", "❌", "🛑")) else None

        return await self.discord.wait_for(final, timeout=timeout)


def status_of(message: Message) -> str | None:
    for embed in message.embeds:
        for f in embed.get("fields", []):
            if f["name"] == "Status":
                return f["value"]
    return None


class _Errors(logging.Handler):
    """Collects the ERROR records of Reelbot's own loggers (tracebacks, failed tasks)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.asynccontextmanager
async def world(tmp_path: Path, **overrides: Any) -> AsyncIterator[World]:
    """Fakes plus the running bot. On a normal exit it also fails the test when a request body
    did not match Discord's OpenAPI description, or when the bot logged an error."""
    errors = _Errors()
    loggers = [logging.getLogger(name) for name in ("bot", "cogs", "storage")]
    async with FakeDiscord() as discord, FakeOpenAI() as openai, FakeReplicate() as replicate:
        replicate.throttle_retry_after = 0
        settings = settings_for(discord, openai, replicate, tmp_path, **overrides)
        w = World(discord, openai, replicate, settings, errors=errors.records)
        for logger in loggers:
            logger.addHandler(errors)
        try:
            with discord.patch_discord_py():
                try:
                    await w.start()
                    yield w
                finally:
                    await w.stop()
        finally:
            for logger in loggers:
                logger.removeHandler(errors)
        discord.assert_clean()
        # a test that expects an error takes it out of `w.errors`
        assert not errors.records, "the bot logged errors:\n" + "\n".join(
            f"{r.name}: {r.getMessage()} {r.exc_info[1] if r.exc_info else ''}"
            for r in errors.records
        )


def statuses(message: Message) -> list[str]:
    """The Status field of a message at its creation and after each edit, in order."""
    out = []
    for change in message.history:
        for embed in change.body.get("embeds") or []:
            out += [f["value"] for f in embed.get("fields", []) if f["name"] == "Status"]
    return out


def bot_messages(w: World) -> list[Message]:
    """Every message the bot posted anywhere (channels, threads, DMs; ephemeral ones too)."""
    bot_id = w.discord.bot_user.id
    return [m for m in w.discord.world.messages.values() if m.author_id == bot_id]
