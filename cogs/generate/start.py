"""The `image` option of /generate: the attachment fetched and checked, or a private refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.pipeline import start_image
from bot.pipeline.start_image import StartImage, StartImageRefused
from bot.pipeline.video_models import get_model
from bot.tree import UserFacingError

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot


async def receive(bot: Reelbot, attachment: discord.Attachment) -> StartImage:
    """The member's start image, fetched from Discord's CDN and checked by its content before
    anything is stored or spent; a `UserFacingError` (shown privately) saying what is wrong."""
    settings = bot.settings
    try:
        model = get_model(settings.video_model)
        start_image.require_model(model)
        data = await start_image.fetch(
            bot.services.http,
            attachment.url,
            allowed_hosts=settings.start_image_hosts,
            announced_size=attachment.size,
        )
        return await start_image.check(data, model)
    except StartImageRefused as exc:
        raise UserFacingError(exc.reason) from None
