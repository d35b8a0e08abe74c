"""Reading figures out of a finished rig: edit lag, wall times, calls, the stitch log."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.rig import FINAL_MARKS, Rig, field_of, status_of
from tests.fakes.discord_fake import Edit, Message

_STITCHED = re.compile(r"stitched (\d+) clip\(s\) into \S+ \((stream copy|re-encoded)")


@dataclass
class ClipRow:
    generation_id: int
    message_id: int
    index: int
    prediction_id: str


def clip_rows(rig: Rig) -> list[ClipRow]:
    rows = rig.query(
        "SELECT g.id, g.message_id, c.idx, c.prediction_id FROM clips c"
        " JOIN generations g ON g.id = c.generation_id"
        " WHERE c.prediction_id IS NOT NULL AND g.message_id IS NOT NULL"
    )
    return [ClipRow(int(g), int(m), int(i), str(p)) for g, m, i, p in rows]


def _shows_done(edit: Edit, index: int) -> bool:
    clips = field_of(edit.body, "Clips") or ""
    return f"clip {index + 1}: done" in clips


def edit_lags(rig: Rig, rows: Sequence[ClipRow] | None = None) -> list[float]:
    """Per clip: seconds from its prediction completing at Replicate to the first edit of
    its reply (as Discord received it) that shows the clip done. A clip never shown done
    counts as missing (not in the sample; see ``missing_edits``)."""
    lags = []
    for row in rows if rows is not None else clip_rows(rig):
        rec = rig.replicate.predictions.get(row.prediction_id)
        if rec is None or rec.status != "succeeded" or rec.completed is None:
            continue
        seen = next(
            (e.at for e in rig.discord.edits(row.message_id) if _shows_done(e, row.index)), None
        )
        if seen is not None:
            lags.append(seen - rec.completed)
    return lags


def final_edit_at(message: Message) -> float | None:
    """When Discord received the first edit that put the reply in a final state."""
    for edit in message.edits:
        if (status_of(edit.body) or "").startswith(FINAL_MARKS):
            return edit.at
    return None


def wall_seconds(rig: Rig, interaction_index: int) -> float:
    """From the ``/generate`` dispatch to the reply's final edit."""
    interaction = rig.interactions[interaction_index]
    assert interaction.reply_id is not None
    ended = final_edit_at(rig.discord.message(interaction.reply_id))
    assert ended is not None, "the reply never reached a final state"
    return ended - interaction.sent_at


def longest_clip(rig: Rig, message_id: int) -> float:
    """Replicate's time for the generation's slowest prediction (creation to completion)."""
    longest = 0.0
    for row in clip_rows(rig):
        if row.message_id == message_id:
            rec = rig.replicate.predictions[row.prediction_id]
            assert rec.completed is not None
            longest = max(longest, rec.completed - rec.created)
    return longest


def clip_files(rig: Rig, message_id: int) -> list[Path]:
    rows = rig.query(
        "SELECT c.output_path FROM clips c JOIN generations g ON g.id = c.generation_id"
        " WHERE g.message_id = ? ORDER BY c.idx",
        (message_id,),
    )
    return [Path(r[0]) for r in rows]


def stitches(log: str) -> list[tuple[int, bool]]:
    """(clips, stream copy?) for every stitch the bot logged."""
    return [(int(m.group(1)), m.group(2) == "stream copy") for m in _STITCHED.finditer(log)]


_LOGGED_AT = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*"
_STITCH_LINE = re.compile(_LOGGED_AT + r"stitched \d+ clip\(s\) into film\.mp4", re.M)
_MIX_LINE = re.compile(_LOGGED_AT + r"narration mixed into ", re.M)


