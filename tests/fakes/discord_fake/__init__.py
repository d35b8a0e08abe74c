"""A loopback fake of Discord (REST + gateway) for the real discord.py client.

``from tests.fakes.discord_fake import FakeDiscord``; see ``server.FakeDiscord``.
"""

from .records import Attachment, Call, Edit, FileUpload, Interaction, Message, Problem, Role, User
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
    "Problem",
    "Role",
    "User",
]
