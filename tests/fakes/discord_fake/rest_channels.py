"""Channels, channel messages, threads and DM channels (bot-token routes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import access, actions
from .wire import BODY, FILES, DiscordError, no_content, reply, unknown

if TYPE_CHECKING:
    from .server import FakeDiscord

MESSAGES = "/channels/{channel_id}/messages"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"


class ChannelRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("GET", MESSAGES, self.list_messages),
            ("POST", MESSAGES, self.create_message),
            ("GET", MESSAGE, self.get_message),
            ("PATCH", MESSAGE, self.edit_message),
            ("DELETE", MESSAGE, self.delete_message),
            ("POST", f"{MESSAGE}/threads", self.thread_from_message),
            ("POST", "/channels/{channel_id}/threads", self.thread_without_message),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self.join_thread),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member),
            ("POST", "/users/@me/channels", self.create_dm),
        ]

    async def get_channel(self, request: web.Request) -> web.Response:
        return reply(actions.channel_or_404(self.fake, request.match_info["channel_id"]))

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = actions.channel_or_404(self.fake, request.match_info["channel_id"])
        access.require(self.fake.world, channel, access.READ_HISTORY)
        channel_id = int(channel["id"])
        query = request.query
        try:
            limit = int(query.get("limit", 50))
            anchors = {k: int(query[k]) for k in ("before", "after", "around") if k in query}
        except ValueError:
            raise DiscordError(400, 50035, "Invalid Form Body") from None
        if not 1 <= limit <= 100:
            errors = {"limit": {"_errors": [{"code": "NUMBER_TYPE_MAX", "message": "1..100"}]}}
            raise DiscordError(400, 50035, "Invalid Form Body", errors)
        found = self.fake.world.list_messages(channel_id, limit, **anchors)
        return reply([m.payload for m in found])

    async def create_message(self, request: web.Request) -> web.Response:
        fake = self.fake
        channel = actions.channel_or_404(fake, request.match_info["channel_id"])
        body: dict[str, Any] = request[BODY] or {}
        files = request[FILES]
        if channel["type"] == 1 and int(channel["recipients"][0]["id"]) in fake.world.refused_dms:
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        if actions.is_empty(body, files):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        access.require(fake.world, channel, access.for_message(fake.world, channel, body, files))
        channel_id = int(channel["id"])
        nonce_key = (channel_id, str(body.get("nonce")))
        if body.get("enforce_nonce") and body.get("nonce") is not None:
            seen = fake.world.nonces.get(nonce_key)
            if seen is not None and fake.loop_time() - seen[1] < fake.nonce_ttl:
                earlier = fake.world.live_message(seen[0])
                if earlier is not None:
                    return reply(earlier.payload)
        message = await actions.post_message(fake, channel_id, body, files, route=MESSAGES)
        if body.get("nonce") is not None:
            fake.world.nonces[nonce_key] = (message.id, fake.loop_time())
        return reply(message.payload)

    async def get_message(self, request: web.Request) -> web.Response:
        info = request.match_info
        channel = actions.channel_or_404(self.fake, info["channel_id"])
        access.require(self.fake.world, channel, access.READ_HISTORY)
        message = actions.message_or_404(self.fake, info["channel_id"], info["message_id"])
        return reply(message.payload)

    async def edit_message(self, request: web.Request) -> web.Response:
        info = request.match_info
        channel = actions.channel_or_404(self.fake, info["channel_id"])
        access.require(self.fake.world, channel, access.VIEW_CHANNEL)
        message = actions.message_or_404(self.fake, info["channel_id"], info["message_id"])
        if message.author_id != self.fake.world.bot_user.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        body = request[BODY] or {}
        await actions.edit_message(self.fake, message, body, request[FILES], route=MESSAGE)
        return reply(message.payload)

    async def delete_message(self, request: web.Request) -> web.Response:
        info = request.match_info
        actions.channel_or_404(self.fake, info["channel_id"])
        message = actions.message_or_404(self.fake, info["channel_id"], info["message_id"])
        await actions.delete_message(self.fake, message)
        return no_content()

    async def thread_from_message(self, request: web.Request) -> web.Response:
        info = request.match_info
        actions.channel_or_404(self.fake, info["channel_id"])
        message = actions.message_or_404(self.fake, info["channel_id"], info["message_id"])
        thread = await actions.create_thread(
            self.fake, int(info["channel_id"]), request[BODY] or {}, message=message
        )
        return reply(thread, 201)

    async def thread_without_message(self, request: web.Request) -> web.Response:
        body = request[BODY] or {}
        if "message" in body:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        channel_id = int(request.match_info["channel_id"])
        thread = await actions.create_thread(self.fake, channel_id, body, message=None)
        return reply(thread, 201)

    async def typing(self, request: web.Request) -> web.Response:
        actions.channel_or_404(self.fake, request.match_info["channel_id"])
        return no_content()

    async def join_thread(self, request: web.Request) -> web.Response:
        channel = actions.channel_or_404(self.fake, request.match_info["channel_id"])
        if not self.fake.world.is_thread(channel):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        return no_content()

    async def add_thread_member(self, request: web.Request) -> web.Response:
        channel = actions.channel_or_404(self.fake, request.match_info["channel_id"])
        if not self.fake.world.is_thread(channel):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        try:
            self.fake.world.user(request.match_info["user_id"])
        except KeyError:
            raise unknown("User", 10013) from None
        channel["member_count"] += 1
        return no_content()

    async def create_dm(self, request: web.Request) -> web.Response:
        body = request[BODY] or {}
        try:
            user = self.fake.world.user(body.get("recipient_id"))
        except KeyError:
            raise unknown("User", 10013) from None
        return reply(self.fake.world.dm_channel_for(user))
