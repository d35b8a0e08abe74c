"""Issue 24's cast sheet through the real process (`python -m bot`, tests/fakes/botprocess.py):
the fake Replicate serves black-forest-labs/flux-schnell (a real PNG of a colour by its prompt)
and kwaivgi/kling-v3-omni-video, which declares `reference_images` and colours each clip by the
first reference it got. The shot list of the fake OpenAI names Ada and Bo: scene 1 shows both,
scene 2 Ada, scene 3 Bo (tests/fakes/openai_fake.py `cast`)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.pipeline.director.cast import PORTRAIT_MODEL
from tests.e2e.harness import status_of
from tests.e2e.test_admission import IDEA, field, live
from tests.e2e.test_reroll_process import clip_posts
from tests.fakes.discord_fake import OptionFile
from tests.fakes.mp4 import frame_rgb, image_rgb, make_image
from tests.fakes.openai_fake import CAST
from tests.fakes.replicate_fake import FakeReplicate
from tests.fakes.replicate_images import png_bytes

MODEL = "kwaivgi/kling-v3-omni-video"
SHOWN = [["Ada", "Bo"], ["Ada"], ["Bo"]]  # the fake's cast, by scene


def portraits(replicate: FakeReplicate) -> dict[str, bytes]:
    """Each character's portrait as the image model rendered it, by name (its prompt holds
    the character's look)."""
    made = [p for p in replicate.predictions.values() if p.model == PORTRAIT_MODEL]
    return {
        name: png_bytes(p.color) for name, look in CAST for p in made if look in p.input["prompt"]
    }


def uploaded(replicate: FakeReplicate, url: str) -> bytes:
    return replicate.uploaded[url.rsplit("/", 1)[1]].data


async def test_every_scene_showing_a_character_gets_that_characters_portrait(
    tmp_path: Path,
) -> None:
    async with live(tmp_path, video_model=MODEL) as run:
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 3})
        )
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)
        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        assert "Cast: up to 5 portraits" in (field(reply, "Cost") or str(reply.embeds))

        # one portrait per character, in parallel, each kept and shown
        made = portraits(run.replicate)
        assert sorted(made) == ["Ada", "Bo"]
        assert (
            len([p for p in run.replicate.predictions.values() if p.model == PORTRAIT_MODEL]) == 2
        )
        assert made["Ada"] != made["Bo"]
        rows = run.rows("SELECT idx, name, status, source FROM cast_members ORDER BY idx")
        assert rows == [(0, "Ada", "ready", "model"), (1, "Bo", "ready", "model")]
        history = await run.answered(await run.discord.send_slash("history", {}))
        assert "🎭 Ada, Bo" in json.dumps(history.callback, ensure_ascii=False)  # /history

        # every scene received exactly the portraits of the characters it shows, in order:
        # from the recorded request (the uploads' bytes) ...
        clips = sorted(
            (p for p in run.replicate.predictions.values() if p.model == MODEL),
            key=lambda p: p.prompt,
        )
        assert len(clips) == 3
        for clip, names in zip(clips, SHOWN, strict=True):
            sent = clip.input["reference_images"]
            assert [uploaded(run.replicate, url) for url in sent] == [made[n] for n in names]
            for n, name in enumerate(names, start=1):  # named in the prompt as the schema says
                assert f"{name} is <<<image_{n}>>>." in clip.prompt
            assert clip.references == [
                "0x{:02x}{:02x}{:02x}".format(*image_rgb(made[n]) or (0, 0, 0)) for n in names
            ]

        # ... and from the clips' pixels: each posted clip has its first portrait's colour
        posts = clip_posts(run, reply_id)
        cast_posts = [m for m in posts if m.content.startswith("🎭")]
        assert [m.attachments[0].filename for m in cast_posts] == ["cast-1.png", "cast-2.png"]
        scene_posts = [m for m in posts if m.content.startswith("Clip")]
        assert len(scene_posts) == 3
        assert max(m.id for m in cast_posts) < min(m.id for m in scene_posts)  # cast first
        for message, names in zip(scene_posts, SHOWN, strict=True):
            path = tmp_path / f"{message.id}.mp4"
            path.write_bytes(message.attachments[0].data)
            assert near(frame_rgb(path, 0.5), image_rgb(made[names[0]]))


def near(a: tuple[int, int, int], b: tuple[int, int, int] | None, tolerance: int = 40) -> bool:
    """Whether a decoded pixel is the colour (after yuv420 round trips)."""
    assert b is not None
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


async def test_a_film_without_characters_makes_no_portrait(tmp_path: Path) -> None:
    async with live(tmp_path, video_model=MODEL) as run:
        run.openai.cast = ()
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        )
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)
        reply = await run.reply_final(reply_id)
        assert (status_of(reply) or "").startswith("✅"), status_of(reply)
        models = [p.model for p in run.replicate.predictions.values()]
        assert models == [MODEL, MODEL]  # no portrait
        assert all("reference_images" not in p.input for p in run.replicate.predictions.values())
        assert run.rows("SELECT status, reason FROM casts") == [
            ("none", "the shot list names no character")
        ]
        assert run.rows("SELECT COUNT(*) FROM cast_members") == [(0,)]


async def test_cast_off_makes_no_portrait_and_the_looks_stay_in_words(tmp_path: Path) -> None:
    async with live(tmp_path, video_model=MODEL, cast_default="off") as run:
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        )
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)
        assert (status_of(await run.reply_final(reply_id)) or "").startswith("✅")
        assert {p.model for p in run.replicate.predictions.values()} == {MODEL}
        assert run.rows("SELECT COUNT(*) FROM casts") == [(0,)]
        looks = [p.prompt for p in run.replicate.predictions.values()]
        assert all(CAST[0][1] in prompt for prompt in looks if "Ada" in prompt)


