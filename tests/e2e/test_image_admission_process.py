"""A /generate with an image is admitted before its image is fetched or decoded (issue 19
item 4, second point), through the real bot process: a member past today's limit is told so,
not what is wrong with an image nobody needed to read."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_admission import IDEA, USED_ONE, live
from tests.e2e.test_start_image_process import refusal
from tests.fakes.discord_fake import OptionFile


async def test_a_member_past_the_limit_is_refused_before_the_image_is_read(
    tmp_path: Path,
) -> None:
    async with live(tmp_path, daily_generation_limit=1) as run:
        first = await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 1})
        await run.answered(first)
        await run.discord.wait_for(lambda: run.replicate.predictions, timeout=20)

        text = await refusal(
            run,
            await run.discord.send_slash(
                "generate",
                {"prompt": IDEA, "image": OptionFile("seal.png", b"surely an image\n" * 64)},
            ),
        )

        assert USED_ONE in text and "PNG" not in text
        assert run.rows("SELECT COUNT(*) FROM generations") == [(1,)]
