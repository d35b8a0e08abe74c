"""The Discord fake against the real discord.py client (no patched client methods)."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.discord_fake.validation import spec_path, validate_response

EDIT_ROUTE = "/channels/{channel_id}/messages/{message_id}"


class QueueBot(commands.Bot):
    """A bot whose commands and buttons hand their interaction to the test."""

    def __init__(self, guild_id: int) -> None:
        # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE
        # before on_ready (2 s by default).
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1
        )
        self.guild = discord.Object(guild_id)
        self.inbox: asyncio.Queue[discord.Interaction] = asyncio.Queue()

        @self.tree.command(guild=self.guild)
        @app_commands.describe(prompt="what to film", clips="how many clips")
        async def generate(
            interaction: discord.Interaction,
            prompt: str,
            clips: app_commands.Range[int, 1, 4] = 2,
        ) -> None:
            """Turn a sentence into a short film."""
            await self.inbox.put(interaction)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every IDENTIFY but the first; not needed here."""

    async def next_interaction(self) -> discord.Interaction:
        return await asyncio.wait_for(self.inbox.get(), 5)


class CancelView(discord.ui.View):
    def __init__(self, inbox: asyncio.Queue[discord.Interaction]) -> None:
        super().__init__(timeout=30)
        self.inbox = inbox

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.danger, custom_id="cancel:1")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.inbox.put(interaction)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[QueueBot]:
    with fake.patch_discord_py():
        bot = QueueBot(fake.guild_id)
        task = asyncio.create_task(bot.start(fake.token))
        try:
            await fake.wait_ready()
            await asyncio.wait_for(bot.wait_until_ready(), 10)
            await bot.tree.sync(guild=bot.guild)
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)


async def slash(fake: FakeDiscord, bot: QueueBot, **options: object) -> tuple:
    record = await fake.send_slash("generate", options or {"prompt": "a seal"})
    return record, await bot.next_interaction()


async def test_login_ready_and_guild_create(fake: FakeDiscord, bot: QueueBot) -> None:
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None and guild.me is not None
    assert bot.user is not None and bot.user.id == fake.bot_user.id
    assert bot.application_id == fake.application_id
    assert isinstance(bot.get_channel(fake.channel_id), discord.TextChannel)
    assert fake.identify_count == 1
    assert fake.gateway.connections[0]["query"]["compress"] == "zlib-stream"
    routes = {(c.method, c.route) for c in fake.calls}
    assert ("GET", "/users/@me") in routes and ("GET", "/oauth2/applications/@me") in routes
    assert fake.rest_calls() == []  # login and command sync are setup calls


async def test_tree_sync_stores_guild_commands(fake: FakeDiscord, bot: QueueBot) -> None:
    [command] = fake.commands
    assert command["name"] == "generate" and command["guild_id"] == str(fake.guild_id)
    assert [o["name"] for o in command["options"]] == ["prompt", "clips"]


async def test_slash_flow_defer_followup_edit_thread_upload_dm(
    fake: FakeDiscord, bot: QueueBot
) -> None:
    record, interaction = await slash(fake, bot, prompt="a lighthouse", clips=3)
    assert interaction.namespace.prompt == "a lighthouse" and interaction.namespace.clips == 3
    assert interaction.user.id == fake.users["alice"].id

    await interaction.response.defer(thinking=True)
    assert (await record.wait_callback())["type"] == 5
    assert record.latency is not None and record.latency >= 0
    reply = await interaction.followup.send("Analysing…", wait=True)
    original = await interaction.original_response()
    assert reply.id == original.id == record.original_message_id  # replaces "thinking"

    partial = interaction.channel.get_partial_message(original.id)
    await partial.edit(content="clip 1/3 done")
    thread = await original.create_thread(name="a lighthouse")
    assert thread.id == original.id
    await thread.send("clip 1", file=discord.File(io.BytesIO(b"\x00mp4" * 100), "clip1.mp4"))
    dm = await interaction.user.send("your film")

    stored = fake.message(original.id)
    assert stored.content == "clip 1/3 done" and not stored.loading
    assert [e.body["content"] for e in fake.edits(original.id)] == [
        "Analysing…",
        "clip 1/3 done",
    ]
    assert fake.thread_for(original.id)["type"] == 11
    [clip] = fake.messages_in(thread.id)
    [attachment] = clip.attachments
    assert (attachment.filename, attachment.size) == ("clip1.mp4", 400)
    assert attachment.content_type == "video/mp4"
    async with aiohttp.ClientSession() as session, session.get(attachment.url) as response:
        assert await response.read() == b"\x00mp4" * 100
    assert [m.id for m in fake.dm_messages("alice")] == [dm.id]
    assert fake.validation_errors == [] and fake.unhandled == []
    if spec_path().is_file():
        for message in (stored, clip, fake.message(dm.id)):
            assert validate_response("MessageResponse", message.payload) == []


