"""Watch one /generate run end to end against the loopback fakes.

    .venv/bin/python -m tests.e2e.watch ["PROMPT"] [--clips N] [--edit-seconds S]

Starts fake Discord, OpenAI and Replicate on 127.0.0.1, runs the real bot (discord.py and all)
in this process, sends /generate as the member "alice", waits for the final state and prints
every Discord REST call the bot made after the command arrived (method, route, status, and
milliseconds since INTERACTION_CREATE), then the final reply and the DM.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from bot.config import Settings
from tests.e2e.harness import World, status_of, world


def where(w: World, path: str) -> str:
    """Which channel a `/channels/{id}/...` call went to, in words."""
    parts = path.split("/")
    if len(parts) < 3 or parts[1] != "channels" or not parts[2].isdigit():
        return ""
    channel = w.discord.world.channels.get(int(parts[2]))
    if channel is None:
        return ""
    if channel["type"] == 1:
        return f"DM with {channel['recipients'][0]['username']}"
    if channel["type"] in (10, 11, 12):
        return "thread"
    return f"#{channel['name']}"


def report(w: World, interaction_sent_at: float, reply_id: int) -> str:
    """The REST calls since the interaction, the reply and the DM, as text."""
    lines = ["", "Discord REST calls the bot made (ms since INTERACTION_CREATE):"]
    calls = [c for c in w.discord.rest_calls() if c.started_at >= interaction_sent_at]
    for call in calls:
        ms = (call.started_at - interaction_sent_at) * 1000
        files = f"  [{', '.join(f.filename for f in call.files)}]" if call.files else ""
        place = where(w, call.path)
        place = f"  ({place})" if place else ""
        lines.append(f"  {ms:8.1f} ms  {call.status}  {call.method:6} {call.route}{place}{files}")
    lines.append(f"  total: {len(calls)} calls")
    reply = w.discord.message(reply_id)
    lines += ["", "Final reply:"]
    for embed in reply.embeds:
        lines.append(f"  {embed.get('title', '')}")
        for field in embed.get("fields", []):
            value = field["value"].replace("\n", "\n    ")
            lines.append(f"  {field['name']}: {value}")
        if "footer" in embed:
            lines.append(f"  ({embed['footer']['text']})")
    lines += ["", "DM to alice:"]
    for message in w.discord.dm_messages("alice"):
        files = ", ".join(f"{a.filename} ({a.size} bytes)" for a in message.attachments)
        lines.append(f"  {message.content}  [{files}]")
    return "\n".join(lines)


async def watch(prompt: str, clips: int, edit_seconds: float) -> int:
    with tempfile.TemporaryDirectory(prefix="reelbot-watch-") as folder:
        async with world(
            Path(folder), reply_edit_seconds=edit_seconds, replicate_poll_seconds=0.2
        ) as w:
            w.replicate.clip_delay = 1.0
            print(f"/generate prompt:{prompt!r} clips:{clips}  (as alice)", flush=True)
            interaction = await w.discord.send_slash(
                "generate", {"prompt": prompt, "clips": clips}, user="alice"
            )
            await interaction.wait_callback(timeout=5)
            latency = interaction.latency or 0.0
            print(f"interaction answered in {latency * 1000:.1f} ms", flush=True)
            reply_id = await w.discord.wait_for(lambda: interaction.reply_id)
            reply = w.discord.message(reply_id)
            status = await w.wait_final(reply, timeout=60)
            print(f"final status: {status}")
            print(report(w, interaction.sent_at, reply_id))
            return 0 if status_of(w.discord.message(reply_id)) == status else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prompt", nargs="?", default="a lighthouse keeper adopts a seal")
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument(
        "--edit-seconds", type=float, default=1.0, help="REPLY_EDIT_SECONDS (default 1.0)"
    )
    args = parser.parse_args()
    for name in Settings.model_fields:  # only the fakes: no setting from the shell or .env
        os.environ.pop(name.upper(), None)
    sys.exit(asyncio.run(watch(args.prompt, args.clips, args.edit_seconds)))


if __name__ == "__main__":
    main()
