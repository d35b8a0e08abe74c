"""The real bot (discord.py, openai, replicate clients) against the three loopback fakes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.discord_bot import Reelbot
from bot.services import Services, open_services
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
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Running:
    bot: Reelbot
    services: Services
    task: asyncio.Task[None]


@dataclass
class World:
    """Fakes plus a running bot; `restart()` stops it and starts a fresh one on the same data."""

    discord: FakeDiscord
    openai: FakeOpenAI
    replicate: FakeReplicate
    settings: Settings
    running: Running | None = None
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
        stack = contextlib.AsyncExitStack()
        services = await stack.enter_async_context(open_services(self.settings))
        bot = Reelbot(settings=self.settings, services=services)
        await stack.enter_async_context(bot)
        task = asyncio.create_task(bot.start(self.discord.token))
        self._stack = stack
        self.running = Running(bot, services, task)
        await self.discord.wait_ready(timeout=15)
        await asyncio.wait_for(bot.wait_until_ready(), 15)

    async def stop(self) -> None:
        if self.running is None:
            return
        await self.running.bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self.running.task
        await self._stack.aclose()
        self.running = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # helpers -------------------------------------------------------------------------------

    async def command(
        self, name: str, options: dict[str, Any] | None = None, *, user: str = "alice"
    ) -> Interaction:
        """A slash command as `user`, once the bot has answered it."""
        interaction = await self.discord.send_slash(name, options or {}, user=user)
        await interaction.wait_callback(timeout=5)
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
        message_id = await self.discord.wait_for(lambda: interaction.original_message_id)
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

    def prediction_ids(self) -> list[str]:
        return list(self.replicate.predictions)

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


@contextlib.asynccontextmanager
async def world(tmp_path: Path, **overrides: Any) -> AsyncIterator[World]:
    async with FakeDiscord() as discord, FakeOpenAI() as openai, FakeReplicate() as replicate:
        replicate.throttle_retry_after = 0
        settings = settings_for(discord, openai, replicate, tmp_path, **overrides)
        w = World(discord, openai, replicate, settings)
        with discord.patch_discord_py():
            try:
                await w.start()
                yield w
            finally:
                await w.stop()
        # every request body the bot sent matched Discord's OpenAPI description
        discord.assert_clean()


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
