"""Builders of the guild-side objects: roles, members, the application, GUILD_CREATE,
READY and thread channels."""

from __future__ import annotations

import copy
from typing import Any

from .records import Role, User
from .state import World, iso


def role_payload(role: Role) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(role.id),
        "name": role.name,
        "description": None,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": False,
        "flags": 0,
    }
    if role.bot_id is not None:
        out["tags"] = {"bot_id": str(role.bot_id)}
    return out


def member_payload(
    world: World, user: User, *, with_permissions: bool = False, guild_id: int | None = None
) -> dict:
    out: dict[str, Any] = {
        "user": user.payload(),
        "roles": [str(r) for r in user.role_ids],
        "joined_at": user.joined_at,
        "nick": None,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
        "unusual_dm_activity_until": None,
    }
    if with_permissions:
        out["permissions"] = str(world.permissions(user, guild_id))
    return out


def application_payload(world: World) -> dict[str, Any]:
    """``GET /oauth2/applications/@me`` (what discord.py's ``AppInfo`` reads)."""
    owner = world.user(world.owner_id)
    return {
        "id": str(world.application_id),
        "name": world.bot_user.name,
        "icon": None,
        "description": "Loopback fake of Reelbot's application",
        "summary": "",
        "type": None,
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 1 << 19,
        "owner": owner.payload(),
        "team": None,
        "bot": world.bot_user.payload(),
        "interactions_endpoint_url": None,
        "redirect_uris": [],
        "tags": [],
        "approximate_guild_count": len(world.guilds),
        "integration_types_config": {"0": {}},
    }


def guild_create_payload(
    world: World, *, all_members: bool, guild_id: int | None = None
) -> dict[str, Any]:
    """GUILD_CREATE of a guild (default: the first one)."""
    guild_id = guild_id or world.guild_id
    users = [world.bot_user, *world.users.values()] if all_members else [world.bot_user]
    channels = world.guild_channels(guild_id)
    return {
        "id": str(guild_id),
        "name": world.guilds[guild_id],
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(world.owner_id),
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_payload(r) for r in world.guild_roles(guild_id)],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": str(world.default_channels[guild_id]),
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": world.premium_tier,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "nsfw": False,
        "premium_progress_bar_enabled": False,
        "joined_at": world.bot_user.joined_at,
        "large": False,
        "unavailable": False,
        "lazy": True,
        "member_count": 1 + len(world.users),
        "voice_states": [],
        "members": [member_payload(world, u) for u in users],
        "channels": copy.deepcopy(channels),
        "threads": copy.deepcopy(world.threads(guild_id)),
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "embedded_activities": [],
        "version": 0,
    }


def ready_payload(
    world: World, session_id: str, resume_url: str, shard: Any, guild_ids: list[int]
) -> dict:
    data: dict[str, Any] = {
        "v": 10,
        "user": {**world.bot_user.payload(), "verified": True, "mfa_enabled": False, "email": None},
        "user_settings": {},
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "guild_join_requests": [],
        "relationships": [],
        "private_channels": [],
        "presences": [],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "geo_ordered_rtc_regions": ["loopback"],
        "application": {"id": str(world.application_id), "flags": 1 << 19},
        "auth": {},
        "_trace": ['["gateway-prd-loopback",{"micros":1}]'],
    }
    if shard is not None:
        data["shard"] = shard
    return data


def thread_payload(
    world: World,
    thread_id: int,
    parent_id: int,
    name: str,
    *,
    kind: int = 11,
    auto_archive_duration: int = 1440,
    invitable: bool = True,
) -> dict[str, Any]:
    now = iso()
    return {
        "id": str(thread_id),
        "type": kind,
        "guild_id": world.channels[parent_id]["guild_id"],
        "parent_id": str(parent_id),
        "owner_id": str(world.bot_user.id),
        "name": name,
        "last_message_id": None,
        "last_pin_timestamp": None,
        "rate_limit_per_user": 0,
        "flags": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "applied_tags": [],
        "thread_metadata": {
            "archived": False,
            "archive_timestamp": now,
            "auto_archive_duration": auto_archive_duration,
            "locked": False,
            "create_timestamp": now,
            "invitable": invitable,
        },
        "member": {
            "id": str(thread_id),
            "user_id": str(world.bot_user.id),
            "join_timestamp": now,
            "flags": 1,
        },
    }
