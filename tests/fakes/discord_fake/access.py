"""What the bot may do where: channel permissions, upload limits, channel types for threads.

Each rule names the documentation it follows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .state import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    ATTACH_FILES,
    CREATE_PUBLIC_THREADS,
    EMBED_LINKS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    World,
)
from .wire import DiscordError

if TYPE_CHECKING:
    from .records import User

MIB = 1024 * 1024
# Upload limit of a server by boost tier, and of a DM: "The default limit is 10 MiB for all
# users, but may be higher ... by the server's Boost Tier"
# (discord-api-docs developers/reference.mdx, "Uploading Files"; 10 MiB since 2025-01-16 per
# developers/change-log.mdx "Default File Upload Limit Change"); tier 2 = 50 MiB, tier 3 =
# 100 MiB as discord.py encodes it (discord/guild.py, Guild._PREMIUM_GUILD_LIMITS).
TIER_UPLOAD_LIMITS = {0: 10 * MIB, 1: 10 * MIB, 2: 50 * MIB, 3: 100 * MIB}
DM_UPLOAD_LIMIT = 10 * MIB
NITRO_UPLOAD_LIMIT = 500 * MIB  # what a Nitro member's client may upload

# "Start Thread from Message ... When called on a GUILD_TEXT channel, creates a PUBLIC_THREAD.
# When called on a GUILD_ANNOUNCEMENT channel, creates a ANNOUNCEMENT_THREAD."
# (developers/resources/channel.mdx); on a thread or a voice channel's chat Discord answers
# 400 50024 "Cannot execute action on this channel type" (openclaw/openclaw#20613).
THREAD_PARENT_TYPES = (0, 5)
WRONG_CHANNEL_TYPE = DiscordError(400, 50024, "Cannot execute action on this channel type")
# 50001 when the bot cannot see the channel at all, 50013 when it sees it but lacks the
# permission (developers/topics/opcodes-and-status-codes.mdx; missing VIEW_CHANNEL answered
# 50001: skyra-project/skyra#2578, Brainicism/KMQ_Discord#1916).
MISSING_ACCESS = DiscordError(403, 50001, "Missing Access")
MISSING_PERMISSIONS = DiscordError(403, 50013, "Missing Permissions")
TOO_LARGE = DiscordError(413, 40005, "Request entity too large")


def _overwrite(channel: dict[str, Any], target_id: int) -> tuple[int, int]:
    for entry in channel.get("permission_overwrites") or []:
        if int(entry["id"]) == target_id:
            return int(entry["allow"]), int(entry["deny"])
    return 0, 0


def channel_permissions(world: World, user: User, channel: dict[str, Any]) -> int:
    """The user's permissions in a guild channel: base permissions, then the @everyone, role
    and member overwrites in that order (developers/topics/permissions.mdx, "Permission
    Overwrites"); a thread uses its parent's ("Permissions" in developers/topics/threads.mdx).
    Without VIEW_CHANNEL nothing else counts ("Implicit Permissions")."""
    if channel["type"] == 1:
        return ALL_PERMISSIONS
    if world.is_thread(channel) and channel.get("parent_id"):
        channel = world.channels[int(channel["parent_id"])]
    guild_id = world.guild_of(channel) or world.guild_id
    value = world.permissions(user, guild_id)
    if value & ADMINISTRATOR or value == ALL_PERMISSIONS:
        return ALL_PERMISSIONS
    allow, deny = _overwrite(channel, guild_id)
    value = (value & ~deny) | allow
    role_allow = role_deny = 0
    for role_id in user.role_ids:
        a, d = _overwrite(channel, role_id)
        role_allow, role_deny = role_allow | a, role_deny | d
    value = (value & ~role_deny) | role_allow
    allow, deny = _overwrite(channel, user.id)
    value = (value & ~deny) | allow
    return value if value & VIEW_CHANNEL else 0


def require(world: World, channel: dict[str, Any], needed: int) -> None:
    """403 unless the bot has every permission in ``needed`` in the channel."""
    if channel["type"] == 1:
        return
    have = channel_permissions(world, world.bot_user, channel)
    if not have & VIEW_CHANNEL:
        raise MISSING_ACCESS
    if needed & ~have:
        raise MISSING_PERMISSIONS


def for_message(world: World, channel: dict[str, Any], body: dict[str, Any], files: list) -> int:
    """Permissions a new message needs. Create Message: SEND_MESSAGES, and READ_MESSAGE_HISTORY
    for a reply (developers/resources/message.mdx, "Limitations"); in a thread
    SEND_MESSAGES_IN_THREADS instead of SEND_MESSAGES (developers/topics/threads.mdx);
    ATTACH_FILES "allows for uploading images and files" (developers/topics/permissions.mdx);
    an embed-only message without EMBED_LINKS is refused with 403 Missing Permissions
    (discord/discord-api-docs#2601)."""
    needed = VIEW_CHANNEL
    needed |= SEND_MESSAGES_IN_THREADS if world.is_thread(channel) else SEND_MESSAGES
    if files:
        needed |= ATTACH_FILES
    if body.get("embeds") and not body.get("content"):
        needed |= EMBED_LINKS
    if isinstance(body.get("message_reference"), dict):
        needed |= READ_MESSAGE_HISTORY
    return needed


THREAD_FROM_MESSAGE = VIEW_CHANNEL | CREATE_PUBLIC_THREADS
READ_HISTORY = VIEW_CHANNEL | READ_MESSAGE_HISTORY  # Get Channel Messages (message.mdx)


def upload_limit(world: World, channel: dict[str, Any] | None) -> int:
    """The per-file limit on the bot's own uploads where they go: the guild's boost tier, or
    10 MiB in a DM. Checked per attachment since 2025-04-03 (developers/change-log.mdx,
    "Per-Attachment File Upload Behavior for Apps")."""
    if channel is not None and channel["type"] == 1:
        return DM_UPLOAD_LIMIT
    return TIER_UPLOAD_LIMITS[world.premium_tier]


def attachment_size_limit(world: World, user: User) -> int:
    """``attachment_size_limit`` of an interaction: "calculated as the maximum of" the member's
    Nitro limit and the server's boost limit (developers/reference.mdx, "Uploading Files")."""
    return max(world.nitro.get(user.id, 0), TIER_UPLOAD_LIMITS[world.premium_tier])
