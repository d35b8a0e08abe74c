"""/generate with an image, through the real bot process (`python -m bot`) against the fakes:
the film's first frame comes from the image; a text file named .png, a 30 MB image and an image
for a model without an image input are refused privately, spending nothing."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_admission import IDEA, Live, live
from tests.fakes.discord_fake import Interaction, OptionFile
from tests.fakes.mp4 import frame_rgb, make_image

BLUE = (32, 64, 192)


def close(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 16) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


async def refusal(run: Live, interaction: Interaction) -> str:
    """The private answer to a /generate with an image: it was deferred privately at once
    ("thinking"), then the refusal replaced that message."""
    await run.answered(interaction)
    assert interaction.callback is not None and interaction.callback["type"] == 5
    (message,) = await run.discord.wait_for(lambda: interaction.followups, timeout=10)
    assert message.ephemeral
    return str(message.payload.get("content"))


def nothing_spent(run: Live) -> None:
    assert run.replicate.predictions == {} and run.replicate.files == {}
    assert run.openai.calls == {"chat": 0, "moderations": 0}
    assert run.rows("SELECT COUNT(*) FROM generations") == [(0,)]
    media = run.data / "media"
    assert not media.exists() or not any(media.rglob("*.*"))


async def test_the_film_starts_from_the_members_image(tmp_path: Path) -> None:
    data = make_image(tmp_path / "seal.png", width=640, height=360, color="0x2040c0").read_bytes()
    async with live(tmp_path) as run:
        slash = await run.discord.send_slash(
            "generate", {"prompt": IDEA, "clips": 2, "image": OptionFile("seal.png", data)}
        )
        await run.answered(slash)
        # answered with a private "thinking" at once; the reply follows it, public
        followups = await run.discord.wait_for(lambda: slash.followups, timeout=10)
        reply = await run.reply_final(followups[0].id)
        dms = await run.discord.wait_for(lambda: run.discord.dm_messages("alice"), timeout=20)

        assert slash.callback is not None and slash.callback["type"] == 5  # deferred
        assert slash.callback["data"]["flags"] & 64  # privately
        assert not reply.payload.get("flags", 0) & 64 and "✅" in str(reply.embeds)
        assert run.discord.thread_for(reply.id) is not None  # the thread on the reply
        (film,) = dms[0].attachments
        path = tmp_path / "delivered.mp4"
        path.write_bytes(film.data)
        assert close(frame_rgb(path, 0.0), BLUE)  # the film opens on the member's image
        first, second = sorted(run.replicate.predictions.values(), key=lambda p: p.prompt)
        (uploaded,) = run.replicate.uploaded.values()
        assert uploaded.data == data  # the checked image, as attached
        assert run.replicate.deleted_files == [uploaded.id]  # once its prediction had ended
        assert first.input["image"].endswith(f"/v1/files/{uploaded.id}") and "image" not in (
            second.input
        )
        assert len(run.openai.images) == 1  # the analysis model saw it
        assert run.rows("SELECT start_image_path FROM generations")[0][0].endswith(
            "start-image.png"
        )
        run.discord.assert_clean()


async def test_bad_images_are_refused_privately_and_spend_nothing(tmp_path: Path) -> None:
    png = make_image(tmp_path / "seal.png", width=640, height=360).read_bytes()
    huge = png + b"\0" * (30 * 1024 * 1024 - len(png))  # a valid PNG, 30 MB with its padding
    async with live(tmp_path) as run:
        text = await refusal(
            run,
            await run.discord.send_slash(
                "generate",
                {"prompt": IDEA, "image": OptionFile("seal.png", b"surely an image\n" * 64)},
            ),
        )
        big = await refusal(
            run,
            await run.discord.send_slash(
                "generate", {"prompt": IDEA, "image": OptionFile("huge.png", huge)}
            ),
        )

        assert "not a PNG or JPEG image (checked by its content" in text
        assert "too large (30.0 MB): the limit is 10.0 MB" in big
        nothing_spent(run)

        await run.restart(video_model="wan-video/wan-2.2-t2v-fast")
        refused = await refusal(
            run,
            await run.discord.send_slash(
                "generate", {"prompt": IDEA, "image": OptionFile("seal.png", png)}
            ),
        )

        assert "(wan-video/wan-2.2-t2v-fast) cannot start from an image" in refused
        assert "`bytedance/seedance-1-lite`" in refused and "`google/veo-3-fast`" in refused
        nothing_spent(run)
        run.discord.assert_clean()
