"""The Discord process: the `Bot` subclass and its lifetime (storage and runner passed in)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import yarl
from discord.ext import commands

from bot import startup
from bot.config import Settings
from bot.gallery.links import GalleryLinks
from bot.gallery.server import GalleryUnavailable, serve_gallery
from bot.metrics.registry import Metrics
from bot.metrics.server import Health
from bot.metrics.server import serve as serve_metrics
from bot.pipeline.checks.preflight import PreflightResult, Severity
from bot.pipeline.run.held import missing_keys
from bot.pipeline.run.lease import LeaseKeeper, ProcessNameClash
from bot.pipeline.spend.allowance import limits_notice
from bot.services import Services, check_configuration, open_services
from bot.tasks import spawn
from bot.tree import NO_MENTIONS, ReelbotTree
from storage.db import DatabaseUnavailable

# gateway close codes about shards (https://docs.discord.com/developers/topics/
# opcodes-and-status-codes#gateway-gateway-close-event-codes): the operator must act
SHARD_CLOSE_CODES = {
    4010: "invalid shard",
    4011: "sharding required: too many guilds for this number of shards",
}
COMMANDS_SETTLE_SECONDS = 5.0  # a stop waits this long at most for commands being answered

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.generate", "cogs.history")
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)


# Interactions arrive whatever the intents; the guilds intent keeps the guild and channel
# cache. No message events: parsing a gateway copy of every post and edit the bot makes
# cost more CPU than anything else it did per generation.
INTENTS = discord.Intents(guilds=True)

# The bot never joins a voice channel: discord.py's one-time warnings that PyNaCl and davey
# (voice and its end-to-end encryption) are not installed would be noise at every start. These
# public class flags are what discord.py's Client.__init__ reads, and clears, to warn once.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class Reelbot(commands.AutoShardedBot):
    """The bot: loads the cogs, resumes unfinished work, then syncs its commands.

    It holds the gateway shards the settings name (`SHARD_COUNT`, `SHARD_IDS`), each on its own
    connection; without them discord.py asks Discord how many it needs (GET /gateway/bot's
    `shards`) and holds them all. Discord routes a guild's events to shard
    `(guild_id >> 22) % SHARD_COUNT` and events without a guild (DMs) to shard 0
    (https://docs.discord.com/developers/events/gateway#sharding)."""

    def __init__(
        self,
        *,
        settings: Settings,
        services: Services,
        guild_ready_timeout: float = 2.0,
        gallery: GalleryLinks | None = None,
        metrics: Metrics | None = None,
        checking: asyncio.Task[PreflightResult] | None = None,
    ) -> None:
        # SHARD_IDS unset: every shard of SHARD_COUNT (or of what Discord recommends)
        shard_ids: dict[str, Any] = (
            {"shard_ids": list(settings.shard_ids)} if settings.shard_ids else {}
        )
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=INTENTS,
            allowed_mentions=NO_MENTIONS,
            tree_cls=ReelbotTree,
            help_command=None,
            # discord.py waits this long after the last GUILD_CREATE before READY (its
            # documented `Client(guild_ready_timeout=…)`, 2 s by default)
            guild_ready_timeout=guild_ready_timeout,
            shard_count=settings.shard_count,
            **shard_ids,
        )
        self.settings = settings
        self.services = services
        self.gallery = gallery  # the web gallery's links (None: the gallery is off)
        self.metrics = metrics  # None: METRICS_PORT unset, nothing measured
        self._checking = checking  # the start-up check, when the caller started it already
        self.logged_in = False  # Discord took the token: the setup hook runs only after that
        # the generations this process works on, when several share the database
        self.leases = LeaseKeeper(
            store=services.repo,
            runner=services.runner,
            name=settings.lease_owner(),
            source="discord",
            seconds=settings.lease_seconds,
            on_takeover=metrics.taken_over if metrics is not None else None,
            leases=services.leases,  # the runner's, given to it when it was built
        )

    async def setup_hook(self) -> None:
        self.logged_in = True
        # the providers are checked while the cogs load and commands sync; the result is in
        # before unfinished work resumes and before the gateway connects, so neither a resumed
        # generation nor a command goes ahead of it
        checking = self._checking or spawn(
            check_configuration(self.settings), name="start-up check"
        )
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self._sync()
        if self.application_id:
            url = discord.utils.oauth_url(
                self.application_id,
                permissions=PERMISSIONS,
                scopes=("bot", "applications.commands"),
            )
            log.info("invite the bot with: %s", url)
        for level, line in limits_notice(self.settings):  # once per process: setup_hook
            log.log(level, "%s", line)
        missing = self.settings.missing_generation_keys()
        if missing:
            log.warning(
                "%s not set: /generate will answer with a configuration error", ", ".join(missing)
            )
        result = await checking
        result.log(log)
        if result.errors:
            log.error("/generate will answer with a configuration error until this is fixed")
        # resumed once the check is in: a generation that needs a provider in error ends
        # failed with that error (Retry once fixed) instead of failing at it, or paying first
        unusable = [*missing_keys(missing), *result.errors]
        resumed = await self.leases.start(unusable)
        log.info("resumed %d unfinished generation(s) as %s", len(resumed), self.leases.name)

    async def _sync(self) -> None:
        guild_id = self.settings.discord_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d command(s) to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global command(s) (may take up to an hour to show)", len(synced))

    async def close(self) -> None:
        """Stop the generations first, then let the commands being answered finish (a few
        seconds at most), then Discord: a step that found the connection closed would fail its
        generation, where a stopped one is resumed by the next start."""
        await self.services.runner.close()
        await self.leases.close()
        if isinstance(self.tree, ReelbotTree):
            await self.tree.settle(COMMANDS_SETTLE_SECONDS)
        await super().close()

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (%s) to %d guild(s) on shard(s) %s of %s",
            self.user,
            self.application_id,
            len(self.guilds),
            ",".join(str(i) for i in sorted(self.shards)),
            self.shard_count,
        )


