"""The fake's world: snowflakes, the guild, its users, channels, messages and commands.

Every lookup by id is a dict access; message listing per channel uses bisect on a
sorted id list (snowflakes only grow).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import time
from typing import Any

from .records import Attachment, Interaction, Message, Role, User

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions)
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS | MENTION_EVERYONE


def iso(timestamp: float | None = None) -> str:
    """Discord's timestamp format: ``2024-05-01T12:00:00.123000+00:00``."""
    when = time.time() if timestamp is None else timestamp
    return dt.datetime.fromtimestamp(when, dt.UTC).isoformat(timespec="microseconds")


class Snowflakes:
    """Real-looking, strictly increasing snowflakes (timestamp, worker, increment)."""

    def __init__(self) -> None:
        self._last = 0
        self._counter = itertools.count()

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value

    def next_after(self, floor: int) -> int:
        """The next snowflake, at least ``floor`` (later ones stay above it)."""
        self._last = max(self._last, floor - 1)
        return self.next()


class World:
    """Mutable state of the fake Discord."""

    def __init__(self) -> None:
        self.ids = Snowflakes()
        self.application_id = self.ids.next()
        self.guild_id = self.ids.next()
        self.guild_name = "Reelbot Test Guild"
        # every guild the bot is in (the first one is `guild_id`); see `add_guild`
        self.guilds: dict[int, str] = {self.guild_id: self.guild_name}
        self.default_channels: dict[int, int] = {}
        self.bot_user = User(id=self.application_id, name="Reelbot", bot=True)
        self.users: dict[str, User] = {}
        self.users_by_id: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.roles: dict[int, Role] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, Message] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.dm_by_user: dict[int, int] = {}
        self.thread_by_message: dict[int, int] = {}
        self.attachments: dict[int, Attachment] = {}
        self.nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self.commands: dict[int | None, dict[str, dict[str, Any]]] = {}
        self.command_ids: dict[tuple[int | None, str], int] = {}
        self.interactions: dict[int, Interaction] = {}
        self.interactions_by_token: dict[str, Interaction] = {}
        self.refused_dms: set[int] = set()
        self.premium_tier = 0  # the guild's boost tier (0..3)
        self.nitro: dict[int, int] = {}  # user id → upload limit of the member's Nitro plan

        self.roles[self.guild_id] = Role(self.guild_id, "@everyone", EVERYONE_PERMISSIONS)
        bot_role = Role(self.ids.next(), "Reelbot", BOT_PERMISSIONS, position=2, managed=True)
        bot_role.bot_id = self.bot_user.id
        self.roles[bot_role.id] = bot_role
        self.bot_user.role_ids.append(bot_role.id)
        self.owner_id = self.add_user("owner").id
        self.channel_id = self.add_text_channel("general")
        self.default_channels[self.guild_id] = self.channel_id

    # guilds ----------------------------------------------------------------------------------

    def add_guild(self, name: str, *, shard: tuple[int, int] | None = None) -> int:
        """Another guild with its own @everyone role and a "general" channel (add it before the
        bot connects). ``shard=(id, count)`` picks an id that Discord's sharding formula puts on
        that shard. The members, their roles and the boost tier are those of the first guild."""
        guild_id = self.ids.next()
        if shard is not None:
            shard_id, count = shard
            while (guild_id >> 22) % count != shard_id:
                guild_id = self.ids.next_after(guild_id + (1 << 22))
        self.guilds[guild_id] = name
        everyone = self.roles[self.guild_id]
        self.roles[guild_id] = Role(guild_id, "@everyone", everyone.permissions)
        self.default_channels[guild_id] = self.add_text_channel("general", guild_id=guild_id)
        return guild_id

    def guild_of(self, channel: dict[str, Any]) -> int | None:
        """The guild a channel belongs to (None: a DM)."""
        value = channel.get("guild_id")
        return int(value) if value is not None else None

    def guild_roles(self, guild_id: int) -> list[Role]:
        """The roles shown in a guild: its @everyone, and the shared roles (not the @everyone
        role of another guild)."""
        return [r for r in self.roles.values() if r.id == guild_id or r.id not in self.guilds]

    # users and permissions -------------------------------------------------------------

    def add_user(self, name: str, permissions: int | None = None) -> User:
        if name in self.users:
            raise ValueError(f"user {name!r} exists already")
        user = User(id=self.ids.next(), name=name)
        if permissions is not None:
            role = Role(self.ids.next(), f"{name}-role", permissions, position=1)
            self.roles[role.id] = role
            user.role_ids.append(role.id)
        self.users[name] = user
        self.users_by_id[user.id] = user
        return user

    def user(self, who: str | int | User) -> User:
        if isinstance(who, User):
            return who
        if isinstance(who, str) and who in self.users:
            return self.users[who]
        try:
            return self.users_by_id[int(who)]
        except (KeyError, ValueError):
            raise KeyError(f"unknown user {who!r}") from None

    def permissions(self, user: User, guild_id: int | None = None) -> int:
        value = self.roles[guild_id or self.guild_id].permissions
        for role_id in user.role_ids:
            value |= self.roles[role_id].permissions
        if value & ADMINISTRATOR or user.id == self.owner_id:
            return ALL_PERMISSIONS
        return value

    # channels ------------------------------------------------------------------------------

    def add_text_channel(self, name: str, position: int = 0, guild_id: int | None = None) -> int:
        channel_id = self.ids.next()
        self.channels[channel_id] = {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id or self.guild_id),
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "last_pin_timestamp": None,
            "flags": 0,
        }
        self.channel_messages[channel_id] = []
        return channel_id

    def add_voice_channel(self, name: str, position: int = 0) -> int:
        """A voice channel; its text chat takes messages and commands like a text channel."""
        channel_id = self.add_text_channel(name, position)
        channel = self.channels[channel_id]
        channel.update(type=2, bitrate=64000, user_limit=0, rtc_region=None)
        channel.pop("topic", None)
        return channel_id

    def add_public_thread(self, parent_id: int, name: str) -> int:
        """A public thread (started by a member, without a message) in a text channel."""
        from .world_payloads import thread_payload

        thread_id = self.ids.next()
        thread = thread_payload(self, thread_id, parent_id, name)
        thread["owner_id"] = str(self.owner_id)
        thread.pop("member")
        self.add_thread(thread)
        return thread_id

    def set_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0
    ) -> None:
        """A permission overwrite on a channel for a role (or @everyone) or a member."""
        channel = self.channels[channel_id]
        kind = 0 if target_id in self.roles else 1
        entries = [e for e in channel["permission_overwrites"] if int(e["id"]) != target_id]
        entries.append({"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)})
        channel["permission_overwrites"] = entries

    def dm_channel_for(self, user: User) -> dict[str, Any]:
        channel_id = self.dm_by_user.get(user.id)
        if channel_id is None:
            channel_id = self.ids.next()
            self.channels[channel_id] = {
                "id": str(channel_id),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "last_pin_timestamp": None,
                "recipients": [user.payload()],
            }
            self.channel_messages[channel_id] = []
            self.dm_by_user[user.id] = channel_id
        return self.channels[channel_id]

    def add_thread(self, thread: dict[str, Any]) -> None:
        thread_id = int(thread["id"])
        self.channels[thread_id] = thread
        self.channel_messages[thread_id] = []

    def is_thread(self, channel: dict[str, Any]) -> bool:
        return channel["type"] in (10, 11, 12)

    def guild_text_channels(self) -> list[dict[str, Any]]:
        return [c for c in self.channels.values() if c["type"] == 0]

    def guild_channels(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Text, voice and announcement channels of a guild (default: the first one; threads
        and DMs are not among them)."""
        guild = str(guild_id or self.guild_id)
        return [
            c for c in self.channels.values() if c["type"] in (0, 2, 5) and c["guild_id"] == guild
        ]

    def threads(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        guild = str(guild_id or self.guild_id)
        return [c for c in self.channels.values() if self.is_thread(c) and c["guild_id"] == guild]

    # messages -------------------------------------------------------------------------------

    def store_message(self, message: Message) -> None:
        self.messages[message.id] = message
        ids = self.channel_messages.setdefault(message.channel_id, [])
        if not ids or ids[-1] < message.id:
            ids.append(message.id)
        else:
            bisect.insort(ids, message.id)
        channel = self.channels.get(message.channel_id)
        if channel is not None and not message.ephemeral:
            channel["last_message_id"] = str(message.id)
            if self.is_thread(channel):
                channel["message_count"] += 1
                channel["total_message_sent"] += 1

    def delete_message(self, message: Message) -> None:
        message.deleted = True
        ids = self.channel_messages.get(message.channel_id, [])
        index = bisect.bisect_left(ids, message.id)
        if index < len(ids) and ids[index] == message.id:
            del ids[index]

    def live_message(self, message_id: int) -> Message | None:
        message = self.messages.get(message_id)
        return None if message is None or message.deleted else message

    def messages_in(self, channel_id: int, include_ephemeral: bool = False) -> list[Message]:
        out = [self.messages[i] for i in self.channel_messages.get(channel_id, [])]
        return out if include_ephemeral else [m for m in out if not m.ephemeral]

    def list_messages(
        self,
        channel_id: int,
        limit: int,
        before: int | None = None,
        after: int | None = None,
        around: int | None = None,
    ) -> list[Message]:
        """Newest first, as Discord answers ``GET /channels/{id}/messages``."""
        ids = self.channel_messages.get(channel_id, [])
        if around is not None:
            mid = bisect.bisect_left(ids, around)
            lo = max(0, mid - limit // 2)
            chosen = ids[lo : lo + limit]
        elif after is not None:
            start = bisect.bisect_right(ids, after)
            chosen = ids[start : start + limit]
        else:
            end = bisect.bisect_left(ids, before) if before is not None else len(ids)
            chosen = ids[max(0, end - limit) : end]
        picked = [self.messages[i] for i in reversed(chosen)]
        return [m for m in picked if not m.ephemeral]

    # commands ---------------------------------------------------------------------------------

    def put_commands(self, guild_id: int | None, commands: list[dict[str, Any]]) -> list[dict]:
        """Bulk overwrite; a command keeps its id across syncs (matched by type and name)."""
        stored: dict[str, dict[str, Any]] = {}
        for command in commands:
            kind = command.get("type") or 1
            key = (guild_id, f"{kind}:{command['name']}")
            command_id = self.command_ids.setdefault(key, self.ids.next())
            full = {
                "id": str(command_id),
                "application_id": str(self.application_id),
                "version": str(self.ids.next()),
                "default_member_permissions": command.get("default_member_permissions"),
                "type": kind,
                "name": command["name"],
                "name_localizations": command.get("name_localizations"),
                "description": command.get("description") or "",
                "description_localizations": command.get("description_localizations"),
                "dm_permission": command.get("dm_permission", True),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types", [0]),
                "options": command.get("options") or [],
                "nsfw": command.get("nsfw", False),
            }
            if guild_id is not None:
                full["guild_id"] = str(guild_id)
            stored[full["name"] if kind == 1 else f"{kind}:{full['name']}"] = full
        self.commands[guild_id] = stored
        return list(stored.values())

    def find_command(self, name: str, guild_id: int | None = None) -> dict[str, Any]:
        for scope in (guild_id or self.guild_id, None):
            command = self.commands.get(scope, {}).get(name)
            if command is not None:
                return command
        synced = sorted({n for scope in self.commands.values() for n in scope})
        raise LookupError(f"command {name!r} was not synced; synced: {synced}")
