"""The gateway websocket: HELLO, IDENTIFY/READY, heartbeats, RESUME with replay, shards.

Sharding (https://docs.discord.com/developers/events/gateway#sharding): an IDENTIFY may carry
``shard: [shard_id, num_shards]``; a guild's events go to the sessions whose shard is
``(guild_id >> 22) % num_shards``, and events without a ``guild_id`` (DMs) only to shard 0.
Several sessions may identify with the same shard, and each gets the same events. A shard
outside ``0 <= shard_id < num_shards`` is closed with 4010 Invalid Shard; when the fake is set
to require sharding (``FakeDiscord(recommended_shards=N > 1)``, "apps that are in 2500+ guilds
*must* enable sharding", each shard "can only support a maximum of 2500 guilds"), an IDENTIFY
without a shard, or with fewer than N shards, is closed with 4011 Sharding Required
(close codes: https://docs.discord.com/developers/topics/opcodes-and-status-codes).

discord.py connects with ``?v=10&encoding=json&compress=zlib-stream`` (``zstd-stream`` when
the ``zstandard`` package is installed). With ``zlib-stream`` every frame is one message
compressed by a single per-connection zlib context and ending in a ``Z_SYNC_FLUSH``
(``00 00 ff ff``). discord.py also accepts plain text frames on any connection, which is
what the fake sends when no (or an unsupported) compression is asked for.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import secrets
import zlib
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .world_payloads import guild_create_payload, member_payload, ready_payload

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41250
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
REPLAY_LIMIT = 10000


class Connection:
    """One websocket; serialises sends so a zlib stream stays in order."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compress = compress if compress == "zlib-stream" else None
        self._zlib = zlib.compressobj() if self.compress else None
        self._lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any] | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        async with self._lock:
            if self.ws.closed:
                raise ConnectionResetError("gateway socket closed")
            if self._zlib is not None:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)


def shard_of(guild_id: int, num_shards: int) -> int:
    """Discord's sharding formula."""
    return (guild_id >> 22) % num_shards


def valid_shard(shard: Any) -> bool:
    """``[shard_id, num_shards]`` with ``0 <= shard_id < num_shards``."""
    return (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in shard)
        and 0 <= shard[0] < shard[1]
    )


