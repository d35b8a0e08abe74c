"""The command tree's one error path: member-fixable errors privately, the rest apologised for."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import discord
from discord import app_commands

from bot.pipeline.spend.admission import NOT_ENABLED

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
APOLOGY = "Sorry — something went wrong on our side. It has been logged; please try again."


class UserFacingError(app_commands.AppCommandError):
    """An error the member can act on; its message is shown to them privately, as it is."""


async def reply_privately(interaction: discord.Interaction, text: str) -> None:
    """Send `text` ephemerally, whether or not the interaction was answered already."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


class NotEnabledHere(app_commands.CheckFailure):
    """The interaction comes from outside `ALLOWED_GUILD_IDS` (a DM and a user-installed
    context included); the member is told privately and nothing runs."""

    def __init__(self) -> None:
        super().__init__(NOT_ENABLED)


def check_allowed_here(interaction: discord.Interaction) -> None:
    """Raise `NotEnabledHere` unless the interaction comes from an allowed guild (every place
    is allowed when `ALLOWED_GUILD_IDS` is empty)."""
    settings = getattr(interaction.client, "settings", None)
    allowed = settings.allowed_guild_ids if settings is not None else frozenset()
    if allowed and interaction.guild_id not in allowed:
        raise NotEnabledHere


class ReelbotTree(app_commands.CommandTree[discord.Client]):
    """The command tree: the guild allow-list for every command, the one error path, and the
    commands being answered right now (so that a stop lets them finish before the database
    closes under them)."""

    def __init__(self, client: discord.Client, **options: Any) -> None:
        super().__init__(client, **options)
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        task = asyncio.current_task()  # discord.py runs each command in a task of its own
        if task is not None and task not in self._in_flight:
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            # how long the command took to be answered, for /metrics (the bot's `metrics`,
            # None when METRICS_PORT is unset): from here to its task's end, answer included
            metrics = getattr(self.client, "metrics", None)
            if metrics is not None:
                name = interaction.command.qualified_name if interaction.command else "unknown"
                began = time.monotonic()
                task.add_done_callback(
                    lambda _: metrics.command_done(name, time.monotonic() - began)
                )
        check_allowed_here(interaction)  # raised: the member reads why, privately (on_error)
        return True

    async def settle(self, timeout: float) -> None:
        """Wait, `timeout` seconds at most, for the commands being answered to finish."""
        pending = [t for t in self._in_flight if not t.done() and t is not asyncio.current_task()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await handle_error(interaction, error)


async def handle_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one error path of commands and buttons alike."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(cause, UserFacingError):
        text = str(cause)
    elif isinstance(cause, app_commands.TransformerError):
        # e.g. a value outside an option's choices, sent by a stale or modified client
        value = discord.utils.escape_markdown(str(cause.value))[:100]
        text = f"`{value}` is not an accepted value here; pick one of the choices Discord offers."
    elif isinstance(cause, app_commands.CheckFailure):
        text = str(cause) or "You cannot use this command here."
    else:
        where = (
            f"/{interaction.command.qualified_name}"
            if interaction.command
            else f"component {dict(interaction.data or {}).get('custom_id', '?')}"
        )
        log.error(
            "%s failed (user %s, guild %s, channel %s)",
            where,
            interaction.user.id,
            interaction.guild_id,
            interaction.channel_id,
            exc_info=cause,
        )
        text = APOLOGY
    try:
        await reply_privately(interaction, text)
    except discord.HTTPException as exc:
        log.warning("could not tell the member about an error: %s", exc)