async def test_send_message_ephemeral_followup_and_button(fake: FakeDiscord, bot: QueueBot) -> None:
    record, interaction = await slash(fake, bot)
    await interaction.response.send_message("Queued", view=CancelView(bot.inbox))
    original = await interaction.original_response()
    await interaction.followup.send("only you", ephemeral=True)
    assert [m.content for m in record.ephemeral_followups] == ["only you"]
    assert [m.content for m in fake.messages_in()] == ["Queued"]

    click = await fake.click("cancel:1", original.id, user="mod")
    pressed = await bot.next_interaction()
    assert pressed.user.id == fake.users["mod"].id
    assert pressed.permissions.manage_messages
    await pressed.response.edit_message(content="Cancelled", view=None)
    assert (await click.wait_callback())["type"] == 7
    assert fake.message(original.id).content == "Cancelled"
    assert fake.message(original.id).components == []


class RichView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.add_item(discord.ui.Button(label="Retry", custom_id="retry:7", emoji="🔁"))
        self.add_item(discord.ui.Button(label="Docs", url="https://example.com/docs"))
        select = discord.ui.Select(custom_id="ratio", options=[discord.SelectOption(label="16:9")])
        self.add_item(select)


def rich_embed() -> discord.Embed:
    embed = discord.Embed(title="A seal", description="shot list", colour=0x5865F2)
    embed.add_field(name="Scene 1", value="the lighthouse", inline=False)
    embed.set_footer(text="2/4 clips").set_author(name="Reelbot")
    embed.set_image(url="https://example.com/still.png")
    embed.timestamp = discord.utils.utcnow()
    return embed


async def test_common_discord_py_bodies_pass_validation(fake: FakeDiscord, bot: QueueBot) -> None:
    none = discord.AllowedMentions.none()
    _record, interaction = await slash(fake, bot)
    await interaction.response.send_message(
        embed=rich_embed(), view=RichView(), allowed_mentions=none
    )
    original = await interaction.original_response()
    await interaction.followup.send(
        "file", file=discord.File(io.BytesIO(b"abc"), "shots.txt"), ephemeral=True
    )
    await interaction.edit_original_response(
        attachments=[discord.File(io.BytesIO(b"png"), "still.png")], view=None
    )
    channel = bot.get_channel(fake.channel_id)
    reply = await channel.send("done", reference=original, silent=True, allowed_mentions=none)
    await reply.edit(attachments=[], suppress=True)
    thread = await channel.create_thread(name="no starter", type=discord.ChannelType.public_thread)
    await thread.send(embeds=[rich_embed(), rich_embed()])
    fake.assert_clean()
    assert fake.message(reply.id).payload["message_reference"]["message_id"] == str(original.id)
    assert [a.filename for a in fake.message(original.id).attachments] == ["still.png"]
    assert fake.message(original.id).components == []
    if spec_path().is_file():  # the fake's answers are shaped after the spec
        for message in fake.world.messages.values():
            assert validate_response("MessageResponse", message.payload) == []
        assert validate_response("ThreadResponse", fake.world.channels[thread.id]) == []


