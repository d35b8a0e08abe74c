"""The Discord fake's ATTACHMENT options against the real discord.py client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.fakes.discord_fake import FakeDiscord, OptionFile
from tests.fakes.mp4 import make_image


class ImageBot(commands.Bot):
    """A bot whose /generate takes an image; it hands the interaction to the test."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1
        )
        self.inbox: asyncio.Queue[tuple[discord.Interaction, discord.Attachment | None]]
        self.inbox = asyncio.Queue()

        @self.tree.command(guild=discord.Object(guild_id))
        async def generate(
            interaction: discord.Interaction, prompt: str, image: discord.Attachment | None = None
        ) -> None:
            """Turn a sentence into a short film."""
            await self.inbox.put((interaction, image))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s sleep between IDENTIFYs."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[ImageBot]:
    with fake.patch_discord_py():
        bot = ImageBot(fake.guild_id)
        task = asyncio.create_task(bot.start(fake.token))
        try:
            await fake.wait_ready()
            await asyncio.wait_for(bot.wait_until_ready(), 10)
            await bot.tree.sync(guild=discord.Object(fake.guild_id))
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)


async def _get(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.read()


async def test_an_image_option_arrives_resolved_and_is_served(
    fake: FakeDiscord, bot: ImageBot, tmp_path: Path
) -> None:
    data = make_image(tmp_path / "seal.png", width=640, height=360).read_bytes()
    [command] = fake.commands
    assert command["options"][1]["type"] == 11  # discord.py registered an ATTACHMENT option

    record = await fake.send_slash(
        "generate", {"prompt": "a seal", "image": OptionFile("seal.png", data)}
    )
    _, image = await asyncio.wait_for(bot.inbox.get(), 5)

    options = record.payload["data"]["options"]
    resolved = record.payload["data"]["resolved"]["attachments"]
    assert options[1] == {"name": "image", "type": 11, "value": next(iter(resolved))}
    assert isinstance(image, discord.Attachment)
    assert (image.filename, image.size, image.content_type) == ("seal.png", len(data), "image/png")
    assert (image.width, image.height) == (640, 360) and image.ephemeral
    assert image.url.startswith(f"{fake.base_url}/ephemeral-attachments/{fake.channel_id}/")
    assert {"ex", "is", "hm"} <= set(image.url.split("?")[1].replace("&", "=").split("="))
    assert await _get(image.url) == (200, data)
    assert (await _get(image.url.replace("hm=", "hm=0")))[0] == 404  # a broken signature
    assert fake.validation_errors == []


async def test_a_file_that_is_not_an_image_has_no_size(fake: FakeDiscord, bot: ImageBot) -> None:
    await fake.send_slash(
        "generate", {"prompt": "a seal", "image": OptionFile("notes.png", b"just some text\n")}
    )
    _, image = await asyncio.wait_for(bot.inbox.get(), 5)

    assert image is not None and image.content_type == "image/png"  # by its name, as Discord
    assert image.width is None and image.height is None  # Discord could not read it as one
