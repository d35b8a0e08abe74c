"""A clip withheld by the content check, told to its member privately (issue 19 item 5).

The member learns which scene and why in a direct message: the /generate interaction's token,
which an ephemeral followup needs, lasts 15 minutes ("Interaction tokens are valid for 15
minutes", Discord's "Receiving and Responding" to interactions), while a film's clips often
finish later, or after a restart; a DM stays private and reaches them whenever it is sent. The
public reply and thread only say that the scene was withheld, never the categories, and the
clip itself is never posted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.pipeline.events import ClipWithheld, Event
from bot.tasks import spawn
from bot.tree import NO_MENTIONS

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

log = logging.getLogger(__name__)


def text(event: ClipWithheld) -> str:
    """The private message: the scene, the categories, and what the member can do."""
    return (
        f"🚫 Scene {event.index + 1} of your generation #{event.generation_id} was withheld: "
        f"a frame of it was flagged by the content check ({', '.join(event.categories)}). "
        "It was not posted in the channel or the thread, and the film is not delivered with "
        "it. Press **Retry** on the generation's reply to make that scene again (a new take), "
        "or start again with a different idea."
    )


class WithheldNotifier:
    """The bus subscriber that DMs the member of a withheld clip."""

    def __init__(self, bot: Reelbot) -> None:
        self._bot = bot

    def handle(self, event: Event) -> None:
        if isinstance(event, ClipWithheld) and event.source == "discord":
            spawn(self._tell(event), name=f"withheld-{event.generation_id}-{event.index}")

    async def _tell(self, event: ClipWithheld) -> None:
        try:
            channel = await self._bot.create_dm(discord.Object(id=event.owner_id))
            await channel.send(text(event), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:  # DMs closed: the reply still says it was withheld
            log.warning(
                "could not tell member %s privately that generation %s scene %s was withheld: %s",
                event.owner_id,
                event.generation_id,
                event.index + 1,
                exc,
            )
