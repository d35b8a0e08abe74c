"""/generate and /cancel."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.pipeline.errors import GenerationError
from bot.pipeline.speech import VOICES
from bot.pipeline.validation import MAX_PROMPT_CHARS, MAX_SEED, validate_request
from bot.tree import NO_MENTIONS, UserFacingError
from cogs.generate import render
from cogs.generate.access import check_may_manage
from cogs.generate.state import ReplyState
from cogs.generate.updater import ReplyUpdater
from storage.models import Generation, GenerationStatus, NewGeneration

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

RATIOS = [
    app_commands.Choice(name="16:9 landscape", value="16:9"),
    app_commands.Choice(name="9:16 portrait", value="9:16"),
    app_commands.Choice(name="1:1 square", value="1:1"),
]


VOICE_CHOICES = [app_commands.Choice(name=v, value=v) for v in VOICES]  # ≤ 25 choices


class GenerateCog(commands.Cog):
    def __init__(self, bot: Reelbot, updater: ReplyUpdater) -> None:
        self.bot = bot
        self.updater = updater
        self.repo = bot.services.repo
        self.runner = bot.services.runner

    async def cog_unload(self) -> None:
        await self.updater.close()

    @app_commands.command(name="generate")
    @app_commands.guild_only()
    @app_commands.describe(
        prompt="Your film in one sentence",
        clips="Exactly this many scenes (default: the director decides)",
        aspect_ratio="Frame shape (default 16:9)",
        seed="A number to make the clips reproducible",
        narration="A spoken voice-over written with the shot list",
        voice="The narrator's voice (default: the operator's)",
    )
    @app_commands.choices(aspect_ratio=RATIOS, voice=VOICE_CHOICES)
    async def generate(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, MAX_PROMPT_CHARS],
        clips: app_commands.Range[int, 1, 10] | None = None,
        aspect_ratio: app_commands.Choice[str] | None = None,
        seed: app_commands.Range[int, 0, MAX_SEED] | None = None,
        narration: bool | None = None,
        voice: app_commands.Choice[str] | None = None,
    ) -> None:
        """Turn one sentence into a short film."""
        settings = self.bot.settings
        try:
            request = validate_request(
                prompt,
                clips=clips,
                aspect_ratio=aspect_ratio.value if aspect_ratio else None,
                seed=seed,
                settings=settings,
                narration=narration,
                voice=voice.value if voice else None,
            )
        except GenerationError as exc:
            raise UserFacingError(exc.reason) from None
        problems = settings.generation_config_errors()
        if problems:
            raise UserFacingError(
                f"Reelbot is not configured to make films: {'; '.join(problems)}. "
                "The operator has to fix it in the bot's environment or .env."
            )
        if settings.allowed_guild_ids and interaction.guild_id not in settings.allowed_guild_ids:
            raise UserFacingError("Reelbot is not enabled in this server.")
        assert interaction.channel_id is not None
        generation = await self._create_within_daily_limit(
            NewGeneration(
                owner_id=interaction.user.id,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                **request,
            )
        )
        state = ReplyState(generation.id, generation.owner_id, generation.prompt)
        try:
            response = await interaction.response.send_message(
                embed=render.embed(state), view=render.view(state), allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException:
            await self.repo.set_status(
                generation.id, GenerationStatus.FAILED, "Discord did not take the reply"
            )
            raise
        message = response.resource
        message_id = message.id if isinstance(message, discord.InteractionMessage) else None
        if message_id is None:
            message_id = (await interaction.original_response()).id
        await self.repo.set_message(
            generation.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            message_id=message_id,
        )
        state.channel_id, state.message_id = interaction.channel_id, message_id
        self.updater.threads.upload_limits[generation.id] = interaction.filesize_limit
        self.updater.track(state)
        fresh = await self.repo.generation(generation.id)
        assert fresh is not None
        self.runner.start(fresh)

    async def _create_within_daily_limit(self, new: NewGeneration) -> Generation:
        """Store the generation unless the member has used today's; counted and stored in one
        transaction, so a burst of commands cannot slip past the limit."""
        limit = self.bot.settings.daily_generation_limit
        if not limit:
            return await self.repo.create_generation(new)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        generation = await self.repo.create_generation_within(
            new, limit=limit, since=today.timestamp()
        )
        if generation is None:
            reset = int(today.timestamp() + 86400 - time.time()) // 3600 + 1
            raise UserFacingError(
                f"You have used your {limit} generations for today; more in about {reset} h."
            )
        return generation

    @app_commands.command(name="cancel")
    @app_commands.guild_only()
    @app_commands.describe(generation="The generation's number (default: your latest running one)")
    async def cancel(
        self, interaction: discord.Interaction, generation: app_commands.Range[int, 1] | None = None
    ) -> None:
        """Cancel your running generation."""
        if generation is None:
            found = await self.repo.latest_unfinished(interaction.user.id)
            if found is None:
                raise UserFacingError("You have no running generation to cancel.")
        else:
            found = check_may_manage(interaction, await self.repo.generation(generation))
        await interaction.response.defer(ephemeral=True, thinking=True)
        if await self.runner.cancel(found.id):
            text = f"Cancelled generation #{found.id}."
        else:
            text = f"Generation #{found.id} had already ended ({found.status})."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
