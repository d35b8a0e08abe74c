"""Builders of interaction payloads (INTERACTION_CREATE for slash commands and clicks)."""

from __future__ import annotations

import copy
from typing import Any

from .option_files import option_attachment
from .records import OptionFile, User
from .state import World
from .world_payloads import member_payload, role_payload

OPTION_SUBCOMMAND, OPTION_GROUP = 1, 2
OPTION_STRING, OPTION_INTEGER, OPTION_BOOLEAN = 3, 4, 5
OPTION_USER, OPTION_CHANNEL, OPTION_ROLE, OPTION_MENTIONABLE, OPTION_NUMBER = 6, 7, 8, 9, 10
OPTION_ATTACHMENT = 11


def _find_option(options: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for option in options:
        if option["name"] == name:
            return option
    raise ValueError(f"no option {name!r}; known: {[o['name'] for o in options]}")


def _typed_options(
    world: World,
    defs: list[dict[str, Any]],
    given: dict[str, Any],
    resolved: dict,
    files: tuple[str, int],
) -> list[dict[str, Any]]:
    out = []
    for name, value in given.items():
        definition = _find_option(defs, name)
        kind = definition["type"]
        if kind == OPTION_ATTACHMENT:  # the id; the object in resolved.attachments
            if not isinstance(value, OptionFile):
                raise TypeError(f"option {name!r} takes an OptionFile, not {value!r}")
            attachment = option_attachment(world, *files, value)
            resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.payload()
            value = str(attachment.id)
        elif kind in (OPTION_USER, OPTION_MENTIONABLE) and not _is_role(world, value):
            user = world.user(value)
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            member = member_payload(world, user, with_permissions=True)
            member.pop("user")
            resolved.setdefault("members", {})[str(user.id)] = member
            value = str(user.id)
        elif kind in (OPTION_ROLE, OPTION_MENTIONABLE):
            role = world.roles[int(value)]
            resolved.setdefault("roles", {})[str(role.id)] = role_payload(role)
            value = str(role.id)
        elif kind == OPTION_CHANNEL:
            channel = world.channels[int(value)]
            entry = {k: channel[k] for k in ("id", "type", "name", "parent_id") if k in channel}
            entry["permissions"] = str(world.permissions(world.bot_user))
            if "thread_metadata" in channel:
                entry["thread_metadata"] = channel["thread_metadata"]
            resolved.setdefault("channels", {})[str(channel["id"])] = entry
            value = str(channel["id"])
        elif kind == OPTION_INTEGER:
            value = int(value)
        elif kind == OPTION_NUMBER:
            value = float(value)
        elif kind == OPTION_BOOLEAN:
            value = bool(value)
        elif kind == OPTION_STRING:
            value = str(value)
        out.append({"name": name, "type": kind, "value": value})
    return out


def _is_role(world: World, value: Any) -> bool:
    try:
        return int(value) in world.roles
    except (TypeError, ValueError):
        return False


def command_data(
    world: World,
    name: str,
    options: dict[str, Any] | None,
    guild_id: int | None = None,
    *,
    cdn: str = "",
    channel_id: int = 0,
) -> dict[str, Any]:
    """``data`` of a slash-command interaction used in ``guild_id`` (default: the first guild);
    ``name`` may be ``"group sub"``. Files given to ATTACHMENT options are served from ``cdn``
    as attachments of ``channel_id``."""
    root, *path = name.split()
    command = world.find_command(root, guild_id)
    resolved: dict[str, Any] = {}
    chain: list[dict[str, Any]] = []
    current = command["options"]
    for part in path:
        definition = _find_option(current, part)
        chain.append(definition)
        current = definition.get("options") or []
    leaf = _typed_options(world, current, options or {}, resolved, (cdn, channel_id))
    for definition in reversed(chain):
        leaf = [{"name": definition["name"], "type": definition["type"], "options": leaf}]
    data: dict[str, Any] = {
        "id": command["id"],
        "name": command["name"],
        "type": command["type"],
        "options": leaf,
    }
    if resolved:
        data["resolved"] = resolved
    if "guild_id" in command:
        data["guild_id"] = command["guild_id"]
    return data


def interaction_payload(
    world: World,
    *,
    interaction_id: int,
    token: str,
    kind: int,
    data: dict[str, Any],
    user: User,
    channel_id: int,
    upload_limit: int | None = None,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from .access import attachment_size_limit, channel_permissions

    channel = world.channels[channel_id]
    permissions = str(channel_permissions(world, user, channel))
    # app_permissions: "Bitwise set of permissions the app has in the source location of the
    # interaction" (developers/interactions/receiving-and-responding.mdx)
    app_permissions = str(channel_permissions(world, world.bot_user, channel))
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(world.application_id),
        "type": kind,
        "data": data,
        "channel_id": str(channel_id),
        "channel": {**copy.deepcopy(channel), "permissions": permissions},
        "token": token,
        "version": 1,
        "app_permissions": app_permissions,
        "locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": upload_limit or attachment_size_limit(world, user),
    }
    if channel["type"] == 1:
        payload["user"] = user.payload()
        payload["context"] = 1
        payload["authorizing_integration_owners"] = {"0": str(world.guild_id)}
    else:
        guild_id = str(world.guild_of(channel))
        payload["guild_id"] = guild_id
        payload["guild"] = {"id": guild_id, "locale": "en-US", "features": []}
        payload["guild_locale"] = "en-US"
        payload["member"] = member_payload(
            world, user, with_permissions=True, guild_id=int(guild_id)
        )
        payload["context"] = 0
        payload["authorizing_integration_owners"] = {"0": guild_id}
    if message is not None:
        payload["message"] = message
    return payload


def find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        for key in ("components", "accessory"):
            inner = component.get(key)
            if isinstance(inner, dict):
                inner = [inner]
            if isinstance(inner, list):
                found = find_component(inner, custom_id)
                if found is not None:
                    return found
    return None
