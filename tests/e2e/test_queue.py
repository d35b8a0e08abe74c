"""Two members' queues are served fairly: one member's backlog does not hold the other up."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import statuses, world


async def test_members_are_served_round_robin_with_positions_shown(tmp_path: Path) -> None:
    # one generation per member at a time, and one prediction at a time in the whole process
    async with world(tmp_path, user_concurrency=1, clip_concurrency=1) as w:
        w.replicate.clip_delay = 0.25
        alice = [await w.generate(f"alice film {n}", clips=2) for n in (1, 2, 3)]
        bob = await w.generate("bob film", clips=1, user="bob")

        for reply in (*alice, bob):
            assert (await w.wait_final(reply, timeout=30)).startswith("✅")

        # bob's clip got the next free slot instead of waiting behind alice's six
        order = [p.prompt for p in w.replicate.predictions.values()]
        assert len(order) == 7
        bob_turn = next(i for i, prompt in enumerate(order) if "bob film" in prompt)
        assert bob_turn == 1, order
        # so bob had his film before alice's third generation even started
        (bob_dm,) = w.discord.dm_messages("bob")
        (alice_third,) = w.replicate.created_for("alice film 3")[:1]
        assert bob_dm.history[0].at < alice_third.created

        # alice's waiting generations showed their place in her queue, kept up to date
        second = statuses(w.discord.message(alice[1].id))
        third = statuses(w.discord.message(alice[2].id))
        assert "⏳ Queued — position 1 in your queue" in second, second
        assert "⏳ Queued — position 2 in your queue" in third, third
        assert third.index("⏳ Queued — position 2 in your queue") < third.index(
            "⏳ Queued — position 1 in your queue"
        )
        assert len(w.discord.dm_messages("alice")) == 3
        w.discord.assert_clean()
