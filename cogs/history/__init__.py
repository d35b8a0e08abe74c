"""/history and its paging buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.history.buttons import PageButton
from cogs.history.cog import HistoryCog

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot


async def setup(bot: Reelbot) -> None:
    bot.add_dynamic_items(PageButton)
    await bot.add_cog(HistoryCog(bot))
