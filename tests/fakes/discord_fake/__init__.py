"""A loopback fake of Discord (REST + gateway) for the real discord.py client.

    async with FakeDiscord() as fake:
        with fake.patch_discord_py():          # or set Route.BASE / DEFAULT_GATEWAY yourself
            ...start the bot with fake.token...
            await fake.wait_ready()
            record = await fake.send_slash("generate", {"prompt": "a seal"}, user="alice")
            await record.wait_callback()
        fake.assert_clean()                    # no invalid bodies, no unknown routes

Modules: ``server`` (``FakeDiscord``, knobs), ``inject`` (slash commands, clicks),
``queries`` (what tests read), ``gateway``, ``rest_core`` / ``rest_channels`` /
``rest_interactions`` (routes), ``actions`` and ``messages`` (Discord's message rules),
``state`` (the world), ``records`` (what is recorded), ``ratelimit``, ``validation`` and
``limits`` (request bodies against the OpenAPI document), ``payloads`` and
``world_payloads`` (objects the fake sends), ``option_files`` (files given to ATTACHMENT
options, served like the CDN), ``wire`` (HTTP plumbing).
"""

from .records import (
    Attachment,
    Call,
    Edit,
    FileUpload,
    Interaction,
    Message,
    OptionFile,
    Problem,
    Role,
    User,
)
from .server import FakeDiscord
from .state import MANAGE_MESSAGES

__all__ = [
    "MANAGE_MESSAGES",
    "Attachment",
    "Call",
    "Edit",
    "FakeDiscord",
    "FileUpload",
    "Interaction",
    "Message",
    "OptionFile",
    "Problem",
    "Role",
    "User",
]