def gateway_connected(bot: Reelbot) -> bool:
    """Every shard of the bot is connected to the gateway (for /healthz)."""
    if bot.is_closed() or not bot.is_ready() or not bot.shards:
        return False
    return all(not shard.is_closed() for shard in bot.shards.values())


def point_discord_at(settings: Settings) -> None:
    """Send discord.py's REST and gateway traffic where the settings say (a proxy, a fake)."""
    discord.http.Route.BASE = settings.discord_api_base_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


@dataclass
class RunningBot:
    """A started bot: the bot, the services it was given, and the task of its connection to
    Discord (it ends when the bot is closed, or raises why it could not connect)."""

    bot: Reelbot
    services: Services
    connection: asyncio.Task[None]


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    guild_ready_timeout: float = 2.0,
    checking: asyncio.Task[PreflightResult] | None = None,
) -> AsyncIterator[RunningBot]:
    """The whole start-up, for `python -m bot` and the e2e harness alike: discord.py pointed
    where the settings say, the services opened, the bot built with them and connecting.
    On the way out the bot is closed (its generations stopped first), then the services; a
    connection that failed while nobody awaited it raises here."""
    if settings.discord_token is None:
        raise ValueError("DISCORD_TOKEN is not set")  # run_bot says so to the operator first
    point_discord_at(settings)
    metrics = Metrics() if settings.metrics_port is not None else None
    async with (
        open_services(settings, metrics=metrics, process_name=settings.lease_owner()) as services,
        serve_gallery(settings, services.repo) as gallery,
        Reelbot(
            settings=settings,
            services=services,
            guild_ready_timeout=guild_ready_timeout,
            gallery=gallery.links if gallery else None,
            metrics=metrics,
            checking=checking,
        ) as bot,
        serve_metrics(
            settings,
            metrics,
            Health(lambda: gateway_connected(bot), services.repo, settings),
        ),
    ):
        connection = asyncio.create_task(
            bot.start(settings.discord_token.get_secret_value()), name="discord-connection"
        )
        try:
            yield RunningBot(bot, services, connection)
        finally:
            await bot.close()
            await asyncio.wait([connection])
        error = None if connection.cancelled() else connection.exception()
        if error is not None:
            raise error


