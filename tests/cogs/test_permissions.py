"""What /generate needs where it is used, where posts go, and failed posts on the reply."""

from __future__ import annotations

import aiohttp
import discord

from bot.retry import http_transient as is_transient
from cogs.generate import render
from cogs.generate.permissions import can_start_thread, missing
from cogs.generate.state import ReplyState
from cogs.generate.thread import FAILED, failed_posts, failure_reason
from storage.models import GenerationStatus

ALL = discord.Permissions.all()


def without(**denied: bool) -> discord.Permissions:
    permissions = discord.Permissions.all()
    permissions.update(**{name: False for name in denied})
    return permissions


def test_nothing_missing_with_every_permission() -> None:
    assert missing(ALL, discord.ChannelType.text) == []
    assert missing(ALL, discord.ChannelType.public_thread) == []


def test_each_missing_permission_is_named() -> None:
    lacking = without(attach_files=True, embed_links=True)
    assert missing(lacking, discord.ChannelType.text) == ["Embed Links", "Attach Files"]
    assert missing(without(view_channel=True), discord.ChannelType.voice) == ["View Channel"]
    assert missing(discord.Permissions.none(), None) == [
        "View Channel",
        "Send Messages",
        "Embed Links",
        "Attach Files",
        "Read Message History",
    ]


def test_in_a_thread_send_messages_in_threads_counts_not_send_messages() -> None:
    thread = discord.ChannelType.public_thread
    assert missing(without(send_messages=True), thread) == []
    assert missing(without(send_messages_in_threads=True), thread) == ["Send Messages in Threads"]
    # in a text channel, thread permissions alone only move the posts into the channel
    assert missing(without(create_public_threads=True), discord.ChannelType.text) == []


class _Channel:
    def __init__(self, kind: discord.ChannelType) -> None:
        self.type = kind


def test_no_thread_is_started_in_a_thread_a_voice_chat_or_a_forum_post() -> None:
    for kind in (
        discord.ChannelType.public_thread,
        discord.ChannelType.voice,
        discord.ChannelType.stage_voice,
    ):
        assert can_start_thread(_Channel(kind), None) is False
    assert can_start_thread(None, None) is None  # unknown channel: Discord's answer decides
    assert can_start_thread(_Channel(discord.ChannelType.text), None) is None


def test_transient_and_lasting_failures() -> None:
    assert is_transient(aiohttp.ClientConnectionError())
    assert is_transient(ConnectionResetError())
    assert not is_transient(ValueError())
    assert failure_reason(aiohttp.ServerDisconnectedError()).startswith("Discord could not")


def test_failed_posts_are_shown_on_the_reply_in_order() -> None:
    posts = {"shot_list": "1/2", "clip:1": FAILED + "too big", "clip:0": "1/3", "settled": "9"}
    assert failed_posts(posts) == {"clip:1": "too big"}
    state = ReplyState(7, "a seal", GenerationStatus.DONE)
    state.clips = ["done", "done", "done"]
    state.post_failures = {"clip:2": "Discord refused it", "shot_list": "gone", "clip:0": "x"}
    embed = render.embed(state)
    (value,) = [f.value for f in embed.fields if f.name == "Not posted"]
    assert value == (
        "the shot list could not be posted: gone\n"
        "clip 1 could not be posted: x\n"
        "clip 3 could not be posted: Discord refused it"
    )