class Session:
    def __init__(self, session_id: str, intents: int, shard: list[int] | None) -> None:
        self.id = session_id
        self.intents = intents
        self.shard = shard
        self.seq = 0
        # (seq, serialised frame): what a RESUME replays, exactly as it was first sent.
        self.buffer: collections.deque[tuple[int, str]] = collections.deque(maxlen=REPLAY_LIMIT)
        self.connection: Connection | None = None
        self.lock = asyncio.Lock()

    def handles(self, guild_id: int | None) -> bool:
        """Whether this session receives the events of ``guild_id`` (None: no guild, a DM)."""
        if self.shard is None:
            return True
        shard_id, num_shards = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, num_shards) == shard_id

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        async with self.lock:
            self.seq += 1
            frame = json.dumps({"t": event, "s": self.seq, "op": 0, "d": data})
            self.buffer.append((self.seq, frame))
            connection = self.connection
            if connection is not None:
                try:
                    await connection.send(frame)
                except (ConnectionResetError, RuntimeError):
                    self.connection = None


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.identify_count = 0
        self.resume_count = 0
        self.connections: list[dict[str, Any]] = []
        self.identified_shards: set[tuple[int, ...]] = set()  # every [id, count] identified
        self.ready = asyncio.Event()
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def current(self) -> Session | None:
        """The most recently identified session."""
        return next(reversed(self.sessions.values()), None)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.connections.append({"path": request.path, "query": dict(request.query)})
        connection = Connection(ws, request.query.get("compress"))
        session: Session | None = None
        try:
            await connection.send(
                {"t": None, "s": None, "op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}
            )
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                session = await self._on_message(connection, session, payload) or session
        except (ConnectionResetError, RuntimeError) as error:
            log.debug("gateway connection ended: %s", error)
        finally:
            self._sockets.discard(ws)
            if session is not None and session.connection is connection:
                session.connection = None
                if ws.close_code in (1000, 1001):
                    # A clean close ends the session, as on Discord. (discord.py's
                    # Client.close() actually sends 4000, which leaves it resumable.)
                    self.sessions.pop(session.id, None)
        return ws

    async def _on_message(
        self, connection: Connection, session: Session | None, payload: dict[str, Any]
    ) -> Session | None:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:
            await connection.send({"t": None, "s": None, "op": 11, "d": None})
        elif op == 2:
            return await self._identify(connection, data or {})
        elif op == 6:
            return await self._resume(connection, data or {})
        elif op == 8 and session is not None:
            await self._members_chunk(session, data or {})
        return None

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> Session | None:
        if data.get("token") != self.fake.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard = data.get("shard")
        if shard is not None and not valid_shard(shard):
            await connection.ws.close(code=4010, message=b"Invalid shard.")
            return None
        if (shard[1] if shard else 1) < self.fake.recommended_shards:
            # the session would handle more guilds than a shard may (2,500): too few shards
            await connection.ws.close(code=4011, message=b"Sharding required.")
            return None
        self.identify_count += 1
        session = Session(secrets.token_hex(16), int(data.get("intents") or 0), shard)
        self.sessions[session.id] = session
        session.connection = connection
        world = self.fake.world
        guild_ids = [g for g in world.guilds if session.handles(g)]
        await session.dispatch(
            "READY",
            ready_payload(world, session.id, self.fake.resume_gateway_url, shard, guild_ids),
        )
        all_members = bool(session.intents & INTENT_GUILD_MEMBERS)
        for guild_id in guild_ids:
            await session.dispatch(
                "GUILD_CREATE",
                guild_create_payload(world, all_members=all_members, guild_id=guild_id),
            )
        if shard is not None:
            self.identified_shards.add(tuple(shard))
        self.ready.set()
        self.fake.touch()
        return session

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        oldest = session.buffer[0][0] if session is not None and session.buffer else 1
        if data.get("token") != self.fake.token or session is None or seq + 1 < oldest:
            await connection.send({"t": None, "s": None, "op": 9, "d": False})
            return None
        self.resume_count += 1
        async with session.lock:
            session.connection = connection
            for frame_seq, frame in list(session.buffer):
                if frame_seq > seq:
                    await connection.send(frame)
            session.seq += 1
            resumed = {"t": "RESUMED", "s": session.seq, "op": 0, "d": {"_trace": ["loopback"]}}
            session.buffer.append((session.seq, json.dumps(resumed)))
            await connection.send(resumed)
        self.fake.touch()
        return session

    async def _members_chunk(self, session: Session, data: dict[str, Any]) -> None:
        world = self.fake.world
        users = [world.bot_user, *world.users.values()]
        wanted = {str(u) for u in data.get("user_ids") or []}
        if wanted:
            users = [u for u in users if str(u.id) in wanted]
        chunk = {
            "guild_id": str(data.get("guild_id") or world.guild_id),
            "members": [member_payload(world, u) for u in users],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(self, event: str, data: dict[str, Any], intent: int = 0) -> None:
        """Send an event to every session that asked for ``intent`` (0: always) and whose
        shard handles the event's guild."""
        guild = data.get("guild_id")
        guild_id = int(guild) if guild is not None else None
        for session in list(self.sessions.values()):
            if (intent == 0 or session.intents & intent) and session.handles(guild_id):
                await session.dispatch(event, data)

    async def disconnect(self, code: int = 4000) -> None:
        """Close every live socket with ``code``; the sessions stay resumable."""
        sockets = list(self._sockets)
        for session in self.sessions.values():
            session.connection = None
        await asyncio.gather(*(ws.close(code=code) for ws in sockets), return_exceptions=True)

    async def invalidate(self) -> None:
        """Forget every session (the next RESUME gets INVALID_SESSION)."""
        self.sessions.clear()
        await self.disconnect(4000)

    async def close(self) -> None:
        await self.disconnect(1001)