def narration_mix_seconds(log: str) -> float | None:
    """Seconds from the last stitch to the narration mixed after it (the mix's own time, as
    the bot logged it); None without a narrated film."""
    mixes = _MIX_LINE.findall(log)
    stitches = _STITCH_LINE.findall(log)
    if not mixes or not stitches:
        return None
    fmt = "%Y-%m-%d %H:%M:%S,%f"
    end = datetime.strptime(mixes[-1], fmt)
    start = max(t for t in (datetime.strptime(s, fmt) for s in stitches) if t <= end)
    return (end - start).total_seconds()


def rest_calls_since(rig: Rig, since: float) -> dict[str, int]:
    """REST calls the bot made since ``since``, by route (login, gateway and command sync
    excluded)."""
    routes: dict[str, int] = {}
    for call in rig.discord.rest_calls():
        if call.started_at >= since:
            key = f"{call.method} {call.route.removeprefix('/api/v10')}"
            routes[key] = routes.get(key, 0) + 1
    return routes


EDIT_BUDGET_PER_5S = 5  # Discord's edits of messages in one channel, per 5 s


def channel_edit_budget_used(rig: Rig) -> dict[str, float]:
    """Reply edits sent ÷ the channel's edit budget over the span from the first edit to the
    last (5 at once, then 5 per 5 s): how much of what Discord allows the bot used."""
    at = sorted(e.at for m in rig.replies() for e in m.edits)
    if not at:
        return {}
    budget = EDIT_BUDGET_PER_5S + (at[-1] - at[0]) * EDIT_BUDGET_PER_5S / 5
    return {"value": len(at) / budget, "edits": len(at), "budget": budget}


def final_states(rig: Rig) -> list[dict[str, float | int | None]]:
    """Per generation with a reply: when its final state was stored (`finished_at`, wall
    clock), when Discord received the reply edit showing it (wall clock), and the lag."""
    finished = dict(
        rig.query("SELECT message_id, finished_at FROM generations WHERE finished_at IS NOT NULL")
    )
    rows: list[dict[str, float | int | None]] = []
    for message in rig.final_replies():
        ended = finished.get(int(message.id))
        shown = next(
            (e for e in message.edits if (status_of(e.body) or "").startswith(FINAL_MARKS)),
            None,
        )
        shown_at = datetime.fromisoformat(shown.timestamp).timestamp() if shown else None
        rows.append(
            {
                "message_id": int(message.id),
                "finished_at": float(ended) if ended is not None else None,
                "shown_at": shown_at,
                "lag": shown_at - float(ended)
                if shown_at is not None and ended is not None
                else None,
            }
        )
    return rows


def final_state_lags(rig: Rig) -> list[float]:
    """Per generation: seconds from its final state being stored to Discord receiving the
    reply edit that shows it."""
    return [float(r["lag"]) for r in final_states(rig) if r["lag"] is not None]


def final_state_bound(ends: Sequence[float]) -> list[float]:
    """The lag of each final state (`ends`: when each was stored) under the best schedule the
    channel's budget allows, counted as `channel_edit_budget_used` counts it (5 edits at once,
    then 1 a second): final states only, none waiting behind another edit, oldest first, each
    sent the moment the budget has room. A lower bound: no bot can show them sooner through
    the channel endpoint."""
    rate = EDIT_BUDGET_PER_5S / 5
    lags: list[float] = []
    tokens, clock = float(EDIT_BUDGET_PER_5S), None
    for end in sorted(ends):
        now = end if clock is None else max(end, clock)
        if clock is not None:
            tokens = min(float(EDIT_BUDGET_PER_5S), tokens + (now - clock) * rate)
        if tokens < 1:
            now += (1 - tokens) / rate
            tokens = 1.0
        tokens -= 1
        clock = now
        lags.append(now - end)
    return lags


def reply_edit_times(rig: Rig) -> list[tuple[str, int, str]]:
    """Every reply edit Discord received, in order: (timestamp, message id, status shown)."""
    return sorted(
        (e.timestamp, int(m.id), status_of(e.body) or "") for m in rig.replies() for e in m.edits
    )