async def test_refused_dm_is_forbidden_50007(fake: FakeDiscord, bot: QueueBot) -> None:
    fake.refuse_dms("bob")
    bob = await bot.fetch_user(fake.users["bob"].id)
    with pytest.raises(discord.Forbidden) as caught:
        await bob.send("your film")
    assert caught.value.code == 50007
    assert fake.dm_channel("bob") is not None and fake.dm_messages("bob") == []


async def test_expired_token_rejects_webhook_edits(fake: FakeDiscord, bot: QueueBot) -> None:
    record, interaction = await slash(fake, bot)
    await interaction.response.send_message("Queued")
    fake.expire_token(record.token)
    with pytest.raises(discord.HTTPException) as caught:
        await interaction.edit_original_response(content="too late")
    assert (caught.value.status, caught.value.code) == (401, 50027)
    message = await interaction.channel.get_partial_message(record.original_message_id).edit(
        content="via the bot token"
    )
    assert message.content == "via the bot token"


async def test_hidden_rate_limit_gets_429_then_retries(fake: FakeDiscord, bot: QueueBot) -> None:
    channel = bot.get_channel(fake.channel_id)
    message = await channel.send("status")
    fake.set_rate_limit("PATCH", EDIT_ROUTE, 1, 1.0, hidden=True)
    await message.edit(content="one")
    await message.edit(content="two")
    assert fake.count_429 >= 1
    assert fake.message(message.id).content == "two"
    statuses = [c.status for c in fake.rest_calls(method="PATCH", route=EDIT_ROUTE)]
    assert statuses[-1] == 200 and 429 in statuses


async def test_announced_rate_limit_is_respected_without_429(
    fake: FakeDiscord, bot: QueueBot
) -> None:
    channel = bot.get_channel(fake.channel_id)
    message = await channel.send("status")
    fake.set_rate_limit("PATCH", EDIT_ROUTE, 1, 0.4)
    await asyncio.gather(*(message.edit(content=f"edit {i}") for i in range(3)))
    assert fake.count_429 == 0
    assert len(fake.edits(message.id)) == 3
    calls = fake.rest_calls(method="PATCH")
    assert calls[-1].started_at - calls[0].started_at >= 0.4  # discord.py waited


async def test_invalid_body_is_400_and_recorded(fake: FakeDiscord, bot: QueueBot) -> None:
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=fake.channel_id)
    with pytest.raises(discord.HTTPException) as caught:
        await bot.http.request(route, json={"embeds": [{"title": "x" * 300}]})
    assert (caught.value.status, caught.value.code) == (400, 50035)
    [problem] = fake.validation_errors
    assert problem.route == "/channels/{channel_id}/messages"
    assert "embeds.0.title" in problem.message
    assert fake.messages_in() == []


async def test_upload_limit_nonce_and_injected_failure(fake: FakeDiscord, bot: QueueBot) -> None:
    channel = bot.get_channel(fake.channel_id)
    fake.upload_limit = 1000
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(file=discord.File(io.BytesIO(b"x" * 1001), "big.mp4"))
    assert (caught.value.status, caught.value.code) == (413, 40005)

    first = await channel.send("delivered", nonce="gen-1")
    again = await channel.send("delivered", nonce="gen-1")
    assert first.id == again.id and len(fake.messages_in()) == 1

    fake.fail_next("POST", "/channels/{channel_id}/messages", 502)
    landed = await channel.send("after a 502")
    assert fake.message(landed.id).content == "after a 502"
    statuses = [c.status for c in fake.rest_calls(method="POST")]
    assert statuses[-2:] == [502, 200]


async def test_gateway_disconnect_resumes_and_keeps_events(
    fake: FakeDiscord, bot: QueueBot
) -> None:
    await fake.disconnect_gateway(code=4000)
    # Dispatched while the bot is away: buffered, then replayed on RESUME.
    _record, interaction = await slash(fake, bot, prompt="while away")
    assert interaction.namespace.prompt == "while away"
    await fake.wait_for(lambda: fake.resume_count == 1)
    assert fake.identify_count == 1
    assert fake.gateway.connections[-1]["path"] == "/resume"
    _record, interaction = await slash(fake, bot, prompt="after resume")
    assert interaction.namespace.prompt == "after resume"


