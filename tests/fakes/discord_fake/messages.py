"""Creating and editing messages the way Discord does (mentions, attachments, embeds)."""

from __future__ import annotations

import asyncio
import copy
import mimetypes
import re
import time
from typing import Any
from urllib.parse import quote

from .records import Attachment, Edit, FileUpload, Message, User
from .state import MENTION_EVERYONE, World, iso

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EDITABLE_FLAGS = 4 | 32768  # SUPPRESS_EMBEDS, IS_COMPONENTS_V2
LOADING = 128
EPHEMERAL = 64
HAS_THREAD = 32


def compute_mentions(
    world: World,
    content: str,
    allowed: dict[str, Any] | None,
    *,
    author: User,
    in_guild: bool,
    referenced: Message | None = None,
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """``mentions``, ``mention_roles`` and ``mention_everyone`` after ``allowed_mentions``.

    Without ``allowed_mentions`` Discord parses every kind of mention in the content.
    """
    if allowed is None:
        parse, users, roles, replied = {"users", "roles", "everyone"}, set(), set(), True
    else:
        parse = set(allowed.get("parse") or [])
        users = {str(u) for u in allowed.get("users") or []}
        roles = {str(r) for r in allowed.get("roles") or []}
        replied = bool(allowed.get("replied_user"))
    mentioned: dict[str, dict[str, Any]] = {}
    for uid in USER_MENTION.findall(content):
        if ("users" in parse or uid in users) and int(uid) in world.users_by_id:
            mentioned.setdefault(uid, world.users_by_id[int(uid)].payload())
    if referenced is not None and replied:
        mentioned.setdefault(str(referenced.author_id), referenced.payload["author"])
    mention_roles: list[str] = []
    if in_guild:
        for rid in ROLE_MENTION.findall(content):
            allowed_role = "roles" in parse or rid in roles
            if allowed_role and int(rid) in world.roles and rid not in mention_roles:
                mention_roles.append(rid)
    everyone = (
        in_guild
        and "everyone" in parse
        and ("@everyone" in content or "@here" in content)
        and bool(world.permissions(author) & MENTION_EVERYONE)
    )
    return list(mentioned.values()), mention_roles, everyone


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def normalize_embeds(embeds: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for embed in embeds or []:
        embed = _drop_none(copy.deepcopy(embed))
        embed.setdefault("type", "rich")
        embed["content_scan_version"] = 0
        out.append(embed)
    return out


def normalize_components(components: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Discord numbers every component (``id``) in what it returns."""
    out = _drop_none(copy.deepcopy(components or []))
    counter = 0

    def number(items: list[dict[str, Any]]) -> None:
        nonlocal counter
        for item in items:
            counter += 1
            item.setdefault("id", counter)
            for key in ("components", "items"):
                if isinstance(item.get(key), list):
                    number(item[key])
            if isinstance(item.get("accessory"), dict):
                number([item["accessory"]])

    number(out)
    return out


def make_attachments(
    world: World, base_url: str, channel_id: int, files: list[FileUpload], meta: list[Any]
) -> list[Attachment]:
    """Attachments for uploaded ``files[n]`` parts, named after ``attachments[].id == n``."""
    by_index: dict[str, dict[str, Any]] = {}
    for entry in meta:
        if isinstance(entry, dict) and "id" in entry:
            by_index[str(entry["id"])] = entry
    out = []
    for upload in files:
        index = upload.field[len("files[") : -1] if upload.field.startswith("files[") else ""
        entry = by_index.get(index, {})
        filename = entry.get("filename") or upload.filename or f"file{index}"
        attachment_id = world.ids.next()
        guessed = mimetypes.guess_type(filename)[0]
        content_type = guessed or upload.content_type or "application/octet-stream"
        attachment = Attachment(
            id=attachment_id,
            channel_id=channel_id,
            filename=filename,
            size=upload.size,
            content_type=content_type,
            data=upload.data,
            url=f"{base_url}/attachments/{channel_id}/{attachment_id}/{quote(filename)}",
            description=entry.get("description"),
        )
        world.attachments[attachment_id] = attachment
        out.append(attachment)
    return out


def new_message(
    world: World,
    *,
    channel_id: int,
    author: User,
    body: dict[str, Any],
    attachments: list[Attachment],
    route: str,
    message_type: int = 0,
    flags: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Message:
    channel = world.channels[channel_id]
    in_guild = channel["type"] != 1
    content = body.get("content") or ""
    referenced = None
    reference = body.get("message_reference")
    if isinstance(reference, dict) and reference.get("message_id"):
        referenced = world.live_message(int(reference["message_id"]))
    mentions, mention_roles, everyone = compute_mentions(
        world,
        content,
        body.get("allowed_mentions"),
        author=author,
        in_guild=in_guild,
        referenced=referenced,
    )
    now = time.time()
    payload: dict[str, Any] = {
        "type": 19 if referenced is not None and message_type == 0 else message_type,
        "content": content,
        "mentions": mentions,
        "mention_roles": mention_roles,
        "attachments": [a.payload() for a in attachments],
        "embeds": normalize_embeds(body.get("embeds")),
        "timestamp": iso(now),
        "edited_timestamp": None,
        "flags": (body.get("flags") or 0) if flags is None else flags,
        "components": normalize_components(body.get("components")),
        "id": str(world.ids.next()),
        "channel_id": str(channel_id),
        "author": author.payload(),
        "pinned": False,
        "mention_everyone": everyone,
        "tts": bool(body.get("tts")),
    }
    if body.get("nonce") is not None:
        payload["nonce"] = body["nonce"]
    if referenced is not None:
        payload["message_reference"] = {
            "type": 0,
            "channel_id": str(referenced.channel_id),
            "message_id": str(referenced.id),
            **({"guild_id": channel["guild_id"]} if in_guild else {}),
        }
        payload["referenced_message"] = copy.deepcopy(referenced.payload)
    if world.is_thread(channel):
        payload["position"] = channel["total_message_sent"]
    payload.update(extra or {})
    message = Message(payload=payload, attachments=list(attachments))
    message.history.append(
        Edit(
            body=copy.deepcopy(body),
            at=_loop_time(),
            timestamp=payload["timestamp"],
            route=route,
            kind="create",
            files=[a.filename for a in attachments],
        )
    )
    return message


def apply_edit(
    world: World,
    message: Message,
    body: dict[str, Any],
    new_attachments: list[Attachment],
    *,
    route: str,
) -> None:
    """PATCH semantics: only the fields present in ``body`` change."""
    payload = message.payload
    if "content" in body:
        payload["content"] = body["content"] or ""
    if "content" in body or "allowed_mentions" in body:
        channel = world.channels[message.channel_id]
        mentions, roles, everyone = compute_mentions(
            world,
            payload["content"],
            body.get("allowed_mentions"),
            author=world.user(message.author_id),
            in_guild=channel["type"] != 1,
        )
        payload.update(mentions=mentions, mention_roles=roles, mention_everyone=everyone)
    if "embeds" in body:
        payload["embeds"] = normalize_embeds(body["embeds"])
    if "components" in body:
        payload["components"] = normalize_components(body["components"])
    if body.get("flags") is not None:
        payload["flags"] = (payload["flags"] & ~EDITABLE_FLAGS) | (body["flags"] & EDITABLE_FLAGS)
    if "attachments" in body or new_attachments:
        kept = message.attachments
        if body.get("attachments") is not None:
            keep_ids = {str(a.get("id")) for a in body["attachments"] if isinstance(a, dict)}
            kept = [a for a in message.attachments if str(a.id) in keep_ids]
        elif "attachments" in body:
            kept = []
        message.attachments = kept + new_attachments
        payload["attachments"] = [a.payload() for a in message.attachments]
    payload["flags"] &= ~LOADING
    now = time.time()
    payload["edited_timestamp"] = iso(now)
    message.history.append(
        Edit(
            body=copy.deepcopy(body),
            at=_loop_time(),
            timestamp=payload["edited_timestamp"],
            route=route,
            files=[a.filename for a in new_attachments],
        )
    )


def _loop_time() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()
