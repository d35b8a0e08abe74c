"""The cast sheet's posts in a generation's thread (issue 24): one message per character, before
the clips: the portrait (the image model's, or the member's own picture), or why there is none
(that character's look then stays in words only)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.pipeline.events import Portrait
from cogs.generate.recast import RecastButton
from cogs.generate.state import ReplyState


def key(portrait: Portrait) -> str:
    """The post's key: each take of a portrait is posted once (restarts included)."""
    take = f":t{portrait.take}" if portrait.take > 1 else ""
    return f"cast:{portrait.index}{take}"


def caption(portrait: Portrait) -> str:
    name = discord.utils.escape_markdown(portrait.name)
    take = f" · take {portrait.take}" if portrait.take > 1 else ""
    if portrait.path is None:
        why = discord.utils.escape_markdown(portrait.reason or "it could not be made")
        return f"🎭 **{name}**: no portrait ({why}); their look stays in words."
    whose = "your picture" if portrait.member else "portrait"
    return f"🎭 **{name}** ({whose}{take}): passed to every scene that shows them."


def note_text(note: str) -> str:
    return f"🎭 {discord.utils.escape_markdown(note)}"[:2000]


def message(state: ReplyState, portrait: Portrait) -> Callable[[], Awaitable[dict[str, Any]]]:
    """How the post is made (called for each attempt: a sent file is consumed)."""

    async def make() -> dict[str, Any]:
        content: dict[str, Any] = {"content": caption(portrait)}
        if portrait.path is not None:
            data = await asyncio.to_thread(portrait.path.read_bytes)  # off the event loop
            name = f"cast-{portrait.index + 1}{portrait.path.suffix or '.png'}"
            content["file"] = discord.File(io.BytesIO(data), filename=name)
            recast = RecastButton(state.generation_id, portrait.index)
            content["view"] = discord.ui.View(timeout=None).add_item(recast)
        return content

    return make