async def test_invalidated_session_identifies_again(fake: FakeDiscord, bot: QueueBot) -> None:
    await fake.invalidate_sessions()
    await fake.wait_for(lambda: fake.identify_count == 2)
    assert fake.resume_count == 0  # the RESUME was answered with INVALID_SESSION
    _record, interaction = await slash(fake, bot, prompt="fresh session")
    assert interaction.namespace.prompt == "fresh session"


async def test_restarted_bot_identifies_fresh_and_keeps_state(
    fake: FakeDiscord, bot: QueueBot
) -> None:
    channel = bot.get_channel(fake.channel_id)
    before = await channel.send("made before the restart")
    await bot.close()
    with fake.patch_discord_py():
        second = QueueBot(fake.guild_id)
        task = asyncio.create_task(second.start(fake.token))
        try:
            await fake.wait_for(lambda: fake.identify_count == 2)
            _record, interaction = await slash(fake, second)
            message = await interaction.channel.fetch_message(before.id)
            assert message.content == "made before the restart"
        finally:
            await second.close()
            await asyncio.wait_for(task, 5)


async def test_mentions_follow_allowed_mentions(fake: FakeDiscord, bot: QueueBot) -> None:
    channel = bot.get_channel(fake.channel_id)
    alice = fake.users["alice"]
    locked = await channel.send(
        f"@everyone {alice.mention}", allowed_mentions=discord.AllowedMentions.none()
    )
    assert fake.message(locked.id).mentions == [] and not fake.message(locked.id).mention_everyone
    owner_only = discord.AllowedMentions(everyone=False, users=[discord.Object(alice.id)])
    await locked.edit(content=f"@everyone {alice.mention}", allowed_mentions=owner_only)
    assert fake.message(locked.id).mentions == [alice.id]
    assert not fake.message(locked.id).mention_everyone
    loose = await channel.send("@here")  # no allowed_mentions at all: Discord parses all
    assert fake.message(loose.id).mention_everyone


