"""Serve the OpenAI and Replicate fakes on 127.0.0.1 for a manual run of the bot or the CLI.

    python -m tests.fakes.serve --env fakes.env      # then: set -a; . ./fakes.env; set +a
    python -m bot generate "a lighthouse keeper adopts a seal" --clips 3 --out film.mp4

The fakes finish each clip after --clip-delay seconds; Ctrl-C stops them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate

FAKE_KEY = "fake-openai-key"
FAKE_TOKEN = "fake-replicate-token"


def provider_env(openai: FakeOpenAI, replicate: FakeReplicate) -> dict[str, str]:
    """The settings that point the bot at these fakes."""
    return {
        "OPENAI_API_KEY": FAKE_KEY,
        "OPENAI_BASE_URL": openai.base_url,
        "REPLICATE_API_TOKEN": FAKE_TOKEN,
        "REPLICATE_BASE_URL": replicate.base_url,
        "MEDIA_ALLOWED_HOSTS": "127.0.0.1",
        "START_IMAGE_HOSTS": "127.0.0.1",  # the fake Discord serves attachments (its "CDN")
    }


async def serve(env_file: Path | None, clip_delay: float, clip_seconds: float) -> None:
    # each fake accepts only the key it hands out, and answers any other with the real
    # service's 401 (tests/fakes/openai_fake.py, replicate_fake.py)
    async with (
        FakeOpenAI(api_key=FAKE_KEY) as openai,
        FakeReplicate(api_token=FAKE_TOKEN) as replicate,
    ):
        replicate.clip_delay = clip_delay
        replicate.max_clip_seconds = clip_seconds
        lines = [f"{k}={v}" for k, v in provider_env(openai, replicate).items()]
        if env_file is not None:
            env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print("\n".join(lines), flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", type=Path, help="also write the settings to this file")
    parser.add_argument("--clip-delay", type=float, default=2.0)
    parser.add_argument("--clip-seconds", type=float, default=2.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.env, args.clip_delay, args.clip_seconds))


if __name__ == "__main__":
    main()
