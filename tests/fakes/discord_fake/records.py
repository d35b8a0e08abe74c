"""Plain records the fake keeps, for tests to inspect."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    """A member of the fake guild (or the bot itself)."""

    id: int
    name: str
    bot: bool = False
    role_ids: list[int] = field(default_factory=list)
    joined_at: str = "2024-01-01T00:00:00.000000+00:00"

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        """The user object, shaped after the spec's ``UserResponse``."""
        out: dict[str, Any] = {
            "id": str(self.id),
            "username": self.name,
            "avatar": None,
            "discriminator": "0",
            "public_flags": 0,
            "flags": 0,
            "global_name": None if self.bot else self.name.title(),
            "primary_guild": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "banner": None,
            "accent_color": None,
        }
        if self.bot:
            out["bot"] = True
        return out


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    bot_id: int | None = None


@dataclass
class FileUpload:
    """One ``files[n]`` part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Attachment:
    id: int
    channel_id: int
    filename: str
    size: int
    content_type: str
    data: bytes
    url: str
    description: str | None = None
    width: int | None = None  # "height/width of file (if image)": Discord's own reading
    height: int | None = None
    ephemeral: bool = False  # uploaded with a slash command option
    proxy_url: str | None = None

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.proxy_url or self.url,
            "content_type": self.content_type,
        }
        if self.description is not None:
            out["description"] = self.description
        if self.width is not None and self.height is not None:
            out["width"], out["height"] = self.width, self.height
        if self.ephemeral:
            out["ephemeral"] = True
        return out


@dataclass(frozen=True)
class OptionFile:
    """A file a member gives an ATTACHMENT option of a slash command (``send_slash`` value)."""

    filename: str
    data: bytes


@dataclass
class Edit:
    """One change to a message: creation (``kind="create"``) or an edit."""

    body: dict[str, Any]
    at: float
    timestamp: str
    route: str
    kind: str = "edit"
    files: list[str] = field(default_factory=list)


@dataclass
class Message:
    """A stored message; ``payload`` is exactly what the REST API returns for it."""

    payload: dict[str, Any]
    history: list[Edit] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    interaction_token: str | None = None
    deleted: bool = False

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])

    @property
    def author_id(self) -> int:
        return int(self.payload["author"]["id"])

    @property
    def content(self) -> str:
        return self.payload["content"]

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.payload["embeds"]

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.payload["components"]

    @property
    def flags(self) -> int:
        return self.payload["flags"]

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def loading(self) -> bool:
        return bool(self.flags & 128)

    @property
    def mentions(self) -> list[int]:
        return [int(u["id"]) for u in self.payload["mentions"]]

    @property
    def mention_everyone(self) -> bool:
        return self.payload["mention_everyone"]

    @property
    def edits(self) -> list[Edit]:
        return [e for e in self.history if e.kind == "edit"]


@dataclass
class Call:
    """One REST request the fake answered."""

    method: str
    route: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[FileUpload]
    started_at: float
    status: int = 0
    finished_at: float = 0.0
    authorized: bool = False


@dataclass
class Problem:
    """A request body the fake rejected as invalid, or a route it does not know."""

    method: str
    route: str
    path: str
    message: str
    errors: dict[str, Any] = field(default_factory=dict)
    body: Any = None


@dataclass
class Interaction:
    """An interaction the fake dispatched, and what the bot did with it."""

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    payload: dict[str, Any]
    sent_at: float
    name: str | None = None
    custom_id: str | None = None
    callback_at: float | None = None
    callback: dict[str, Any] | None = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original_message_id: int | None = None
    original_message: Message | None = None
    followups: list[Message] = field(default_factory=list)
    expired: bool = False
    modal: dict[str, Any] | None = None  # the modal the bot answered with (callback type 9)
    _done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def callback_type(self) -> int | None:
        return None if self.callback is None else self.callback.get("type")

    @property
    def latency(self) -> float | None:
        """Seconds from dispatch to the first callback reaching the fake."""
        return None if self.callback_at is None else self.callback_at - self.sent_at

    @property
    def reply_id(self) -> int | None:
        """The command's public reply: its original response when that is public and still
        there, else its first public followup (after a private "thinking" answer: DESIGN,
        "the first public followup after a deferral counts too")."""
        original = self.original_message
        hidden = original is None or original.deleted or original.ephemeral or original.loading
        if original is not None and not hidden:
            return original.id
        for message in self.followups:
            if not message.ephemeral and not message.deleted:
                return message.id
        return None

    @property
    def ephemeral_followups(self) -> list[Message]:
        return [m for m in self.followups if m.ephemeral]

    async def wait_callback(self, timeout: float = 5.0) -> dict[str, Any]:
        """The first callback body, once the bot has answered."""
        await asyncio.wait_for(self._done.wait(), timeout)
        assert self.callback is not None
        return self.callback
