"""/history end to end: private, paged with buttons, newest first, the caller's own only."""

from __future__ import annotations

import re
from pathlib import Path

from storage.models import GenerationStatus, NewGeneration
from tests.e2e.harness import World, world
from tests.fakes.discord_fake import Interaction, Message

ENTRY = re.compile(r"\*\*#(\d+)\*\*")


async def add_generations(w: World, user: str, count: int, status: GenerationStatus) -> None:
    """Stored generations of `user`, as /generate would have left them (cheaply)."""
    owner = w.discord.users[user].id
    for n in range(1, count + 1):
        generation = await w.services.repo.create_generation(
            NewGeneration(
                owner_id=owner,
                prompt=f"{user} film {n}",
                guild_id=w.discord.guild_id,
                channel_id=w.discord.channel_id,
            )
        )
        await w.services.repo.set_status(generation.id, status)


def page_of(message: Message) -> tuple[list[int], str, str]:
    """(generation numbers listed, description, footer) of a /history message."""
    (embed,) = message.embeds
    description = embed.get("description", "")
    return [int(n) for n in ENTRY.findall(description)], description, embed["footer"]["text"]


def buttons(message: Message) -> dict[str, tuple[str, bool]]:
    """label → (custom_id, disabled)."""
    return {
        c["label"]: (c["custom_id"], bool(c.get("disabled")))
        for row in message.components
        for c in row["components"]
    }


def answer(w: World, interaction: Interaction) -> Message:
    assert interaction.original_message_id is not None
    return w.discord.message(interaction.original_message_id)


async def test_history_is_private_paged_newest_first_and_own_only(tmp_path: Path) -> None:
    async with world(tmp_path, enable_video_generation=False) as w:
        alice_id = w.discord.users["alice"].id
        # one real /generate (analysis only: video generation is off), then 11 stored ones
        reply = await w.generate("alice film 0", clips=2)
        assert await w.wait_final(reply) == "✅ Done — shot list only (video generation is off)"
        await add_generations(w, "alice", 11, GenerationStatus.DONE)
        await add_generations(w, "bob", 2, GenerationStatus.FAILED)

        interaction = await w.command("history")
        assert interaction.callback_type == 4
        assert interaction.callback is not None and interaction.callback["data"]["flags"] & 64
        first = answer(w, interaction)
        assert first.ephemeral
        listed, description, footer = page_of(first)
        assert listed == list(range(12, 2, -1))  # newest first, ten a page
        assert footer == "Page 1/2 · 12 generation(s)"
        assert "bob film" not in description
        assert buttons(first) == {
            "◀ Newer": (f"reelbot:history:{alice_id}:1", True),
            "Older ▶": (f"reelbot:history:{alice_id}:2", False),
        }

        older = await w.click(f"reelbot:history:{alice_id}:2", first)
        assert older.callback_type == 7  # the same private message, edited in place
        second = w.discord.message(first.id)
        listed, description, footer = page_of(second)
        assert listed == [2, 1]
        assert footer == "Page 2/2 · 12 generation(s)"
        # the real generation: status, clips, and a link to its reply
        link = (
            f"https://discord.com/channels/{w.discord.guild_id}/{w.discord.channel_id}/{reply.id}"
        )
        assert link in description and "alice film 0" in description
        assert "✅ **#1** done · 0/2 clips" in description  # shot list of 2, no video
        assert buttons(second)["◀ Newer"] == (f"reelbot:history:{alice_id}:1", False)
        assert buttons(second)["Older ▶"][1] is True

        await w.click(f"reelbot:history:{alice_id}:1", second)
        assert page_of(w.discord.message(first.id))[0] == list(range(12, 2, -1))

        # bob sees his own two and none of alice's, and cannot page hers
        bobs = await w.command("history", user="bob")
        listed, description, footer = page_of(answer(w, bobs))
        assert listed == [14, 13] and "alice" not in description
        assert footer == "Page 1/1 · 2 generation(s)"
        edits = len(w.discord.message(first.id).edits)
        refused = await w.click(f"reelbot:history:{alice_id}:2", first, user="bob")
        assert refused.callback_type == 4 and refused.callback is not None
        assert refused.callback["data"]["flags"] & 64
        assert "someone else's" in refused.callback["data"]["content"]
        assert len(w.discord.message(first.id).edits) == edits

        # nobody with no films gets an empty page, not an error
        empty = await w.command("history", user="mod")
        assert "no generations yet" in page_of(answer(w, empty))[1]
        # the public channel holds only the one reply: every /history answer was private
        assert w.discord.messages_in() == [w.discord.message(reply.id)]
        w.discord.assert_clean()
