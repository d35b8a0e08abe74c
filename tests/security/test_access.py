"""Who may do what: the daily limit, the allowed guilds, and managing another member's work.

Covered in tests/e2e and not repeated here: another member's Cancel button, /cancel by number
and Retry button are refused privately; a member who may manage messages cancels from the
reply; /history shows a member only their own generations.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.harness import World, world
from tests.fakes.discord_fake import MANAGE_MESSAGES

IDEA = "a lighthouse keeper adopts a seal"
NOT_YOURS = "not one of your generations"


async def slash(w: World, name: str, options: dict, user: str, channel: int | None = None) -> str:
    interaction = await w.discord.send_slash(name, options, user=user, channel_id=channel)
    await interaction.wait_callback(timeout=5)
    return await w.wait_private_text(interaction)


async def test_a_burst_of_commands_cannot_pass_the_daily_limit(tmp_path: Path) -> None:
    async with world(tmp_path, daily_generation_limit=2) as w:
        w.replicate.auto_complete = False  # nothing finishes: every generation stays counted
        burst = await asyncio.gather(
            *(
                w.discord.send_slash("generate", {"prompt": f"{IDEA} {i}", "clips": 1})
                for i in range(6)
            )
        )
        for interaction in burst:  # each answered at once, then replied to or refused
            await interaction.wait_callback(timeout=5)
            await w.discord.wait_for(
                lambda i=interaction: i.reply_id or w.private_text(i), timeout=10
            )

        refused = [w.private_text(i) for i in burst if w.private_text(i) is not None]
        assert len(refused) == 4, refused
        assert all("You have used your 2 generations for today" in (t or "") for t in refused)
        assert await w.services.repo.count_history(w.discord.users["alice"].id) == 2
        # another member is not held back by alice's limit
        bob = await w.command("generate", {"prompt": IDEA, "clips": 1}, user="bob")
        assert bob.reply_id is not None and w.private_text(bob) is None
        w.replicate.auto_complete = True


async def test_cancelling_after_spending_does_not_give_a_generation_back(tmp_path: Path) -> None:
    async with world(tmp_path, daily_generation_limit=1) as w:
        w.replicate.auto_complete = False
        reply = await w.generate(IDEA, clips=1)
        await w.discord.wait_for(lambda: len(w.replicate.predictions) == 1)
        assert await slash(w, "cancel", {}, "alice") == "Cancelled generation #1."
        await w.wait_final(reply)

        again = await slash(w, "generate", {"prompt": IDEA, "clips": 1}, "alice")
        assert "You have used your 1 generations for today" in again
        assert w.replicate.counts["create"] == 1


async def test_outside_the_allowed_guilds_nothing_starts(tmp_path: Path) -> None:
    async with world(tmp_path, allowed_guild_ids=frozenset({1234567890})) as w:
        text = await slash(w, "generate", {"prompt": IDEA, "clips": 1}, "alice")
        assert text == "Reelbot is not enabled in this server."
        assert await w.services.repo.count_history(w.discord.users["alice"].id) == 0
        assert w.openai.calls == {"chat": 0, "moderations": 0}
        assert w.discord.messages_in() == []

        w.settings.allowed_guild_ids = frozenset({1234567890, w.discord.guild_id})
        reply = await w.generate(IDEA, clips=1)
        assert (await w.wait_final(reply)).startswith("✅")


async def test_managing_messages_elsewhere_does_not_reach_a_generation_here(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        lounge = w.discord.add_channel("lounge")
        mod = w.discord.users["mod"]
        # mod may manage messages in the lounge, not in the channel alice generates in
        w.discord.world.channels[w.discord.channel_id]["permission_overwrites"] = [
            {"id": str(mod.role_ids[0]), "type": 0, "allow": "0", "deny": str(MANAGE_MESSAGES)}
        ]
        await w.restart()  # the bot learns the channels and overwrites at its next GUILD_CREATE
        w.replicate.auto_complete = False
        reply = await w.generate(IDEA, clips=1)
        await w.discord.wait_for(lambda: len(w.replicate.predictions) == 1)

        text = await slash(w, "cancel", {"generation": 1}, "mod", channel=lounge)
        assert NOT_YOURS in text
        text = await slash(w, "cancel", {"generation": 1}, "bob", channel=lounge)
        assert NOT_YOURS in text
        assert not any(p.canceled for p in w.replicate.predictions.values())

        # the owner may, from anywhere
        assert await slash(w, "cancel", {"generation": 1}, "alice", lounge) == (
            "Cancelled generation #1."
        )
        assert (await w.wait_final(reply)).startswith("🛑")
