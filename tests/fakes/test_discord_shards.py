"""The fake gateway's sharding, as Discord documents it
(https://docs.discord.com/developers/events/gateway#sharding): each guild's events go to shard
`(guild_id >> 22) % num_shards`, events without a guild to shard 0, and a bad or missing shard
is closed with 4010 / 4011."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.discord_fake.gateway import INTENT_GUILDS


class RawSession:
    """One gateway connection, read by hand (no discord.py in between)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def next(self, timeout: float = 5) -> dict[str, Any]:
        message = await asyncio.wait_for(self.ws.receive(), timeout)
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"closed with {self.ws.close_code}")
        return dict(json.loads(message.data))

    async def events(self, name: str, count: int) -> list[dict[str, Any]]:
        out = []
        while len(out) < count:
            payload = await self.next()
            if payload.get("t") == name:
                out.append(payload["d"])
        return out

    async def pending(self) -> list[str]:
        """Event names already sent, without waiting for more."""
        names = []
        while True:
            try:
                payload = await self.next(timeout=0.2)
            except TimeoutError:
                return names
            names.append(payload.get("t"))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def identify(http: aiohttp.ClientSession, fake: FakeDiscord, shard: Any = None) -> RawSession:
    ws = await http.ws_connect(fake.gateway_url + "?v=10&encoding=json")
    session = RawSession(ws)
    hello = await session.next()
    assert hello["op"] == 10
    data: dict[str, Any] = {"token": fake.token, "intents": INTENT_GUILDS, "properties": {}}
    if shard is not None:
        data["shard"] = shard
    await ws.send_json({"op": 2, "d": data})
    return session


async def test_each_shard_gets_the_guilds_of_its_shard_and_their_interactions(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeDiscord() as fake:
        first = fake.guild_id
        on_zero = fake.add_guild("zero", shard=(0, 2))
        on_one = fake.add_guild("one", shard=(1, 2))
        fake.world.put_commands(None, [{"name": "history", "description": "h", "type": 1}])
        shard_zero = await identify(http, fake, [0, 2])
        shard_one = await identify(http, fake, [1, 2])

        expected = {0: {on_zero}, 1: {on_one}}
        expected[(first >> 22) % 2].add(first)
        for shard_id, session in ((0, shard_zero), (1, shard_one)):
            (ready,) = await session.events("READY", 1)
            assert ready["shard"] == [shard_id, 2]
            assert {int(g["id"]) for g in ready["guilds"]} == expected[shard_id]
            created = await session.events("GUILD_CREATE", len(expected[shard_id]))
            assert {int(g["id"]) for g in created} == expected[shard_id]
            assert all(c["guild_id"] == g["id"] for g in created for c in g["channels"]), (
                "a guild's channels are its own"
            )

        await fake.send_slash("history", {}, channel_id=fake.channel_of(on_one))
        (interaction,) = await shard_one.events("INTERACTION_CREATE", 1)
        assert interaction["guild_id"] == str(on_one)
        assert "INTERACTION_CREATE" not in await shard_zero.pending()

        await fake.send_slash("history", {}, channel_id=fake.channel_of(on_zero))
        (interaction,) = await shard_zero.events("INTERACTION_CREATE", 1)
        assert interaction["guild_id"] == str(on_zero)
        assert "INTERACTION_CREATE" not in await shard_one.pending()


async def test_events_without_a_guild_go_to_shard_zero_only(http: aiohttp.ClientSession) -> None:
    async with FakeDiscord() as fake:
        shard_zero = await identify(http, fake, [0, 2])
        shard_one = await identify(http, fake, [1, 2])
        await shard_zero.events("READY", 1)
        await shard_one.events("READY", 1)
        await fake.dispatch("CHANNEL_PINS_UPDATE", {"channel_id": "1"})
        await shard_zero.events("CHANNEL_PINS_UPDATE", 1)
        assert "CHANNEL_PINS_UPDATE" not in await shard_one.pending()


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], [0], "0,2"])
async def test_an_invalid_shard_is_closed_with_4010(
    http: aiohttp.ClientSession, shard: Any
) -> None:
    async with FakeDiscord() as fake:
        session = await identify(http, fake, shard)
        with pytest.raises(ConnectionError):
            await session.next()
        assert session.ws.close_code == 4010
        assert fake.identify_count == 0


async def test_a_bot_that_must_shard_is_closed_with_4011_without_a_shard(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeDiscord(recommended_shards=2) as fake:
        async with http.get(
            fake.api_base + "/gateway/bot", headers={"Authorization": f"Bot {fake.token}"}
        ) as response:
            assert (await response.json())["shards"] == 2
        for too_few in (None, [0, 1]):  # every guild on one session: more than 2,500
            session = await identify(http, fake, too_few)
            with pytest.raises(ConnectionError):
                await session.next()
            assert session.ws.close_code == 4011
        sharded = await identify(http, fake, [0, 2])
        (ready,) = await sharded.events("READY", 1)
        assert ready["shard"] == [0, 2]