async def run_bot(settings: Settings) -> int:
    """Run until stopped (SIGTERM, SIGINT). Exit 2, with every problem found on one line each
    (`bot.startup`), when the bot cannot start: DISCORD_TOKEN missing, a placeholder, refused,
    or Discord unreachable at the login. The keys of OpenAI and Replicate are checked at the
    same time, so their problems are said too whatever happens to Discord's."""
    checking = spawn(check_configuration(settings), name="start-up check")
    token = startup.token_problem(settings)
    if token is not None:
        return await _not_started(settings, token, checking)
    bots: list[Reelbot] = []
    try:
        async with running_bot(settings, checking=checking) as running:
            bots.append(running.bot)
            loop = asyncio.get_running_loop()
            for stop in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(stop, lambda: spawn(running.bot.close(), name="shutdown"))
            await running.connection
    except discord.LoginFailure:
        refused = "Discord refused DISCORD_TOKEN (401): check the token in the Developer Portal."
        return await _not_started(settings, _error(refused), checking)
    except GalleryUnavailable as exc:  # its port is taken: said with the rest
        return await _not_started(settings, _error(str(exc)), checking)
    except ProcessNameClash as exc:
        return await _not_started(settings, _error(f"not starting: {exc}"), checking)
    except discord.ConnectionClosed as exc:
        if exc.code not in SHARD_CLOSE_CODES:
            raise
        log.error(
            "Discord closed the gateway: %s (%s). Set SHARD_COUNT to at least the number Discord "
            "recommends (GET /gateway/bot), the same in every process, with SHARD_IDS below it; "
            "or leave both unset for discord.py to ask",
            SHARD_CLOSE_CODES[exc.code],
            exc.code,
        )
        return 2
    except DatabaseUnavailable as exc:  # opened before the login: said with the rest
        return await _not_started(settings, _error(str(exc)), checking)
    except (aiohttp.ClientError, OSError, TimeoutError, discord.DiscordServerError) as exc:
        # the login's own failure: the bot was built (the services opened) and not logged in
        if not bots or bots[0].logged_in:
            raise
        return await _not_started(settings, _error(unreachable(settings, exc)), checking)
    return 0


def _error(text: str) -> startup.StartProblem:
    return startup.StartProblem(Severity.ERROR, text)


def unreachable(settings: Settings, exc: BaseException) -> str:
    """One line: which Discord host could not be reached at the login, and why."""
    where = settings.discord_api_base_url
    if isinstance(exc, aiohttp.ClientConnectorError):
        host = f"{exc.host}:{exc.port}"
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            why = f"the name does not resolve: {exc.os_error.strerror or exc.os_error}"
        elif isinstance(exc, aiohttp.ClientConnectorCertificateError):
            why = "its TLS certificate was refused"
        else:  # "Connection refused" rather than asyncio's "Connect call failed (...)"
            error = exc.os_error
            why = os.strerror(error.errno) if error.errno else str(error) or type(error).__name__
        return (
            f"Discord could not be reached at {host} (DISCORD_API_BASE_URL={where}): {why}. "
            "Check the network, a proxy or firewall, or DISCORD_API_BASE_URL."
        )
    if isinstance(exc, discord.DiscordServerError):
        return (
            f"Discord answered the login with {exc.status} (DISCORD_API_BASE_URL={where}): "
            "its API is having trouble; see discordstatus.com and try again later."
        )
    if isinstance(exc, TimeoutError):
        why = "it did not answer in time"
    else:
        why = " ".join(str(exc).split()) or type(exc).__name__
    return (
        f"Discord could not be reached at {yarl.URL(where).host} "
        f"(DISCORD_API_BASE_URL={where}): {why}. Check the network or DISCORD_API_BASE_URL."
    )


async def _not_started(
    settings: Settings,
    problem: startup.StartProblem,
    checking: asyncio.Task[PreflightResult],
) -> int:
    """The report: Discord's problem, then the providers' (their check runs to its end: 10 s at
    most) and the keys that are not set."""
    result = await checking
    found = [problem, *startup.missing_key_warnings(settings), *startup.from_check(result)]
    return startup.report(found)
