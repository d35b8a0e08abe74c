"""Interaction callbacks and the interaction webhook (followups, ``@original``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import actions
from .messages import EPHEMERAL, LOADING
from .records import Interaction, Message
from .wire import BODY, FILES, DiscordError, no_content, reply, unknown

if TYPE_CHECKING:
    from .server import FakeDiscord

CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"
ORIGINAL = f"{WEBHOOK}/messages/@original"
WEBHOOK_MESSAGE = f"{WEBHOOK}/messages/{{message_id}}"
INVALID_TOKEN = DiscordError(401, 50027, "Invalid Webhook Token")
UNKNOWN_INTERACTION = DiscordError(404, 10062, "Unknown interaction")
ACKNOWLEDGED = DiscordError(400, 40060, "Interaction has already been acknowledged.")
SLASH_TYPES, COMPONENT_TYPES = {4, 5, 8, 9, 10, 12}, {4, 5, 6, 7, 9, 10, 12}
# A MODAL_SUBMIT (interaction type 5) may not be answered with another modal (response type 9:
# "not available for MODAL_SUBMIT and PING interactions"), https://discord.com/developers/docs/
# interactions/receiving-and-responding#interaction-response-object-interaction-callback-type
MODAL_SUBMIT_TYPES = {4, 5, 6, 7}


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


class InteractionRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("POST", CALLBACK, self.callback),
            ("POST", WEBHOOK, self.followup),
            ("GET", ORIGINAL, self.get_original),
            ("PATCH", ORIGINAL, self.edit_original),
            ("DELETE", ORIGINAL, self.delete_original),
            ("GET", WEBHOOK_MESSAGE, self.get_webhook_message),
            ("PATCH", WEBHOOK_MESSAGE, self.edit_webhook_message),
            ("DELETE", WEBHOOK_MESSAGE, self.delete_webhook_message),
        ]

    # the callback ------------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        fake = self.fake
        info = request.match_info
        record = fake.world.interactions.get(int(info["interaction_id"]))
        if record is None or record.token != info["interaction_token"]:
            raise UNKNOWN_INTERACTION
        now = fake.loop_time()
        if record.callbacks:
            raise ACKNOWLEDGED
        deadline = fake.interaction_deadline
        if deadline is not None and now - record.sent_at > deadline:
            raise UNKNOWN_INTERACTION
        body: dict[str, Any] = request[BODY] or {}
        kind = body.get("type")
        allowed = {2: SLASH_TYPES, 5: MODAL_SUBMIT_TYPES}.get(record.type, COMPONENT_TYPES)
        if kind not in allowed:
            error = {"_errors": [{"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": "bad"}]}
            raise DiscordError(400, 50035, "Invalid Form Body", {"type": error})
        record.callbacks.append(body)
        record.callback, record.callback_at = body, now
        try:
            message = await self._respond(record, kind, body.get("data") or {}, request[FILES])
        finally:
            record._done.set()
        if not _truthy(request.query.get("with_response")):
            return no_content()
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(record.id),
                "type": record.type,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(message and message.ephemeral),
            }
        }
        if message is not None:
            answer["interaction"]["response_message_id"] = str(message.id)
            if kind in (4, 5, 7):
                answer["resource"] = {"type": kind, "message": message.payload}
        return reply(answer)

    async def _respond(
        self, record: Interaction, kind: int, data: dict[str, Any], files: list
    ) -> Message | None:
        fake = self.fake
        if kind in (4, 5):
            flags = (data.get("flags") or 0) & (EPHEMERAL | 4 | 4096 | 32768)
            if kind == 5:
                data, files, flags = {}, [], (flags & EPHEMERAL) | LOADING
            message = await actions.post_message(
                fake,
                record.channel_id,
                data,
                files,
                route=CALLBACK,
                message_type=20 if record.type == 2 else 0,
                flags=flags,
                extra=self._metadata(record),
                interaction_token=record.token,
            )
            record.original_message_id, record.original_message = message.id, message
            return message
        if kind in (6, 7):
            message = fake.world.live_message(int(record.payload["message"]["id"]))
            if message is None:
                raise unknown("Message", 10008)
            record.original_message_id = message.id
            if kind == 7:
                await actions.edit_message(fake, message, data, files, route=CALLBACK)
            return message
        if kind == 9:  # MODAL: shown to the member, who may submit it (`submit_modal`)
            record.modal = data
        return None

    def _metadata(self, record: Interaction) -> dict[str, Any]:
        world = self.fake.world
        user = world.user(record.user_id).payload()
        meta: dict[str, Any] = {
            "id": str(record.id),
            "type": record.type,
            "user": user,
            "authorizing_integration_owners": {
                "0": record.payload.get("guild_id") or str(world.guild_id)
            },
        }
        if record.type == 2:
            meta.update(name=record.name, command_type=1)
        elif record.type == 5:  # ModalSubmitInteractionMetadataResponse (the OpenAPI spec)
            trigger = {k: v for k, v in meta.items() if k != "type"}
            trigger.update(type=3, interacted_message_id=record.payload["message"]["id"])
            meta["triggering_interaction_metadata"] = trigger
        else:
            meta["interacted_message_id"] = record.payload["message"]["id"]
        legacy = {"id": str(record.id), "type": record.type, "name": record.name or ""}
        legacy["user"] = user
        return {
            "webhook_id": str(world.application_id),
            "application_id": str(world.application_id),
            "interaction_metadata": meta,
            "interaction": legacy,
        }

    # the webhook ---------------------------------------------------------------------------

    def _record(self, request: web.Request) -> Interaction:
        fake = self.fake
        info = request.match_info
        if info["webhook_id"] != str(fake.world.application_id):
            raise unknown("Webhook", 10015)
        record = fake.world.interactions_by_token.get(info["webhook_token"])
        if record is None or record.expired:
            raise INVALID_TOKEN
        if fake.loop_time() - record.sent_at > fake.token_ttl:
            record.expired = True
            raise INVALID_TOKEN
        if not record.callbacks:
            raise unknown("Webhook", 10015)
        return record

    def _original(self, record: Interaction) -> Message:
        message = None
        if record.original_message_id is not None:
            message = self.fake.world.live_message(record.original_message_id)
        if message is None:
            raise unknown("Message", 10008)
        return message

    def _owned(self, record: Interaction, message_id: str) -> Message:
        try:
            message = self.fake.world.live_message(int(message_id))
        except ValueError:
            message = None
        if message is None or (
            message.interaction_token != record.token and message.id != record.original_message_id
        ):
            raise unknown("Message", 10008)
        return message

    async def followup(self, request: web.Request) -> web.Response:
        fake = self.fake
        record = self._record(request)
        body: dict[str, Any] = request[BODY] or {}
        files = request[FILES]
        if actions.is_empty(body, files):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        original = None
        if record.original_message_id is not None:
            original = fake.world.live_message(record.original_message_id)
        if original is not None and original.loading:
            # The first followup after a deferral replaces the "thinking" message.
            message = await actions.edit_message(fake, original, body, files, route=WEBHOOK)
        else:
            channel_id = int(request.query.get("thread_id") or record.channel_id)
            actions.channel_or_404(fake, channel_id)
            message = await actions.post_message(
                fake,
                channel_id,
                body,
                files,
                route=WEBHOOK,
                flags=(body.get("flags") or 0) & (EPHEMERAL | 4 | 4096 | 32768),
                extra=self._metadata(record),
                interaction_token=record.token,
            )
        record.followups.append(message)
        if not _truthy(request.query.get("wait")):
            return no_content()
        return reply(message.payload)

    async def get_original(self, request: web.Request) -> web.Response:
        return reply(self._original(self._record(request)).payload)

    async def edit_original(self, request: web.Request) -> web.Response:
        message = self._original(self._record(request))
        body, files = request[BODY] or {}, request[FILES]
        await actions.edit_message(self.fake, message, body, files, route=ORIGINAL)
        return reply(message.payload)

    async def delete_original(self, request: web.Request) -> web.Response:
        await actions.delete_message(self.fake, self._original(self._record(request)))
        return no_content()

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        record = self._record(request)
        return reply(self._owned(record, request.match_info["message_id"]).payload)

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        record = self._record(request)
        message = self._owned(record, request.match_info["message_id"])
        body, files = request[BODY] or {}, request[FILES]
        await actions.edit_message(self.fake, message, body, files, route=WEBHOOK_MESSAGE)
        return reply(message.payload)

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        message = self._owned(self._record(request), request.match_info["message_id"])
        await actions.delete_message(self.fake, message)
        return no_content()