async def test_a_members_picture_of_a_character_is_checked_and_used_as_their_portrait(
    tmp_path: Path,
) -> None:
    picture = make_image(tmp_path / "bo.png", width=400, height=400, color="0x30c060").read_bytes()
    async with live(tmp_path, video_model=MODEL) as run:
        asked = await run.answered(
            await run.discord.send_slash(
                "generate",
                {
                    "prompt": IDEA,
                    "clips": 3,
                    "cast_image": OptionFile("bo.png", picture),
                    "cast_name": "bo",  # as the shot list names them, any case
                },
            )
        )
        # answered with a private "thinking" at once (the picture is checked); the reply follows
        followups = await run.discord.wait_for(lambda: asked.followups, timeout=10)
        assert (status_of(await run.reply_final(followups[0].id)) or "").startswith("✅")
        made_by = [p.model for p in run.replicate.predictions.values()]
        assert made_by.count(PORTRAIT_MODEL) == 1  # Ada's only: Bo is the member's picture
        rows = run.rows("SELECT name, source, image_path FROM cast_members ORDER BY idx")
        assert [(n, s) for n, s, _ in rows] == [("Ada", "model"), ("Bo", "member")]
        assert rows[1][2].endswith("cast-image.png")
        (scene_3,) = [p for p in run.replicate.predictions.values() if "Scene 3" in p.prompt]
        assert [uploaded(run.replicate, u) for u in scene_3.input["reference_images"]] == [picture]

        # a picture is refused like a start image: not an image, nothing spent
        refused = await run.answered(
            await run.discord.send_slash(
                "generate",
                {"prompt": IDEA, "cast_image": OptionFile("bo.png", b"surely an image\n" * 64)},
            )
        )
        (message,) = await run.discord.wait_for(lambda: refused.followups, timeout=10)
        assert "not a PNG or JPEG image" in str(message.payload.get("content"))
        assert run.rows("SELECT COUNT(*) FROM generations") == [(1,)]


async def test_a_picture_on_a_model_without_references_is_refused(tmp_path: Path) -> None:
    picture = make_image(tmp_path / "bo.png", width=400, height=400).read_bytes()
    async with live(tmp_path) as run:  # seedance-1-lite: no reference input
        asked = await run.answered(
            await run.discord.send_slash(
                "generate", {"prompt": IDEA, "cast_image": OptionFile("bo.png", picture)}
            )
        )
        text = str((asked.callback or {}).get("data", {}).get("content"))
        assert "takes no reference images" in text and "kling-v3-omni-video" in text
        assert run.replicate.predictions == {}


async def test_portraits_in_flight_are_re_attached_after_a_restart_never_made_twice(
    tmp_path: Path,
) -> None:
    async with live(tmp_path, video_model=MODEL) as run:
        run.replicate.auto_complete = False
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 3})
        )
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)
        await run.discord.wait_for(  # both ids stored the moment their creates answered
            lambda: (
                run.rows("SELECT COUNT(*) FROM cast_members WHERE prediction_id IS NOT NULL")
                == [(2,)]
            ),
            timeout=15,
        )
        await run.restart(video_model=MODEL)  # SIGKILL while the portraits render
        for prediction in list(run.replicate.predictions.values()):
            run.replicate.complete(prediction.id)
        run.replicate.auto_complete = True
        assert (status_of(await run.reply_final(reply_id)) or "").startswith("✅")
        made_by = [p.model for p in run.replicate.predictions.values()]
        assert made_by.count(PORTRAIT_MODEL) == 2 and made_by.count(MODEL) == 3
        spent = run.rows("SELECT COUNT(*) FROM spend WHERE seconds = 1.0")
        assert spent == [(2,)]  # each portrait charged once
        clips = [p for p in run.replicate.predictions.values() if p.model == MODEL]
        assert all(p.input.get("reference_images") for p in clips)


async def test_veo_3_1_takes_portraits_only_for_8_second_scenes_and_the_member_is_told(
    tmp_path: Path,
) -> None:
    veo = "google/veo-3.1"
    async with live(tmp_path, video_model=veo) as run:
        # 2-second scenes are 4-second veo clips: no scene can take a portrait, none is made
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        )
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)
        assert (status_of(await run.reply_final(reply_id)) or "").startswith("✅")
        assert {p.model for p in run.replicate.predictions.values()} == {veo}
        assert all("reference_images" not in p.input for p in run.replicate.predictions.values())
        notes = [m.content for m in clip_posts_of(run, reply_id) if m.content.startswith("🎭")]
        assert len(notes) == 1 and "only for clips of 8 s" in notes[0]

        # 8-second scenes take them
        run.openai.scene_duration = 8
        asked = await run.answered(
            await run.discord.send_slash("generate", {"prompt": IDEA, "clips": 2})
        )
        reply_id = await run.discord.wait_for(lambda: asked.reply_id)
        assert (status_of(await run.reply_final(reply_id)) or "").startswith("✅")
        made_by = [p.model for p in run.replicate.predictions.values()]
        assert made_by.count(PORTRAIT_MODEL) == 2
        second = [p for p in run.replicate.predictions.values() if p.model == veo][2:]
        assert all(p.input["duration"] == 8 and p.input["reference_images"] for p in second)


def clip_posts_of(run, reply_id: int) -> list:  # type: ignore[no-untyped-def]
    thread = run.discord.thread_for(reply_id)
    return [] if thread is None else run.discord.messages_in(int(thread["id"]))
