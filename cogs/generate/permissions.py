"""What the bot needs where /generate is used, checked before anything is spent; and where a
generation's posts go (its own thread, or the channel itself where no thread can be started).

Discord answers a post where the bot lacks a permission with 403 (50001 / 50013), and a
thread started on a message in a thread or a voice channel's chat with 400 (50024): asked
first, the member learns at once what is missing and no generation is paid for in vain.
"""

from __future__ import annotations

import discord

from bot.tree import UserFacingError

# permission attribute → the name Discord's settings show
NEEDED = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
}
IN_THREAD = {**NEEDED, "send_messages_in_threads": "Send Messages in Threads"}
del IN_THREAD["send_messages"]  # in a thread only this one counts (Discord's threads topic)
# without these the posts go in the channel itself rather than a thread of their own
FOR_A_THREAD = ("create_public_threads", "send_messages_in_threads")
# channel types where Discord starts a thread on a message (Start Thread from Message)
THREAD_PARENTS = (discord.ChannelType.text, discord.ChannelType.news)
THREAD_TYPES = (
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
)


def missing(
    permissions: discord.Permissions, channel_type: discord.ChannelType | None
) -> list[str]:
    """Names of the permissions the bot lacks for /generate in a channel of this type."""
    needed = IN_THREAD if channel_type in THREAD_TYPES else NEEDED
    return [name for attr, name in needed.items() if not getattr(permissions, attr)]


def check_channel(interaction: discord.Interaction) -> None:
    """A private error naming what is missing when the bot cannot work where the command was
    used (outside a guild there is nothing to check: /generate is guild-only)."""
    if interaction.guild_id is None:
        return
    channel_type = getattr(interaction.channel, "type", None)
    lacking = missing(interaction.app_permissions, channel_type)
    if lacking:
        names = ", ".join(lacking)
        raise UserFacingError(
            f"Reelbot cannot make films in this channel: it lacks the {names} "
            f"permission{'s' if len(lacking) > 1 else ''} here. Ask a moderator to grant "
            "it, or use /generate in another channel. Nothing was started."
        )


def can_start_thread(channel: object, me: discord.Member | None) -> bool | None:
    """Whether a thread can be started on a message in `channel` and posted in; None when the
    channel is not known (then Discord's answer decides)."""
    channel_type = getattr(channel, "type", None)
    if channel_type is None:
        return None
    if channel_type not in THREAD_PARENTS:
        return False  # a thread, a forum post, a voice channel's chat: Discord answers 50024
    if me is None or not isinstance(channel, discord.abc.GuildChannel):
        return None
    permissions = channel.permissions_for(me)
    return all(getattr(permissions, attr) for attr in FOR_A_THREAD)
