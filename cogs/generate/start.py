"""The `image` option of /generate: the attachment fetched and checked, or a private refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.pipeline.clips.video_models import get_model
from bot.pipeline.director import start_image
from bot.pipeline.director.image_checks import IMAGE_CHECKS, CheckBusy
from bot.pipeline.director.start_image import StartImage, StartImageRefused
from bot.pipeline.spend.admission import Admission, Refused
from bot.tree import UserFacingError

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot


async def receive(
    bot: Reelbot, attachment: discord.Attachment, *, owner_id: int, guild_id: int | None
) -> StartImage:
    """The member's start image, fetched from Discord's CDN and checked by its content before
    anything is stored or spent; a `UserFacingError` (shown privately) saying what is wrong.
    The member is admitted first (the allow-list, today's budget: `runner.submit` checks again
    when it stores the generation), and has one image checked at a time: an image is not even
    fetched for a member who may not generate, nor decoded twice at once for one member."""
    settings = bot.settings
    admission = Admission(settings)
    try:
        admission.check_guild("discord", guild_id)
        admission.check_usage(await bot.services.repo.usage_since(owner_id, admission.since()))
        model = get_model(settings.video_model)
        start_image.require_model(model)
        async with IMAGE_CHECKS.member(owner_id):
            data = await start_image.fetch(
                bot.services.http,
                attachment.url,
                allowed_hosts=settings.start_image_hosts,
                announced_size=attachment.size,
            )
            return await start_image.check(data, model)
    except (StartImageRefused, Refused) as exc:
        raise UserFacingError(exc.reason) from None
    except CheckBusy:
        raise UserFacingError(
            "Your previous image is still being checked: send this one once that has answered."
        ) from None
