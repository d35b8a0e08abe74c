"""The /history page: lines, paging and buttons (pure), within Discord's limits."""

from __future__ import annotations

import pytest

from cogs.history import render
from cogs.history.buttons import pager
from storage.models import GenerationStatus
from tests.cogs.rows import entry
from tests.fakes.discord_fake.validation import validate_body


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (10, 1), (11, 2), (20, 2), (21, 3)])
def test_pages_for(total: int, pages: int) -> None:
    assert render.pages_for(total) == pages


def test_a_line_has_status_clips_date_link_and_prompt() -> None:
    line = render.line(entry(12, clips_done=2, clips_total=3, created_at=1_700_000_000.9))
    head, prompt = line.split("\n")
    assert head == (
        "✅ **#12** done · 2/3 clips · <t:1700000000:R>"
        " · [reply](https://discord.com/channels/1/2/3)"
    )
    assert prompt == "  film 12"


@pytest.mark.parametrize(
    ("status", "icon"),
    [
        (GenerationStatus.DONE, "✅"),
        (GenerationStatus.FAILED, "❌"),
        (GenerationStatus.CANCELLED, "🛑"),
        (GenerationStatus.RENDERING, "⏳"),
        (GenerationStatus.QUEUED, "⏳"),
    ],
)
def test_the_icon_follows_the_status(status: GenerationStatus, icon: str) -> None:
    assert render.line(entry(1, status=status)).startswith(f"{icon} **#1** {status} ·")


def test_no_link_without_a_reply_and_long_prompts_are_cut_and_escaped() -> None:
    assert render.link(entry(1, message_id=None)) is None
    line = render.line(entry(1, message_id=None, prompt="a  *star*\nis\tborn " + "x" * 200))
    head, prompt = line.split("\n")
    assert "[reply]" not in head
    assert prompt.startswith("  a \\*star\\* is born x")
    assert len(prompt) == 2 + 80 and prompt.endswith("…")


def test_a_page_lists_its_entries_and_says_where_it_is() -> None:
    entries = [entry(n) for n in range(12, 2, -1)]
    embed = render.page_embed(entries, page=1, pages=2, total=12)
    assert embed.description is not None
    assert [line.split("**")[1] for line in embed.description.split("\n")[::2]] == [
        f"#{n}" for n in range(12, 2, -1)
    ]
    assert embed.footer.text == "Page 1/2 · 12 generation(s)"


def test_empty_history_and_a_page_past_the_end() -> None:
    none = render.page_embed([], page=1, pages=1, total=0)
    assert none.description == "You have no generations yet — try `/generate`."
    past = render.page_embed([], page=3, pages=2, total=12)
    assert past.description == "No such page."


@pytest.mark.parametrize(
    ("page", "pages", "newer", "older"),
    [(1, 1, (1, True), (2, True)), (1, 3, (1, True), (2, False)), (3, 3, (2, False), (4, True))],
)
def test_pager_buttons_carry_owner_and_page(
    page: int, pages: int, newer: tuple[int, bool], older: tuple[int, bool]
) -> None:
    (row,) = pager(42, page, pages).to_components()
    got = [(b["label"], b["custom_id"], b.get("disabled", False)) for b in row["components"]]
    assert got == [
        ("◀ Newer", f"reelbot:history:42:{newer[0]}", newer[1]),
        ("Older ▶", f"reelbot:history:42:{older[0]}", older[1]),
    ]


def test_the_fullest_page_is_a_body_discord_accepts() -> None:
    entries = [
        entry(10**9 + n, prompt="*" * 1000, clips_done=10, clips_total=10) for n in range(10)
    ]
    embed = render.page_embed(entries, page=99999, pages=100000, total=999999)
    assert len(embed) <= 6000 and len(embed.description or "") <= 4096
    body = {
        "embeds": [embed.to_dict()],
        "components": pager(10**18, 99999, 100000).to_components(),
        "flags": 64,
    }
    assert (
        validate_body(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            {"type": 4, "data": body},
        )
        == {}
    )
