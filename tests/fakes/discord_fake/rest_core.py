"""Login, application, gateway discovery, command sync, users and guild lookups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .wire import BODY, DiscordError, reply, unknown
from .world_payloads import application_payload, member_payload, role_payload

if TYPE_CHECKING:
    from .server import FakeDiscord


class CoreRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def routes(self) -> list[tuple[str, str, Any]]:
        app = "/applications/{application_id}"
        return [
            ("GET", "/users/@me", self.me),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.application),
            ("GET", "/applications/@me", self.application),
            ("GET", "/gateway", self.gateway),
            ("GET", "/gateway/bot", self.gateway_bot),
            ("GET", f"{app}/commands", self.get_commands),
            ("PUT", f"{app}/commands", self.put_commands),
            ("GET", f"{app}/guilds/{{guild_id}}/commands", self.get_commands),
            ("PUT", f"{app}/guilds/{{guild_id}}/commands", self.put_commands),
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.get_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
        ]

    async def me(self, request: web.Request) -> web.Response:
        user = self.fake.world.bot_user.payload()
        user.update(verified=True, mfa_enabled=False, email=None, locale="en-US")
        return reply(user)

    async def get_user(self, request: web.Request) -> web.Response:
        try:
            return reply(self.fake.world.user(request.match_info["user_id"]).payload())
        except KeyError:
            raise unknown("User", 10013) from None

    async def application(self, request: web.Request) -> web.Response:
        return reply(application_payload(self.fake.world))

    async def gateway(self, request: web.Request) -> web.Response:
        return reply({"url": self.fake.gateway_url.rstrip("/")})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        # "shards: Recommended number of shards to use when connecting"; max_concurrency:
        # "Number of identify requests allowed per 5 seconds" (GET /gateway/bot,
        # https://docs.discord.com/developers/events/gateway#get-gateway-bot). discord.py's
        # AutoShardedClient reads `shards` and `url` when it is given no shard_count
        # (discord/shard.py, launch_shards).
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return reply(
            {
                "url": self.fake.gateway_url.rstrip("/"),
                "shards": self.fake.recommended_shards,
                "session_start_limit": limit,
            }
        )

    def _scope(self, request: web.Request) -> int | None:
        world = self.fake.world
        if request.match_info["application_id"] != str(world.application_id):
            raise DiscordError(403, 50001, "Missing Access")
        guild = request.match_info.get("guild_id")
        if guild is not None and int(guild) not in world.guilds:
            raise DiscordError(403, 50001, "Missing Access")
        return int(guild) if guild is not None else None

    async def get_commands(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        return reply(list(self.fake.world.commands.get(scope, {}).values()))

    async def put_commands(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        return reply(self.fake.world.put_commands(scope, request[BODY] or []))

    def _guild(self, request: web.Request) -> int:
        guild = request.match_info["guild_id"]
        if not guild.isdigit() or int(guild) not in self.fake.world.guilds:
            raise unknown("Guild", 10004)
        return int(guild)

    async def get_guild(self, request: web.Request) -> web.Response:
        guild_id = self._guild(request)
        world = self.fake.world
        return reply(
            {
                "id": str(guild_id),
                "name": world.guilds[guild_id],
                "icon": None,
                "owner_id": str(world.owner_id),
                "roles": [role_payload(r) for r in world.guild_roles(guild_id)],
                "emojis": [],
                "stickers": [],
                "features": [],
                "preferred_locale": "en-US",
                "premium_tier": world.premium_tier,
                "verification_level": 0,
                "nsfw_level": 0,
                "mfa_level": 0,
                "system_channel_id": str(world.default_channels[guild_id]),
            }
        )

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        return reply(self.fake.world.guild_channels(self._guild(request)))

    async def get_roles(self, request: web.Request) -> web.Response:
        guild_id = self._guild(request)
        return reply([role_payload(r) for r in self.fake.world.guild_roles(guild_id)])

    async def get_member(self, request: web.Request) -> web.Response:
        self._guild(request)
        world = self.fake.world
        try:
            user = world.user(request.match_info["user_id"])
        except KeyError:
            raise unknown("Member", 10007) from None
        return reply(member_payload(world, user))
