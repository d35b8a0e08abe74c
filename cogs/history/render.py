"""The /history page: a private embed of the caller's generations, newest first (pure)."""

from __future__ import annotations

import discord

from storage.models import (
    GenerationStatus,
    HistoryEntry,
    Narration,
    NarrationStatus,
    Version,
    VersionStatus,
)

PAGE_SIZE = 10
_ICON = {
    GenerationStatus.DONE: "✅",
    GenerationStatus.FAILED: "❌",
    GenerationStatus.CANCELLED: "🛑",
}


def link(entry: HistoryEntry) -> str | None:
    if entry.guild_id and entry.channel_id and entry.message_id:
        return (
            f"https://discord.com/channels/{entry.guild_id}/{entry.channel_id}/{entry.message_id}"
        )
    return None


def narration_mark(narration: Narration | None) -> str:
    """ " · 🎙️ narrated", " · 🔇 not narrated" (asked for, left out), or nothing."""
    if narration is None:
        return ""
    if narration.status is NarrationStatus.NARRATED:
        return " · 🎙️ narrated"
    return " · 🔇 not narrated" if narration.status is NarrationStatus.DROPPED else " · 🎙️"


def versions_mark(versions: list[Version]) -> str:
    """ " · v3 (scenes 2, 3 rerolled)", " · 🎲 v2 rerolling", or nothing (never rerolled)."""
    done = [
        v
        for v in versions
        if v.status is VersionStatus.DONE and v.scene is not None and not v.added
        and v.recast is None
    ]  # fmt: skip
    mark = ""
    grown = [v for v in versions if v.status is VersionStatus.DONE and v.added]
    if grown:  # issue 24: Extend
        mark += f" · ➕ extended by {sum(v.added for v in grown)} scene(s)"
    if any(v.status is VersionStatus.DONE and v.recast is not None for v in versions):
        mark += " · 🎭 recast"
    if done:
        scenes = sorted({v.scene + 1 for v in done if v.scene is not None})
        listed = ", ".join(map(str, scenes))
        mark += f" · v{done[-1].number} (scene{'s' if len(scenes) > 1 else ''} {listed} rerolled)"
    running = [v for v in versions if not v.status.final]
    if running:
        mark += f" · 🎲 v{running[-1].number} rerolling"
    return mark


def cast_mark(cast: list[str] | None) -> str:
    """ " · 🎭 Ada, Bo" (the film's cast sheet, issue 24), or nothing."""
    if not cast:
        return ""
    return " · 🎭 " + discord.utils.escape_markdown(", ".join(cast))[:120]


def line(
    entry: HistoryEntry,
    narration: Narration | None = None,
    versions: list[Version] | None = None,
    cast: list[str] | None = None,
) -> str:
    prompt = discord.utils.escape_markdown(" ".join(entry.prompt.split()))
    prompt = prompt if len(prompt) <= 80 else prompt[:79] + "…"
    where = link(entry)
    target = f" · [reply]({where})" if where else ""
    return (
        f"{_ICON.get(entry.status, '⏳')} **#{entry.id}** {entry.status} · "
        f"{entry.clips_done}/{entry.clips_total} clips{narration_mark(narration)}"
        f"{versions_mark(versions or [])}{cast_mark(cast)} · "
        f"<t:{int(entry.created_at)}:R>{target}\n"
        f"  {prompt}"
    )


def page_embed(
    entries: list[HistoryEntry],
    *,
    page: int,
    pages: int,
    total: int,
    narrations: dict[int, Narration] | None = None,
    versions: dict[int, list[Version]] | None = None,
    casts: dict[int, list[str]] | None = None,
) -> discord.Embed:
    embed = discord.Embed(title="Your films", colour=discord.Colour.blurple())
    if not entries:
        embed.description = (
            "You have no generations yet — try `/generate`." if total == 0 else "No such page."
        )
    else:
        marks, takes, casts = narrations or {}, versions or {}, casts or {}
        embed.description = "\n".join(
            line(e, marks.get(e.id), takes.get(e.id), casts.get(e.id)) for e in entries
        )[:4096]
    embed.set_footer(text=f"Page {page}/{max(1, pages)} · {total} generation(s)")
    return embed


def pages_for(total: int) -> int:
    return max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
