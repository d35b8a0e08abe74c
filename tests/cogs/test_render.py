"""The reply's embed and buttons, and the thread's shot list, within Discord's limits."""

from __future__ import annotations

import re
import time
from typing import Any

import discord
import pytest

from bot.pipeline.analysis.shotlist import Scene, ShotList
from bot.pipeline.errors import AnalysisError, ClipError
from bot.pipeline.events import ClipFailed, ClipHeld, Failed
from bot.pipeline.progress import ClipShows
from cogs.generate import render
from cogs.generate.state import ReplyState
from cogs.generate.thread import shot_list_text
from storage.models import GenerationStatus
from tests.fakes.discord_fake.validation import validate_body

EDIT = "/channels/{channel_id}/messages/{message_id}"


def fields(embed: discord.Embed) -> dict[str, str]:
    return {f.name or "": f.value or "" for f in embed.fields}


def body(state: ReplyState) -> dict[str, Any]:
    return {
        "embeds": [render.embed(state).to_dict()],
        "components": render.view(state).to_components(),
        "allowed_mentions": {"parse": []},
    }


def state_with(status: GenerationStatus, **values: Any) -> ReplyState:
    state = ReplyState(7, values.pop("prompt", "a seal"), status)
    for key, value in values.items():
        setattr(state, key, value)
    return state


@pytest.mark.parametrize(
    ("done", "total", "bar"),
    [(0, 3, "▱" * 10), (1, 3, "▰" * 3 + "▱" * 7), (3, 3, "▰" * 10), (0, 0, "▱" * 10)],
)
def test_progress_bar(done: int, total: int, bar: str) -> None:
    assert render.progress_bar(done, total) == bar


def test_elapsed_time() -> None:
    state = state_with(GenerationStatus.RENDERING, started_at=time.time() - 5)
    assert render.elapsed(state) == "5s"
    state.ended_at = state.started_at + 125
    assert render.elapsed(state) == "2m 05s"


def test_a_rendering_reply_shows_progress_and_each_clip() -> None:
    state = state_with(
        GenerationStatus.RENDERING, title="The Keeper", clips=["done", "rendering", "retrying"]
    )
    embed = render.embed(state)
    assert embed.title == "The Keeper"
    shown = fields(embed)
    assert shown["Status"] == "🎬 Rendering clips"
    assert shown["Progress"] == "▰▰▰▱▱▱▱▱▱▱ clip 1/3 done"
    assert shown["Clips"] == "✅ clip 1: done\n⏳ clip 2: rendering\n🔁 clip 3: retrying"
    assert "Reason" not in shown
    assert embed.footer.text is not None and embed.footer.text.startswith("Generation #7 · ")
    assert [c["custom_id"] for c in body(state)["components"][0]["components"]] == [
        "reelbot:cancel:7"
    ]


def test_a_queued_reply_shows_its_position() -> None:
    state = state_with(GenerationStatus.QUEUED, position=2)
    assert fields(render.embed(state))["Status"] == "⏳ Queued — position 2 in your queue"
    state.position = None
    assert fields(render.embed(state))["Status"] == "⏳ Queued"


@pytest.mark.parametrize(
    ("delivered", "status"),
    [
        ("dm:1/2", "✅ Done — the film was sent to you"),
        ("thread:3/4", "✅ Done — your DMs are closed, so the film was posted with a mention"),
        (None, "✅ Done — shot list only (video generation is off)"),
    ],
)
def test_done_says_where_the_film_went_and_has_no_buttons(
    delivered: str | None, status: str
) -> None:
    state = state_with(GenerationStatus.DONE, delivered=delivered, clips=["done"])
    embed = render.embed(state)
    assert fields(embed)["Status"] == status
    assert embed.colour == discord.Colour.green()
    ids = [c["custom_id"] for row in body(state)["components"] for c in row["components"]]
    # a delivered film has one button: Extend (issue 24); a shot list alone has none
    assert ids == (["reelbot:extend:7"] if delivered else [])


