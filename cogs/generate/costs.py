"""The private answer to a refused run: the reason, and for a spent daily allowance what is
left and when it starts again, as a Discord timestamp each member sees in their own time zone
(`<t:UNIX:R>` relative, `<t:UNIX:t>` short time: docs.discord.com/developers/reference,
"Message Formatting", timestamp styles)."""

from __future__ import annotations

from bot.pipeline.spend.admission import Refused
from bot.pipeline.spend.allowance import OverLimit


def refusal(exc: Refused) -> str:
    """The private answer to a refused run."""
    if not isinstance(exc, OverLimit):
        return exc.reason
    at = int(exc.resets_at)
    return (
        f"You have used {exc.used:g} of your {exc.limit:g} seconds of video for today "
        f"({exc.left:g} s left). Your allowance starts again <t:{at}:R> (at <t:{at}:t>)."
    )
