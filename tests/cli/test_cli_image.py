"""`python -m bot generate --image FILE`: the film opens on the image; a bad file is refused
with exit code 2 before anything is stored or spent."""

from __future__ import annotations

import sqlite3

from tests.cli.test_cli import IDEA, bot
from tests.fakes.mp4 import frame_rgb, make_image

BLUE = (32, 64, 192)


def close(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 16) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


async def test_generate_from_an_image(env, tmp_path, openai_fake, replicate_fake) -> None:
    make_image(tmp_path / "seal.jpg", width=640, height=360, color="0x2040c0", fmt="jpeg")

    run = await bot("generate", IDEA, "--clips", "2", "--image", "seal.jpg", env=env, cwd=tmp_path)

    assert run.code == 0, run.err
    assert close(frame_rgb(tmp_path / "film.mp4", 0.0), BLUE)
    (uploaded,) = replicate_fake.uploaded.values()
    assert uploaded.content_type == "image/jpeg"
    assert replicate_fake.deleted_files == [uploaded.id]  # once its prediction had ended
    assert len(openai_fake.images) == 1 and openai_fake.images[0].startswith("data:image/jpeg")


async def test_a_text_file_named_png_is_refused_spending_nothing(
    env, tmp_path, openai_fake, replicate_fake
) -> None:
    (tmp_path / "seal.png").write_text("not an image at all\n" * 50)

    run = await bot("generate", IDEA, "--image", "seal.png", env=env, cwd=tmp_path)

    assert run.code == 2
    assert "seal.png: That file is not a PNG or JPEG image" in run.err
    assert openai_fake.calls == {"chat": 0, "moderations": 0}
    assert replicate_fake.counts["create"] == 0 and replicate_fake.files == {}
    database = tmp_path / "data" / "reelbot.sqlite3"
    if database.exists():
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT COUNT(*) FROM generations").fetchone() == (0,)


async def test_a_model_without_an_image_input_is_named(env, tmp_path) -> None:
    make_image(tmp_path / "seal.png", width=640, height=360)
    env = {**env, "VIDEO_MODEL": "wan-video/wan-2.2-t2v-fast"}

    run = await bot("generate", IDEA, "--image", "seal.png", env=env, cwd=tmp_path)

    assert run.code == 2
    assert "cannot start from an image" in run.err and "bytedance/seedance-1-lite" in run.err
