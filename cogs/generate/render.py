"""The reply's embed and buttons, from a `ReplyState` — the pipeline's `Progress` plus where the
reply is (pure, within Discord's limits)."""

from __future__ import annotations

import re
import time

import discord

from bot.pipeline.errors import public_reason
from bot.pipeline.progress import ClipShows
from cogs.generate.buttons import CancelButton, RetryButton
from cogs.generate.extend import ExtendButton
from cogs.generate.state import ReplyState
from storage.models import GenerationStatus

BAR_WIDTH = 10
_COLOURS = {
    GenerationStatus.DONE: discord.Colour.green(),
    GenerationStatus.FAILED: discord.Colour.red(),
    GenerationStatus.CANCELLED: discord.Colour.dark_grey(),
}
_STAGE = {
    GenerationStatus.QUEUED: "⏳ Queued",
    GenerationStatus.ANALYSING: "🧠 Writing the shot list",
    GenerationStatus.RENDERING: "🎬 Rendering clips",
    GenerationStatus.STITCHING: "🎞️ Stitching the film",
    GenerationStatus.DELIVERING: "📬 Delivering the film",
    GenerationStatus.REROLLING: "🎲 Rerolling a scene",
    GenerationStatus.DONE: "✅ Done — the film was sent to you",
    GenerationStatus.FAILED: "❌ Failed",
    GenerationStatus.CANCELLED: "🛑 Cancelled",
}
# Markdown that renders in an embed field: emphasis, code, spoilers, masked links ("[text](url)"
# renders in field values), mentions and timestamps ("<@id>", "<t:…>"), and headings, quotes
# and lists at the start. Discord drops a backslash before any punctuation when it renders.
_MARKDOWN = re.compile(r"[\\*_~|`\[\]<]|^[#>\-]")
_CLIP_ICON = {
    ClipShows.WAITING: "▫️",
    ClipShows.RENDERING: "⏳",
    ClipShows.RETRYING: "🔁",
    ClipShows.DONE: "✅",
    ClipShows.FAILED: "❌",
}


def progress_bar(done: int, total: int) -> str:
    filled = round(BAR_WIDTH * done / total) if total else 0
    return "▰" * filled + "▱" * (BAR_WIDTH - filled)


def elapsed(state: ReplyState) -> str:
    seconds = int((state.ended_at or time.time()) - state.started_at)
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def reason(error: str) -> str:
    """A failure reason as the reply shows it: public-safe (rows stored before that rule
    included) and with every markdown character escaped, masked links too."""
    return _MARKDOWN.sub(lambda m: "\\" + m[0], public_reason(error))[:1024]


def narration(state: ReplyState) -> str:
    """The voice-over line of the reply: narrated, or delivered without it and why."""
    assert state.narration is not None
    if state.narration.reason is None:
        return f"🎙️ narrated (voice {state.narration.voice}{_stood_in(state)})"
    return f"🔇 without narration: {reason(state.narration.reason)}"[:1024]


def _stood_in(state: ReplyState) -> str:
    assert state.narration is not None
    replaced = state.narration.replaced
    if replaced is None:
        return ""
    return f", the closest to {replaced}, which the speech model no longer has"


def versions(state: ReplyState) -> str:
    """The film's version and the scenes rerolled into it (and a reroll that failed)."""
    changed = ", ".join(
        f"scene {scene + 1} (v{take})" for scene, take in sorted(state.changed.items())
    )
    text = f"v{state.version}" + (f" · rerolled: {changed}" if changed else "")
    if state.reroll_error:
        text += f"\nReroll {reason(state.reroll_error)} — the film stays v{state.version}"
    return text[:1024]


def embed(state: ReplyState) -> discord.Embed:
    title = (state.title or "Reelbot — your film is on its way")[:256]
    result = discord.Embed(
        title=title,
        description=discord.utils.escape_markdown(state.prompt)[:1500],
        colour=_COLOURS.get(state.status, discord.Colour.blurple()),
    )
    stage = _STAGE[state.status]
    if state.status is GenerationStatus.DONE and not (state.delivered or "").startswith("dm:"):
        stage = (
            "✅ Done — shot list only (video generation is off)"
            if state.delivered is None
            else "✅ Done — your DMs are closed, so the film was posted with a mention"
        )
    queue = state.queue_notice()  # "position 2 in your queue[, about 3 min]"
    if state.status is GenerationStatus.QUEUED and queue:
        stage += f" — {queue}"
    if state.rerolling is not None and not state.final:
        stage = f"🎲 Rerolling scene {state.rerolling + 1} — v{state.version} on its way"
        if queue:
            stage += f" ({queue})"
    elif state.status is GenerationStatus.DONE and state.version > 1:
        stage = stage.replace("the film", f"v{state.version} of the film", 1)
    if not state.final and (held := state.held_notice()) is not None:
        stage += f" — {held}"  # the create budget holds clips back
    result.add_field(name="Status", value=stage, inline=False)
    if state.chained is not None and not state.final:
        result.add_field(name="Continuity", value=state.chained.notice()[:1024], inline=False)
    if state.clips:
        total = len(state.clips)
        result.add_field(
            name="Progress",
            value=f"{progress_bar(state.done_count, total)} clip {state.done_count}/{total} done",
            inline=False,
        )
        lines = [
            f"{_CLIP_ICON[s]} clip {i}: {s}"
            + (f" · v{state.changed[i - 1]}" if i - 1 in state.changed else "")
            for i, s in enumerate(state.clips, start=1)
        ]
        result.add_field(name="Clips", value="\n".join(lines)[:1024], inline=False)
    if state.version > 1 or state.changed or state.reroll_error:
        result.add_field(name="Version", value=versions(state), inline=False)
    if state.narration is not None:
        result.add_field(name="Narration", value=narration(state), inline=False)
    if state.post_failures:
        lines = [
            f"{_post_label(key)} could not be posted: {reason(why)}"
            for key, why in sorted(state.post_failures.items(), key=lambda kv: _order(kv[0]))
        ]
        result.add_field(name="Not posted", value="\n".join(lines)[:1024], inline=False)
    if state.error:
        result.add_field(name="Reason", value=reason(state.error), inline=False)
    if state.cost:
        result.add_field(name="Cost", value=state.cost[:1024], inline=False)
    result.set_footer(text=f"Generation #{state.generation_id} · {elapsed(state)}")
    return result


def _order(key: str) -> tuple[int, int]:
    kind, _, index = key.partition(":")
    index = index.partition(":")[0]  # "clip:1:v2": a reroll's take
    return (0, 0) if kind == "shot_list" else (1, int(index) if index.isdigit() else 0)


def _post_label(key: str) -> str:
    """ "clip:1" → "clip 2"; "clip:1:v2" → "clip 2 (v2)"; "shot_list" → "the shot list"."""
    kind, _, rest = key.partition(":")
    index, _, take = rest.partition(":")
    if kind == "clip" and index.isdigit():
        return f"clip {int(index) + 1}" + (f" ({take})" if take else "")
    return "the shot list" if kind == "shot_list" else key.replace("_", " ")


def view(state: ReplyState) -> discord.ui.View:
    """Cancel while running; Retry once failed or cancelled; Extend once a film was delivered
    (issue 24); nothing else when done."""
    buttons = discord.ui.View(timeout=None)
    if not state.final:
        buttons.add_item(CancelButton(state.generation_id))
    elif state.status in (GenerationStatus.FAILED, GenerationStatus.CANCELLED):
        buttons.add_item(RetryButton(state.generation_id))
    elif state.status is GenerationStatus.DONE and state.delivered:
        buttons.add_item(ExtendButton(state.generation_id))
    return buttons
