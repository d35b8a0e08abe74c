"""Injecting interactions (slash commands, component clicks) through the gateway."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .payloads import command_data, find_component, interaction_payload
from .records import Interaction, User

if TYPE_CHECKING:
    from .gateway import Gateway
    from .state import World


class InjectMixin:
    """``FakeDiscord.send_slash`` and ``FakeDiscord.click``."""

    world: World
    gateway: Gateway
    upload_limit: int | None
    channel_id: int

    loop_time: Callable[[], float]
    base_url: str

    async def send_slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: str | int | User = "alice",
        channel_id: int | None = None,
    ) -> Interaction:
        """Dispatch a slash command (``name`` may be ``"group sub"``) as ``user``, in
        ``channel_id`` (default: the first guild's "general"). An ATTACHMENT option takes an
        ``OptionFile``: it arrives as Discord delivers one."""
        channel_id = channel_id or self.channel_id
        guild_id = self.world.guild_of(self.world.channels[channel_id])
        data = command_data(
            self.world, name, options, guild_id, cdn=self.base_url, channel_id=channel_id
        )
        return await self._inject(2, data, user, channel_id, name=name)

    async def click(
        self,
        custom_id: str,
        message_id: int,
        *,
        user: str | int | User = "alice",
        values: list[str] | None = None,
    ) -> Interaction:
        """Press a button (or choose ``values`` of a select) on a message."""
        message = self.world.live_message(int(message_id))
        if message is None:
            raise LookupError(f"no message {message_id}")
        component = find_component(message.payload["components"], custom_id)
        if component is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            data["values"] = list(values or [])
        return await self._inject(
            3,
            data,
            user,
            message.channel_id,
            custom_id=custom_id,
            message=copy.deepcopy(message.payload),
        )

    async def submit_modal(
        self, shown: Interaction, values: dict[str, str], *, user: str | int | User | None = None
    ) -> Interaction:
        """Submit the modal the bot answered `shown` with (callback type 9), its text inputs
        filled from `values` (custom_id → text; others empty), as Discord sends it: a
        MODAL_SUBMIT interaction (type 5) whose data has the modal's ``custom_id`` and its
        components, each text input as ``{"type": 4, "id", "custom_id", "value"}``, inside its
        Label (``{"type": 18, "id", "component"}``) or action row (``{"type": 1, "id",
        "components"}``); the message the button was on comes along as ``message`` ("for
        components or modals triggered by components"). https://discord.com/developers/docs/
        interactions/receiving-and-responding#interaction-object-modal-submit-data-structure
        and .../components/reference#label-label-interaction-response-structure."""
        modal = shown.modal
        if modal is None:
            raise ValueError(f"interaction {shown.id} was not answered with a modal")
        ids = iter(range(1, 1000))

        def submitted(component: dict[str, Any]) -> dict[str, Any] | None:
            kind = component["type"]
            number = component.get("id") or next(ids)
            if kind == 18:
                inner = submitted(component["component"])
                return None if inner is None else {"type": 18, "id": number, "component": inner}
            if kind == 1:
                inner_rows = [c for c in map(submitted, component["components"]) if c]
                return {"type": 1, "id": number, "components": inner_rows}
            if kind == 4:
                value = values.get(component["custom_id"], component.get("value") or "")
                return {
                    "type": 4,
                    "id": number,
                    "custom_id": component["custom_id"],
                    "value": value,
                }
            return None  # text displays carry nothing back

        components = [c for c in map(submitted, modal["components"]) if c]
        data = {"custom_id": modal["custom_id"], "components": components}
        return await self._inject(
            5,
            data,
            shown.user_id if user is None else user,
            shown.channel_id,
            custom_id=modal["custom_id"],
            message=shown.payload.get("message"),
        )

    async def _inject(
        self,
        kind: int,
        data: dict[str, Any],
        user: str | int | User,
        channel_id: int,
        *,
        name: str | None = None,
        custom_id: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> Interaction:
        if self.gateway.current is None:
            raise RuntimeError("no gateway session: start the bot and await fake.wait_ready()")
        who = self.world.user(user)
        interaction_id = self.world.ids.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        payload = interaction_payload(
            self.world,
            interaction_id=interaction_id,
            token=token,
            kind=kind,
            data=data,
            user=who,
            channel_id=channel_id,
            upload_limit=self.upload_limit,
            message=message,
        )
        record = Interaction(
            id=interaction_id,
            token=token,
            type=kind,
            user_id=who.id,
            channel_id=channel_id,
            payload=payload,
            sent_at=self.loop_time(),
            name=name,
            custom_id=custom_id,
        )
        self.world.interactions[interaction_id] = record
        self.world.interactions_by_token[token] = record
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return record

    @property
    def interactions(self) -> list[Interaction]:
        return list(self.world.interactions.values())
