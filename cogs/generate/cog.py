"""/generate and /cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import discord
from discord import app_commands
from discord.ext import commands

from bot.pipeline.admission import Refused
from bot.pipeline.continuity import ChainedRender
from bot.pipeline.errors import GenerationError
from bot.pipeline.speech import VOICES
from bot.pipeline.validation import MAX_PROMPT_CHARS, MAX_SEED, validate_request
from bot.tree import NO_MENTIONS, UserFacingError
from cogs.generate import render, start
from cogs.generate.access import check_may_manage
from cogs.generate.permissions import check_channel
from cogs.generate.state import ReplyState
from cogs.generate.updater import ReplyUpdater
from storage.models import Continuity, Generation, NewGeneration

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

RATIOS = [
    app_commands.Choice(name="16:9 landscape", value="16:9"),
    app_commands.Choice(name="9:16 portrait", value="9:16"),
    app_commands.Choice(name="1:1 square", value="1:1"),
]


VOICE_CHOICES = [app_commands.Choice(name=v, value=v) for v in VOICES]  # ≤ 25 choices

CONTINUITY = [
    app_commands.Choice(name="parallel: all scenes at once", value="parallel"),
    app_commands.Choice(name="chained: each scene starts from the last frame", value="chained"),
]


def generate_command(cog: GenerateCog, max_clips: int) -> app_commands.Command[Any, Any, None]:
    """/generate, with its `clips` option bounded by `MAX_CLIPS` for Discord to enforce (known
    only from the settings, so the command is made at start-up, not at import)."""

    async def generate(
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, MAX_PROMPT_CHARS],
        clips: int | None = None,
        aspect_ratio: app_commands.Choice[str] | None = None,
        seed: app_commands.Range[int, 0, MAX_SEED] | None = None,
        narration: bool | None = None,
        voice: app_commands.Choice[str] | None = None,
        image: discord.Attachment | None = None,
        continuity: app_commands.Choice[str] | None = None,
    ) -> None:
        """Turn one sentence into a short film."""
        await cog.generate(
            interaction, prompt, clips, aspect_ratio, seed, narration, voice, image, continuity
        )

    generate.__annotations__["clips"] = Optional[app_commands.Range[int, 1, max_clips]]  # noqa: UP045
    command: app_commands.Command[Any, Any, None] = app_commands.command(name="generate")(generate)
    command = app_commands.guild_only()(command)
    command = app_commands.describe(
        prompt="Your film in one sentence",
        clips=f"Exactly this many scenes, 1 to {max_clips} (default: the director decides)",
        aspect_ratio="Frame shape (default 16:9)",
        seed="A number to make the clips reproducible",
        narration="A spoken voice-over written with the shot list",
        voice="The narrator's voice (default: the operator's)",
        image="A PNG or JPEG to start from: the first frame of scene 1",
        continuity="Chained: each scene starts from the last frame of the one before (slower)",
    )(command)
    return app_commands.choices(aspect_ratio=RATIOS, voice=VOICE_CHOICES, continuity=CONTINUITY)(
        command
    )


class GenerateCog(commands.Cog):
    """/generate (added to the tree by `setup`, see `generate_command`) and /cancel."""

    def __init__(self, bot: Reelbot, updater: ReplyUpdater) -> None:
        self.bot = bot
        self.updater = updater
        self.repo = bot.services.repo
        self.runner = bot.services.runner

    async def cog_unload(self) -> None:
        await self.updater.close()

    async def generate(
        self,
        interaction: discord.Interaction,
        prompt: str,
        clips: int | None,
        aspect_ratio: app_commands.Choice[str] | None,
        seed: int | None,
        narration: bool | None = None,
        voice: app_commands.Choice[str] | None = None,
        image: discord.Attachment | None = None,
        continuity: app_commands.Choice[str] | None = None,
    ) -> None:
        """/generate: validated, then one way in — `runner.submit`, which admits, stores, has
        the reply sent (`_reply`) and starts."""
        check_channel(interaction)  # nothing is created or spent where the bot cannot post
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
                continuity=continuity.value if continuity else None,
            )
        except GenerationError as exc:
            raise UserFacingError(exc.reason) from None
        problems = settings.generation_config_errors()
        if problems:
            raise UserFacingError(
                f"Reelbot is not configured to make films: {'; '.join(problems)}. "
                "The operator has to fix it in the bot's environment or .env."
            )
        first_frame = None
        if image is not None:  # fetched and checked before anything is stored or spent; that
            # can outlast the 3 s to answer, so the answer is a private "thinking" first: a
            # refusal replaces it, the reply follows it (`_reply`)
            await interaction.response.defer(ephemeral=True, thinking=True)
            first_frame = await start.receive(
                self.bot, image, owner_id=interaction.user.id, guild_id=interaction.guild_id
            )
        assert interaction.channel_id is not None
        new = NewGeneration(
            owner_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            **request,
        )
        try:
            await self.runner.submit(
                new, announce=lambda g: self._reply(interaction, g), start_image=first_frame
            )
        except Refused as exc:
            raise UserFacingError(exc.reason) from None

    async def _reply(self, interaction: discord.Interaction, generation: Generation) -> None:
        """The public reply that shows the generation from now on; its id is stored."""
        state = ReplyState(generation.id, generation.prompt)
        if generation.continuity is Continuity.CHAINED:  # the wait is added once it is known
            state.chained = ChainedRender(generation.clips_requested or 0)
        if interaction.response.is_done():  # deferred privately while a start image was read
            await interaction.delete_original_response()
            sent = await interaction.followup.send(
                embed=render.embed(state),
                view=render.view(state),
                allowed_mentions=NO_MENTIONS,
                wait=True,
            )
            message_id: int | None = sent.id
        else:
            response = await interaction.response.send_message(
                embed=render.embed(state), view=render.view(state), allowed_mentions=NO_MENTIONS
            )
            message = response.resource
            message_id = message.id if isinstance(message, discord.InteractionMessage) else None
        if message_id is None:
            message_id = (await interaction.original_response()).id
        assert interaction.channel_id is not None
        state.channel_id, state.message_id = interaction.channel_id, message_id
        try:
            await self.repo.set_message(
                generation.id,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                message_id=message_id,
            )
        except BaseException:
            self.updater.show(state)  # the reply exists: it shows how this ends
            raise
        self.updater.track(state)

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
