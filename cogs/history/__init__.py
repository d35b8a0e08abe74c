"""/history and its paging buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.history.cog import HistoryCog

if TYPE_CHECKING:
    from bot.discord_bot import Reelbot


async def setup(bot: Reelbot) -> None:
    await bot.add_cog(HistoryCog(bot))  # its buttons come and go with it