async def test_wrong_token_is_401_and_patch_is_restored() -> None:
    base, gateway = Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with FakeDiscord() as fake, aiohttp.ClientSession() as session:
        with fake.patch_discord_py():
            assert fake.api_base == Route.BASE
        assert (base, gateway) == (Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        headers = {"Authorization": "Bot wrong"}
        async with session.get(fake.api_base + "/users/@me", headers=headers) as response:
            assert response.status == 401
            assert response.headers["Content-Type"] == "application/json"


# -- what the bot may do where (access.py) --------------------------------------------------


async def test_attachment_size_limit_is_the_members_and_uploads_the_guild_tiers(
    fake: FakeDiscord, bot: QueueBot
) -> None:
    mib = 1024 * 1024
    fake.give_nitro("alice")
    _record, interaction = await slash(fake, bot)
    assert interaction.filesize_limit == 500 * mib  # the Nitro member's, in a tier-0 guild
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None and guild.premium_tier == 0 and guild.filesize_limit == 10 * mib

    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    over = b"x" * (10 * mib + 1)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(file=discord.File(io.BytesIO(over), "big.mp4"))
    assert (caught.value.status, caught.value.code) == (413, 40005)
    # per file, not per message (change-log 2025-04-03)
    two = [discord.File(io.BytesIO(b"x" * (6 * mib)), f"{i}.mp4") for i in range(2)]
    await channel.send(files=two)
    dm = await bot.create_dm(discord.Object(fake.users["alice"].id))
    with pytest.raises(discord.HTTPException) as caught:
        await dm.send(file=discord.File(io.BytesIO(over), "big.mp4"))
    assert caught.value.status == 413
    fake.premium_tier = 2  # boosted: 50 MiB
    await channel.send(file=discord.File(io.BytesIO(over), "big.mp4"))


async def test_channel_permissions_answer_403_and_show_in_app_permissions(
    fake: FakeDiscord, bot: QueueBot
) -> None:
    from tests.fakes.discord_fake.state import ATTACH_FILES, SEND_MESSAGES, VIEW_CHANNEL

    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    fake.deny_bot(ATTACH_FILES)
    _record, interaction = await slash(fake, bot)
    assert not interaction.app_permissions.attach_files
    assert interaction.app_permissions.send_messages
    await channel.send("words still go")
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send(file=discord.File(io.BytesIO(b"x"), "a.mp4"))
    assert caught.value.code == 50013

    fake.deny_bot(SEND_MESSAGES)
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send("no")
    assert caught.value.code == 50013

    fake.deny_bot(VIEW_CHANNEL)
    _record, interaction = await slash(fake, bot)
    assert interaction.app_permissions.value == 0  # nothing counts without View Channel
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send("no")
    assert caught.value.code == 50001


async def test_a_thread_on_a_message_in_a_thread_or_a_voice_chat_is_50024(
    fake: FakeDiscord, bot: QueueBot
) -> None:
    thread_id = fake.add_thread()
    voice_id = fake.add_voice_channel("hangout")
    for channel_id in (thread_id, voice_id):
        message = await bot.get_partial_messageable(channel_id).send("here")
        with pytest.raises(discord.HTTPException) as caught:
            await bot.http.start_thread_with_message(
                channel_id, message.id, name="again", auto_archive_duration=60
            )
        assert (caught.value.status, caught.value.code) == (400, 50024)
    record, _interaction = await slash(fake, bot)
    assert record.payload["channel"]["type"] == 0
    thread_record = await fake.send_slash("generate", {"prompt": "x"}, channel_id=thread_id)
    in_thread = await bot.next_interaction()
    assert thread_record.payload["channel"]["type"] == 11
    assert isinstance(in_thread.channel, discord.Thread)


class NoteModal(discord.ui.Modal):
    """A modal like the Reroll one: one optional text input inside a Label."""

    def __init__(self, inbox: asyncio.Queue[discord.Interaction]) -> None:
        super().__init__(title="Reroll scene 2", custom_id="note:1")
        self.inbox = inbox
        self.note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
            custom_id="note", required=False, max_length=200
        )
        self.add_item(discord.ui.Label(text="What should change?", component=self.note))

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await self.inbox.put(interaction)


async def test_a_button_answered_with_a_modal_then_its_submit(
    fake: FakeDiscord, bot: QueueBot
) -> None:
    """Response type 9 (MODAL) to a component interaction, validated against the OpenAPI
    description; the member's submit arrives as a MODAL_SUBMIT (type 5) that discord.py hands
    to the modal with the text filled in; a modal may not answer a MODAL_SUBMIT."""
    _, interaction = await slash(fake, bot)
    await interaction.response.send_message("Clip 2/3", view=CancelView(bot.inbox))
    original = await interaction.original_response()
    click = await fake.click("cancel:1", original.id)
    pressed = await bot.next_interaction()
    modal = NoteModal(bot.inbox)
    await pressed.response.send_modal(modal)
    assert (await click.wait_callback())["type"] == 9
    assert click.modal is not None and click.modal["custom_id"] == "note:1"
    assert click.modal["components"][0]["type"] == 18

    submit = await fake.submit_modal(click, {"note": "closer on the seal's face"})
    submitted = await bot.next_interaction()
    assert submitted.type is discord.InteractionType.modal_submit
    assert modal.note.value == "closer on the seal's face"
    assert submit.payload["message"]["id"] == str(original.id)
    with pytest.raises(discord.HTTPException) as refused:
        await submitted.response.send_modal(NoteModal(bot.inbox))
    assert refused.value.status == 400
    await submitted.response.send_message("Rerolling", ephemeral=True)
    assert (await submit.wait_callback())["type"] == 4
    answer = fake.message(submit.original_message_id or 0)
    metadata = answer.payload["interaction_metadata"]
    assert validate_response("ModalSubmitInteractionMetadataResponse", metadata) == []
    assert metadata["triggering_interaction_metadata"]["interacted_message_id"] == str(original.id)
    fake.assert_clean()