@pytest.mark.parametrize("status", [GenerationStatus.FAILED, GenerationStatus.CANCELLED])
def test_failed_or_cancelled_offers_retry(status: GenerationStatus) -> None:
    state = state_with(status, error="clip 2: Replicate failed the prediction: boom")
    shown = fields(render.embed(state))
    assert shown["Reason"] == "clip 2: Replicate failed the prediction: boom"
    buttons = body(state)["components"][0]["components"]
    assert [(b["label"], b["custom_id"]) for b in buttons] == [("Retry", "reelbot:retry:7")]


def test_the_prompt_is_shown_as_text_not_markdown() -> None:
    state = state_with(GenerationStatus.QUEUED, prompt="**bold** _it_ `code` ~~x~~ > quote")
    assert render.embed(state).description == r"\*\*bold\*\* \_it\_ \`code\` \~\~x\~\~ > quote"


@pytest.mark.parametrize("status", list(GenerationStatus))
def test_the_largest_reply_is_a_body_discord_accepts(status: GenerationStatus) -> None:
    """Longest prompt (every character escaped), longest title, ten clips, a huge reason."""
    state = state_with(
        status,
        prompt="*_" * 500,
        title="T" * 400,
        clips=["rendering"] * 10,
        error="E" * 5000,
        position=99,
        delivered="dm:1/2",
    )
    embed = render.embed(state)
    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert all(len(f.value or "") <= 1024 for f in embed.fields)
    assert validate_body("PATCH", EDIT, body(state)) == {}


def test_the_shot_list_fits_one_message_and_is_escaped() -> None:
    small = ShotList(
        title="The *Keeper*", style="warm", scenes=[Scene(prompt="a_seal", duration=4)]
    )
    assert shot_list_text(small) == "**The \\*Keeper\\***\n*warm*\n1. (4s) a\\_seal"
    huge = ShotList(
        title="T" * 300,
        style="S" * 1500,
        scenes=[Scene(prompt="P" * 1500, duration=10) for _ in range(10)],
    )
    text = shot_list_text(huge)
    assert len(text) <= 2000
    assert all(f"{i}. (10s) " in text for i in range(1, 11))  # every scene keeps its line
    assert validate_body("POST", "/channels/{channel_id}/messages", {"content": text}) == {}


# OpenAI's 401 names the refused key by its first characters and last four (the wording seen in
# github.com/IIC2440/Syllabus-2025-1/issues/13 and continuedev/continue#9652).
KEY_401 = (
    "OpenAI is unavailable: HTTP 401: Incorrect API key provided: sk-proj-"
    + "*" * 40
    + "Xq4z. You can find your API key at https://platform.openai.com/account/api-keys."
)
UNESCAPED = re.compile(r"(?<!\\)[\[\]*_`<]")  # markdown that would render


@pytest.mark.parametrize(
    ("error", "kept", "gone"),
    [
        (
            "The analysis model declined: [open this](https://evil.example/x) **now** "
            "[and this](https://evil.example/y)",
            ["open this", "https://evil.example/x", "now"],
            [],
        ),
        (
            "clip 2: shrinking the film failed: file:/srv/reelbot/data/media/12/.film.tmp: "
            "No space left on device",
            ["clip 2", ".film.tmp: No space left on device"],
            ["/srv", "reelbot/data", "media/12"],
        ),
        (KEY_401, ["Incorrect API key provided", "redacted"], ["Xq4z", "sk-proj", "****"]),
        (
            "Incorrect API key provided: kk. You can find your API key at https://x.example/k.",
            ["Incorrect API key provided", "redacted"],
            ["kk."],
        ),
        ("clip 1: \x1b]8;;https://evil.example\x1b\\link\x1b[2J", ["link"], ["\x1b"]),
        ("<@123> <t:0:R> # heading", ["123", "heading"], []),
    ],
)
def test_the_reason_is_escaped_and_keeps_no_secret_or_server_path(
    error: str, kept: list[str], gone: list[str]
) -> None:
    shown = fields(render.embed(state_with(GenerationStatus.FAILED, error=error)))["Reason"]
    assert UNESCAPED.search(shown) is None, shown  # no masked link, emphasis or mention
    assert not shown.startswith("#")  # nor a heading
    plain = shown.replace("\\", "")  # what Discord shows
    assert all(text in plain for text in kept), plain
    assert not any(text in plain for text in gone), plain


