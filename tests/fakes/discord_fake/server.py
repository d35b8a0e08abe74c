"""``FakeDiscord``: the loopback server, its knobs, and what tests ask of it."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from . import access, option_files
from .gateway import Gateway
from .inject import InjectMixin
from .queries import QueryMixin
from .ratelimit import RateLimiter, route_key
from .records import Call, Problem, User
from .rest_channels import ChannelRoutes
from .rest_core import CoreRoutes
from .rest_interactions import InteractionRoutes
from .state import CREATE_PUBLIC_THREADS, MANAGE_MESSAGES, World
from .validation import preload
from .wire import API_PREFIX, FAKE_KEY, api_middleware

TOKEN_TTL = 15 * 60.0
REALISTIC_LIMITS = [
    ("POST", "/channels/{channel_id}/messages", 5, 5.0),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}", 5, 5.0),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}", 5, 1.0),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}", 5, 2.0),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", 5, 2.0),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", 5, 2.0),
]


class FakeDiscord(InjectMixin, QueryMixin):
    """A loopback Discord (REST + gateway) for the real discord.py client.

    ``async with FakeDiscord() as fake:`` listens on 127.0.0.1 on a free port.
    """

    def __init__(
        self,
        *,
        token: str = "FAKE.bot.token",
        host: str = "127.0.0.1",
        port: int = 0,
        upload_limit: int | None = None,
        token_ttl: float = TOKEN_TTL,
        interaction_deadline: float | None = 3.0,
        nonce_ttl: float = 300.0,
        dispatch_message_events: bool = True,
        recommended_shards: int = 1,
    ) -> None:
        self.token = token
        self.host, self.port = host, port
        # None: Discord's limits (the guild's boost tier, 10 MiB in a DM; see access.py);
        # a number: that limit everywhere, also reported as `attachment_size_limit`
        self.upload_limit = upload_limit
        self.token_ttl = token_ttl
        self.interaction_deadline = interaction_deadline
        self.nonce_ttl = nonce_ttl
        self.dispatch_message_events = dispatch_message_events
        # GET /gateway/bot's `shards`; above 1 an IDENTIFY without a shard is refused (4011)
        self.recommended_shards = recommended_shards
        self.validating = False  # set by start(): whether the OpenAPI document was found
        self.world = World()
        self._forbid_threads = False
        self.world.add_user("alice")
        self.world.add_user("bob")
        self.world.add_user("mod", permissions=MANAGE_MESSAGES)
        self.calls: list[Call] = []
        self.validation_errors: list[Problem] = []
        self.unhandled: list[Problem] = []
        self.gateway = Gateway(self)
        self.ratelimits = RateLimiter(self.loop_time)
        self._failures: dict[str, collections.deque[int]] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # lifetime ------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        self.validating = preload()
        app = web.Application(middlewares=[api_middleware], client_max_size=1024**3)
        app[FAKE_KEY] = self
        for group in (CoreRoutes(self), ChannelRoutes(self), InteractionRoutes(self)):
            for method, path, handler in group.routes():
                app.router.add_route(method, API_PREFIX + path, handler)
        app.router.add_get("/", self.gateway.handle)
        app.router.add_get("/resume", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._download)
        app.router.add_get(
            "/ephemeral-attachments/{channel_id}/{attachment_id}/{filename}", self._option_file
        )
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # addresses and the default world ----------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/resume"

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def guild_id(self) -> int:
        return self.world.guild_id

    @property
    def channel_id(self) -> int:
        return self.world.channel_id

    @property
    def bot_user(self) -> User:
        return self.world.bot_user

    @property
    def users(self) -> dict[str, User]:
        return self.world.users

    def add_user(self, name: str, permissions: int | None = None) -> User:
        """A new guild member; ``permissions`` (bits) go on a role of its own."""
        return self.world.add_user(name, permissions)

    def add_guild(self, name: str, *, shard: tuple[int, int] | None = None) -> int:
        """Another guild the bot is in, with a "general" channel (``channel_of(guild)``);
        ``shard=(id, count)`` puts it on that shard (add it before the bot connects)."""
        return self.world.add_guild(name, shard=shard)

    def channel_of(self, guild_id: int) -> int:
        """The "general" channel of a guild."""
        return self.world.default_channels[guild_id]

    def add_channel(self, name: str) -> int:
        """Another guild text channel (add it before the bot connects)."""
        return self.world.add_text_channel(name, position=len(self.world.channels))

    @contextlib.contextmanager
    def patch_discord_py(self) -> Iterator[None]:
        """Point discord.py's ``Route.BASE`` and ``DEFAULT_GATEWAY`` here, then restore."""
        import yarl
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved

    def add_voice_channel(self, name: str) -> int:
        """A voice channel, whose text chat takes commands (add it before the bot connects)."""
        return self.world.add_voice_channel(name, position=len(self.world.channels))

    def add_thread(self, parent_id: int | None = None, name: str = "a member's thread") -> int:
        """A public thread in a text channel (add it before the bot connects)."""
        return self.world.add_public_thread(parent_id or self.channel_id, name)

    # knobs -----------------------------------------------------------------------------------

    @property
    def premium_tier(self) -> int:
        return self.world.premium_tier

    @premium_tier.setter
    def premium_tier(self, tier: int) -> None:
        """The guild's boost tier (set it before the bot connects: GUILD_CREATE carries it)."""
        self.world.premium_tier = tier

    def give_nitro(self, user: str | int | User, limit: int = access.NITRO_UPLOAD_LIMIT) -> None:
        """The member's own upload limit (Nitro), reported in their interactions."""
        self.world.nitro[self.world.user(user).id] = limit

    def deny_bot(self, permissions: int, channel_id: int | None = None) -> None:
        """A member overwrite on a channel (default: the default one) denying the bot these
        permissions; also reflected in `app_permissions` of interactions there."""
        self.world.set_overwrite(
            channel_id or self.channel_id, self.world.bot_user.id, deny=permissions
        )

    @property
    def forbid_threads(self) -> bool:
        return self._forbid_threads

    @forbid_threads.setter
    def forbid_threads(self, forbid: bool) -> None:
        """Deny the bot CREATE_PUBLIC_THREADS in the default channel (or allow it again)."""
        self._forbid_threads = forbid
        self.deny_bot(CREATE_PUBLIC_THREADS if forbid else 0)

    def upload_limit_for(self, match_info: Any) -> int:
        """The largest file the bot may upload with this request."""
        if self.upload_limit is not None:
            return self.upload_limit
        channel = None
        if "channel_id" in match_info:
            with contextlib.suppress(KeyError, ValueError):
                channel = self.world.channels[int(match_info["channel_id"])]
        return access.upload_limit(self.world, channel)

    def expire_interaction_tokens(self) -> None:
        for record in self.world.interactions.values():
            record.expired = True

    def expire_token(self, token: str) -> None:
        self.world.interactions_by_token[token].expired = True

    def refuse_dms(self, user: str | int | User, refuse: bool = True) -> None:
        user_id = self.world.user(user).id
        if refuse:
            self.world.refused_dms.add(user_id)
        else:
            self.world.refused_dms.discard(user_id)

    def fail_next(self, method: str, route_template: str, status: int, times: int = 1) -> None:
        self._failures.setdefault(route_key(method, route_template), collections.deque()).extend(
            [status] * times
        )

    def take_failure(self, key: str) -> int | None:
        pending = self._failures.get(key)
        return pending.popleft() if pending else None

    def set_rate_limit(
        self,
        method: str,
        route_template: str,
        limit: int,
        per_seconds: float,
        *,
        hidden: bool = False,
    ) -> None:
        """Limit a route per major parameter. ``hidden`` omits the headers on success,
        like Discord's undocumented sub-limits, so clients only learn from the 429."""
        self.ratelimits.set(method, route_template, limit, per_seconds, hidden)

    def use_realistic_limits(self) -> None:
        for method, template, limit, per in REALISTIC_LIMITS:
            self.set_rate_limit(method, template, limit, per)

    def clear_rate_limits(self) -> None:
        self.ratelimits.clear()

    @property
    def count_429(self) -> int:
        return self.ratelimits.count_429

    # gateway --------------------------------------------------------------------------------

    async def wait_shards(self, *shards: tuple[int, int], timeout: float = 15.0) -> None:
        """Until a session has identified as each ``(shard_id, num_shards)``."""
        await self.wait_for(lambda: set(shards) <= self.gateway.identified_shards, timeout)

    @property
    def identify_count(self) -> int:
        return self.gateway.identify_count

    @property
    def resume_count(self) -> int:
        return self.gateway.resume_count

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Until a client has identified and received GUILD_CREATE."""
        await asyncio.wait_for(self.gateway.ready.wait(), timeout)

    async def disconnect_gateway(self, code: int = 4000) -> None:
        await self.gateway.disconnect(code)

    async def invalidate_sessions(self) -> None:
        await self.gateway.invalidate()

    async def dispatch(self, event: str, data: dict[str, Any], intent: int = 0) -> None:
        await self.gateway.dispatch(event, data, intent)

    async def _option_file(self, request: web.Request) -> web.Response:
        return await option_files.serve(self.world, request)

    async def _download(self, request: web.Request) -> web.Response:
        attachment = self.world.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None or attachment.filename != request.match_info["filename"]:
            raise web.HTTPNotFound()
        return web.Response(body=attachment.data, content_type=attachment.content_type)
