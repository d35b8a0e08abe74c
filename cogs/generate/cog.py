"""/generate and /cancel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import discord
from discord import app_commands
from discord.ext import commands

from bot.pipeline.director.characters import MAX_NAME_CHARS
from bot.pipeline.director.continuity import ChainedRender
from bot.pipeline.errors import GenerationError
from bot.pipeline.run.validation import MAX_PROMPT_CHARS, MAX_SEED, validate_request
from bot.pipeline.sound.speech import VOICES
from bot.pipeline.spend.admission import Refused
from bot.pipeline.spend.allowance import cost_text
from bot.tree import NO_MENTIONS, UserFacingError
from cogs.components import check_configured
from cogs.generate import render, start
from cogs.generate.access import check_may_manage
from cogs.generate.buttons import CancelButton, RetryButton
from cogs.generate.cast import RecastButton, answered_after_restart
from cogs.generate.costs import refusal
from cogs.generate.delivery import DiscordDeliverer
from cogs.generate.extend import ExtendButton
from cogs.generate.permissions import check_channel
from cogs.generate.recovery import find_reply
from cogs.generate.reroll import RerollButton, submitted_after_restart
from cogs.generate.state import ReplyState
from cogs.generate.updater import ReplyUpdater
from cogs.generate.withheld import WithheldNotifier
from storage.models import Continuity, Generation, NewGeneration

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot

RATIOS = [
    app_commands.Choice(name="16:9 landscape", value="16:9"),
    app_commands.Choice(name="9:16 portrait", value="9:16"),
    app_commands.Choice(name="1:1 square", value="1:1"),
]


BUTTONS = (
    CancelButton,
    RetryButton,
    RerollButton,
    ExtendButton,
    RecastButton,
)  # persistent: they answer after a restart

VOICE_CHOICES = [app_commands.Choice(name=v, value=v) for v in VOICES]  # ≤ 25 choices

CONTINUITY = [
    app_commands.Choice(name="parallel: all scenes at once", value="parallel"),
    app_commands.Choice(name="chained: each scene starts from the last frame", value="chained"),
]

CAST = [
    app_commands.Choice(
        name="auto: portraits of the characters, passed to every scene", value="auto"
    ),
    app_commands.Choice(name="off: the characters' looks in words only", value="off"),
]


@dataclass(frozen=True)
class CastAsked:
    """The cast options of /generate (issue 24)."""

    mode: str | None = None
    image: discord.Attachment | None = None
    name: str | None = None


CAPTIONS = [
    app_commands.Choice(name="off", value="off"),
    app_commands.Choice(name="burned: drawn into the picture (shows in Discord)", value="burned"),
    app_commands.Choice(name="track: a subtitle track (players that show tracks)", value="track"),
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
        captions: app_commands.Choice[str] | None = None,
        music: bool | None = None,
        cast: app_commands.Choice[str] | None = None,
        cast_image: discord.Attachment | None = None,
        cast_name: app_commands.Range[str, 1, MAX_NAME_CHARS] | None = None,
    ) -> None:
        """Turn one sentence into a short film."""
        await cog.generate(
            interaction,
            prompt,
            clips,
            aspect_ratio,
            seed,
            narration,
            voice,
            image,
            continuity,
            captions,
            music,
            CastAsked(cast.value if cast else None, cast_image, cast_name),
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
        captions="The narration's lines as words: a subtitle track, or burned into the picture",
        music="A score written for the film, under the voice (default: the operator's)",
        cast="auto: a portrait of each character, the same face in every scene (default: the "
        "operator's)",
        cast_image="Your own PNG or JPEG of one character (the first, or the one cast_name names)",
        cast_name="The character cast_image shows, as the shot list names them",
    )(command)
    return app_commands.choices(
        aspect_ratio=RATIOS,
        voice=VOICE_CHOICES,
        continuity=CONTINUITY,
        captions=CAPTIONS,
        cast=CAST,
    )(command)


class GenerateCog(commands.Cog):
    """/generate (see `generate_command`) and /cancel, and the Discord front-end's wiring:
    what `cog_load` connects (the updater to the bus, the deliverer and the reply finder to
    the runner, the persistent buttons, the late note-form listener, /generate to the tree),
    `cog_unload` closes the updater, then disconnects in reverse (`_undo`)."""

    def __init__(self, bot: Reelbot, updater: ReplyUpdater, deliverer: DiscordDeliverer) -> None:
        self.bot = bot
        self.updater = updater
        self.deliverer = deliverer
        self.repo = bot.services.repo
        self.runner = bot.services.runner
        self._undo: list[Callable[[], object]] = []

    async def cog_load(self) -> None:
        bot = self.bot
        self._undo.append(bot.services.bus.subscribe(self.updater.handle))
        # a clip withheld by the moderation of its frames: its member is told by DM
        self._undo.append(bot.services.bus.subscribe(WithheldNotifier(bot).handle))
        self.updater.repair()
        # the Discord deliverer and reply finder need the bot, which is built after the runner:
        # they are given to it here and taken back at unload
        self._undo.append(self.runner.register_deliverer("discord", self.deliverer))
        self._undo.append(self.runner.register_reply_finder("discord", self._has_reply))
        bot.add_dynamic_items(*BUTTONS)
        self._undo.append(lambda: bot.remove_dynamic_items(*BUTTONS))
        bot.add_listener(submitted_after_restart, "on_interaction")
        self._undo.append(lambda: bot.remove_listener(submitted_after_restart, "on_interaction"))
        bot.add_listener(answered_after_restart, "on_interaction")  # Extend, Recast (issue 24)
        self._undo.append(lambda: bot.remove_listener(answered_after_restart, "on_interaction"))
        bot.tree.add_command(generate_command(self, bot.settings.max_clips))
        self._undo.append(lambda: bot.tree.remove_command("generate"))

    async def cog_unload(self) -> None:
        # the updater first: an edit or post still landing sends its view, and discord.py
        # registers a sent view's dynamic items again (ViewStore.add_view)
        await self.updater.close()
        while self._undo:
            self._undo.pop()()

    async def _has_reply(self, generation: Generation) -> bool:
        return await find_reply(self.bot, generation) is not None

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
        captions: app_commands.Choice[str] | None = None,
        music: bool | None = None,
        cast: CastAsked | None = None,
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
                captions=captions.value if captions else None,
                music=music,
                cast=cast.mode if cast else None,
                cast_picture=cast is not None and cast.image is not None,
                cast_name=cast.name if cast else None,
            )
        except GenerationError as exc:
            raise UserFacingError(exc.reason) from None
        check_configured(settings)
        # answered at once, privately ("thinking"): what follows (a start image read, the
        # admission and the reply's first state read from the database) can outlast Discord's
        # 3 s under load (issue 21: a median of 1.1 s and 40 % never answered at 160 commands a
        # minute when the reply came first). A refusal replaces the private answer; the public
        # reply follows it (`_reply`: DESIGN, "the first public followup after a deferral").
        await interaction.response.defer(ephemeral=True, thinking=True)
        first_frame = picture = None
        if image is not None:  # fetched and checked before anything is stored or spent
            first_frame = await start.receive(
                self.bot, image, owner_id=interaction.user.id, guild_id=interaction.guild_id
            )
        if cast is not None and cast.image is not None:  # issue 24: checked like a start image
            picture = await start.receive(
                self.bot, cast.image, owner_id=interaction.user.id, guild_id=interaction.guild_id
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
                new,
                announce=lambda g: self._reply(interaction, g),
                start_image=first_frame,
                cast_image=picture,
            )
        except Refused as exc:
            raise UserFacingError(refusal(exc)) from None

    async def _reply(self, interaction: discord.Interaction, generation: Generation) -> None:
        """The public reply that shows the generation from now on; its id is stored."""
        state = ReplyState(generation.id, generation.prompt, guild_id=generation.guild_id)
        state.cost = await cost_text(self.bot.settings, self.repo, generation)
        if generation.continuity is Continuity.CHAINED:  # the wait is added once it is known
            state.chained = ChainedRender(generation.clips_requested or 0)
        # the private "thinking" answer gives way to the public reply
        await interaction.delete_original_response()
        sent = await interaction.followup.send(
            embed=render.embed(state),
            view=render.view(state),
            allowed_mentions=NO_MENTIONS,
            wait=True,
        )
        message_id = sent.id
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