def test_the_reason_is_made_public_safe_where_it_is_produced() -> None:
    exc = AnalysisError(KEY_401)
    assert "Xq4z" not in exc.reason and "[redacted]" in exc.reason
    clip = ClipError(0, "ffmpeg: /home/bot/data/media/3/clip-1.mp4: Invalid data")
    assert clip.reason == "clip 1: ffmpeg: clip-1.mp4: Invalid data"
    assert clip.detail == "ffmpeg: clip-1.mp4: Invalid data"


async def test_a_provider_message_reaches_the_reply_escaped_and_without_server_paths(
    harness, replicate_fake
) -> None:
    """Through the real runner: Replicate's error text for a failed prediction (which a model
    and a prompt can shape) is stored public-safe and rendered escaped."""
    error = (
        "[Appeal here](https://evil.example/appeal) weights missing at "
        "/srv/cog/weights/model.safetensors"
    )
    replicate_fake.script([f"failed:{error}"] * 3)

    generation = await harness.generate(clips=1)

    assert generation.status is GenerationStatus.FAILED and generation.error
    assert "/srv/cog" not in generation.error and "model.safetensors" in generation.error
    assert [e.reason for e in harness.of(generation.id, Failed)] == [generation.error]
    state = ReplyState.from_rows(generation, await harness.repo.clips(generation.id))
    shown = fields(render.embed(state))["Reason"]
    assert UNESCAPED.search(shown) is None and "Appeal here" in shown


async def test_a_clips_provider_error_is_stored_and_published_public_safe(
    harness, replicate_fake
) -> None:
    """The clip's own row and its ClipFailed events carry Replicate's text only public-safe:
    the row is what a retried run, the thread and /history read back."""
    error = (
        "weights missing at /srv/cog/weights/model.safetensors; Incorrect API key provided: "
        "sk-proj-****abcd. You can find your API key at https://platform.openai.com/api-keys."
    )
    replicate_fake.script([f"failed:{error}"] * 3)

    generation = await harness.generate(clips=1)

    (clip,) = await harness.repo.clips(generation.id)
    reasons = [e.reason for e in harness.of(generation.id, ClipFailed)]
    assert clip.error is not None and len(reasons) == 3
    for text in (clip.error, *reasons, generation.error or ""):
        assert "/srv/cog" not in text and "model.safetensors" in text, text
        assert "****" not in text and "abcd" not in text, text


def test_a_post_failure_is_shown_escaped_and_without_server_paths() -> None:
    why = (
        "Discord refused /srv/reelbot/data/media/7/clip-1.mp4: [free nitro](https://x.test) **now**"
    )
    state = state_with(GenerationStatus.RENDERING, post_failures={"clip:1": why})
    shown = fields(render.embed(state))["Not posted"]
    assert shown.startswith("clip 2 could not be posted: ")
    assert UNESCAPED.search(shown) is None, shown  # no masked link or emphasis
    plain = shown.replace("\\", "")
    assert "clip-1.mp4" in plain and "/srv/reelbot" not in plain


def test_a_reply_held_by_replicates_create_budget_says_its_place_and_about_how_long() -> None:
    state = state_with(GenerationStatus.RENDERING, clips=[ClipShows.WAITING] * 4)
    state.apply(ClipHeld(7, 0, 12, time.time() + 39.5))
    status = fields(render.embed(state))["Status"]
    assert status == "🎬 Rendering clips — Replicate is busy: 12 scenes ahead of yours, about 40 s"
    assert validate_body("PATCH", EDIT, body(state)) == {}
    state.apply(ClipHeld(7, 0, 1, time.time() - 1))  # its turn has come: nothing to estimate
    assert fields(render.embed(state))["Status"] == "🎬 Rendering clips"


def test_a_queued_reply_shows_about_when_it_starts_when_known() -> None:
    state = state_with(GenerationStatus.QUEUED, position=2, starts_at=time.time() + 100)
    status = fields(render.embed(state))["Status"]
    assert status == "⏳ Queued — position 2 in your queue, about 2 min"
