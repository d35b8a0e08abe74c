"""What happens when a message or thread is created, edited or deleted (REST and gateway)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import access
from .gateway import INTENT_DIRECT_MESSAGES, INTENT_GUILD_MESSAGES, INTENT_GUILDS
from .messages import HAS_THREAD, apply_edit, make_attachments, new_message
from .records import FileUpload, Message, User
from .wire import DiscordError, unknown
from .world_payloads import member_payload, thread_payload

if TYPE_CHECKING:
    from .server import FakeDiscord


def channel_or_404(fake: FakeDiscord, channel_id: str | int) -> dict[str, Any]:
    try:
        return fake.world.channels[int(channel_id)]
    except (KeyError, ValueError):
        raise unknown("Channel", 10003) from None


def message_or_404(fake: FakeDiscord, channel_id: str | int, message_id: str | int) -> Message:
    try:
        message = fake.world.live_message(int(message_id))
    except ValueError:
        message = None
    if message is None or message.channel_id != int(channel_id) or message.ephemeral:
        raise unknown("Message", 10008)
    return message


def is_empty(body: dict[str, Any], files: list[FileUpload]) -> bool:
    return not (
        files
        or body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    )


async def message_event(fake: FakeDiscord, event: str, message: Message) -> None:
    """MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE, as the gateway sends them."""
    if message.ephemeral or not fake.dispatch_message_events:
        return
    channel = fake.world.channels[message.channel_id]
    in_guild = channel["type"] != 1
    intent = INTENT_GUILD_MESSAGES if in_guild else INTENT_DIRECT_MESSAGES
    if event == "MESSAGE_DELETE":
        data: dict[str, Any] = {"id": str(message.id), "channel_id": str(message.channel_id)}
    else:
        data = dict(message.payload)
        if in_guild:
            member = member_payload(fake.world, fake.world.user(message.author_id))
            member.pop("user")
            data["member"] = member
    if in_guild:
        data["guild_id"] = channel["guild_id"]
    await fake.gateway.dispatch(event, data, intent)


async def post_message(
    fake: FakeDiscord,
    channel_id: int,
    body: dict[str, Any],
    files: list[FileUpload],
    *,
    route: str,
    author: User | None = None,
    message_type: int = 0,
    flags: int | None = None,
    extra: dict[str, Any] | None = None,
    interaction_token: str | None = None,
) -> Message:
    world = fake.world
    attachments = make_attachments(
        world, fake.base_url, channel_id, files, body.get("attachments") or []
    )
    message = new_message(
        world,
        channel_id=channel_id,
        author=author or world.bot_user,
        body=body,
        attachments=attachments,
        route=route,
        message_type=message_type,
        flags=flags,
        extra=extra,
    )
    message.interaction_token = interaction_token
    world.store_message(message)
    await message_event(fake, "MESSAGE_CREATE", message)
    return message


async def edit_message(
    fake: FakeDiscord,
    message: Message,
    body: dict[str, Any],
    files: list[FileUpload],
    *,
    route: str,
) -> Message:
    new = make_attachments(
        fake.world, fake.base_url, message.channel_id, files, body.get("attachments") or []
    )
    apply_edit(fake.world, message, body, new, route=route)
    await message_event(fake, "MESSAGE_UPDATE", message)
    return message


async def delete_message(fake: FakeDiscord, message: Message) -> None:
    fake.world.delete_message(message)
    await message_event(fake, "MESSAGE_DELETE", message)


async def create_thread(
    fake: FakeDiscord,
    parent_id: int,
    body: dict[str, Any],
    *,
    message: Message | None,
) -> dict[str, Any]:
    world = fake.world
    parent = channel_or_404(fake, parent_id)
    if message is not None:
        access.require(world, parent, access.THREAD_FROM_MESSAGE)
    if parent["type"] not in access.THREAD_PARENT_TYPES:  # a thread, a voice channel's chat
        raise access.WRONG_CHANNEL_TYPE
    if message is not None and message.id in world.thread_by_message:
        raise DiscordError(400, 160004, "A thread has already been created for this message")
    kind = 11 if message is not None else int(body.get("type") or 12)
    thread_id = message.id if message is not None else world.ids.next()
    thread = thread_payload(
        world,
        thread_id,
        parent_id,
        body["name"],
        kind=kind,
        auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
        invitable=bool(body.get("invitable", True)),
    )
    world.add_thread(thread)
    if message is not None:
        world.thread_by_message[message.id] = thread_id
        message.payload["thread"] = copy.deepcopy(thread)
        message.payload["flags"] |= HAS_THREAD
    event = {**copy.deepcopy(thread), "newly_created": True}
    await fake.gateway.dispatch("THREAD_CREATE", event, INTENT_GUILDS)
    return thread
