"""History paging buttons: persistent, carrying the owner and page; only the owner may page."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.pipeline.spend.admission import day_start
from bot.pipeline.spend.allowance import allowance
from bot.pipeline.spend.prices import money, video_dollars
from bot.pipeline.spend.usage import first_day
from bot.tree import UserFacingError
from cogs.components import Component
from cogs.history import render

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot


class PageButton(
    Component,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"reelbot:history:(?P<owner>\d+):(?P<page>\d+)",
):
    """A persistent paging button: the owner and the page it opens are in its `custom_id`."""

    def __init__(
        self, owner_id: int, page: int, label: str = "Page", *, disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"reelbot:history:{owner_id}:{max(1, page)}",
                disabled=disabled,
            )
        )
        self.owner_id = owner_id
        self.page = max(1, page)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["owner"]), int(match["page"]))

    async def act(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.owner_id:
            raise UserFacingError("These are someone else's films; use /history for yours.")
        bot: Reelbot = interaction.client  # type: ignore[assignment]
        embed, view = await history_page(bot, self.owner_id, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


async def history_page(
    bot: Reelbot, owner_id: int, page: int
) -> tuple[discord.Embed, discord.ui.View]:
    repo = bot.services.repo
    total = await repo.count_history(owner_id)
    pages = render.pages_for(total)
    page = min(max(1, page), pages)
    entries = await repo.history(
        owner_id, limit=render.PAGE_SIZE, offset=(page - 1) * render.PAGE_SIZE
    )
    ids = [e.id for e in entries]
    narrations = await repo.narration_statuses(ids)
    embed = render.page_embed(
        entries,
        page=page,
        pages=pages,
        total=total,
        narrations=narrations,
        versions=await repo.versions_of(ids),
        casts=await repo.casts_of(ids),  # issue 24: the cast sheet's characters
    )
    embed.add_field(name="Your spend", value=await spend_text(bot, owner_id), inline=False)
    view = pager(owner_id, page, pages)
    if bot.gallery is not None:  # the web gallery is on: a link to the member's own
        gallery: Any = discord.ui.Button(
            label="Open your gallery",
            style=discord.ButtonStyle.link,
            url=bot.gallery.gallery_url(owner_id),
        )
        view.add_item(gallery)
    return embed, view


async def spend_text(bot: Reelbot, owner_id: int) -> str:
    """The member's own: today against the daily limit, and the last seven UTC days."""
    settings, repo, now = bot.settings, bot.services.repo, time.time()
    today = allowance(settings, await repo.usage_since(owner_id, day_start(now)))
    week = await repo.spend_since(first_day(7, now), owner_id)
    seconds = sum(e.seconds for e in week)
    dollars = money(video_dollars(settings.video_model, seconds, settings.prices))
    return (
        f"Today: {today.text(settings)}; starts again <t:{int(today.resets_at)}:R>\n"
        f"Last 7 days: {seconds:g} s of video ({dollars})"
    )


def pager(owner_id: int, page: int, pages: int) -> discord.ui.View:
    """◀ Newer and Older ▶ for page `page` of `pages`."""
    view: discord.ui.View = discord.ui.View(timeout=None)
    newer: Any = PageButton(owner_id, page - 1, "◀ Newer", disabled=page <= 1)
    older: Any = PageButton(owner_id, page + 1, "Older ▶", disabled=page >= pages)
    view.add_item(newer)
    view.add_item(older)
    return view
