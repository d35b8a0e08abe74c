"""The generate cog's wiring: unloading it disconnects all that loading it connected (the
updater from the bus, the deliverer from the runner, the buttons, the late note-form listener,
/generate), and loading it
again connects each once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.pipeline.events import Started
from cogs.generate.reroll import submitted_after_restart
from tests.e2e.harness import world

IDEA = "a lighthouse keeper adopts a seal"


def listening(bot: object) -> int:
    """How many note-form listeners the bot has (by name: unloading the extension drops its
    modules, so a reload brings a new function)."""
    listeners = getattr(bot, "extra_events", {}).get("on_interaction", [])
    return sum(f.__name__ == submitted_after_restart.__name__ for f in listeners)


async def test_unloading_the_generate_cog_undoes_its_setup_and_a_reload_wires_it_once(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        bot, bus = w.bot, w.services.bus
        w.replicate.auto_complete = False
        reply = await w.generate(IDEA, clips=1)
        await w.clips_running(1, 1)
        wired = len(bus)
        # an edit of the reply in flight while the cog unloads (it sends the Cancel button's
        # view, which discord.py registers again unless the updater is closed first)
        w.services.bus.publish(Started(1))
        assert bot.tree.get_command("generate") is not None and listening(bot) == 1

        await bot.unload_extension("cogs.generate")

        assert bot.get_cog("GenerateCog") is None
        assert bot.tree.get_command("generate") is None
        assert bot.tree.get_command("cancel") is None
        assert listening(bot) == 0
        # the updater and the withheld-clip notifier no longer follow events (the pipeline's
        # own subscribers, such as the score's composer, stay)
        assert len(bus) == wired - 2
        assert "discord" not in w.services.runner.delivers()  # its deliverer given back
        # the Cancel button is no longer answered by this process
        pressed = await w.discord.click("reelbot:cancel:1", reply.id, user="alice")
        await asyncio.sleep(0.5)
        assert pressed.callback_type is None
        assert not any(p.canceled for p in w.replicate.predictions.values())

        await bot.load_extension("cogs.generate")

        assert len(bus) == wired and listening(bot) == 1
        assert "discord" in w.services.runner.delivers()
        assert bot.tree.get_command("generate") is not None
        cancelled = await w.click("reelbot:cancel:1", reply, user="alice")
        assert cancelled.callback_type is not None
        await w.discord.wait_for(
            lambda: all(p.canceled for p in w.replicate.predictions.values()), timeout=10
        )
