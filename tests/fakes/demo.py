"""`make demo`: one film from a sentence in under a minute, with no account anywhere.

The tests' fake OpenAI and fake Replicate (the real services' API shapes, on 127.0.0.1; each
checks the key the demo gives it, as the real ones do) serve the real `python -m bot generate`,
which writes the film next to this repository's README and says where it is. The demo's
database and clips live under build/demo/, apart from a real installation's data/ and .env.

    python -m tests.fakes.demo ["a different idea"] [--clips N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from bot.cli.files import unused_name
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate
from tests.fakes.serve import FAKE_KEY, FAKE_TOKEN, provider_env

ROOT = Path(__file__).resolve().parents[2]
WORKDIR = ROOT / "build" / "demo"  # git-ignored: no .env here, its own database and media
IDEA = "a lighthouse keeper adopts a seal"
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TERM", "COLUMNS", "TMPDIR", "SYSTEMROOT")


async def demo(idea: str, clips: int, workdir: Path = WORKDIR, out_dir: Path = ROOT) -> int:
    workdir.mkdir(parents=True, exist_ok=True)
    out = unused_name(out_dir / "film.mp4")
    started = time.monotonic()
    async with FakeOpenAI(api_key=FAKE_KEY) as openai, FakeReplicate(api_token=FAKE_TOKEN) as rep:
        rep.clip_delay = 2.0  # a real model takes 30 s to 2 min a clip
        rep.max_clip_seconds = 2.0
        env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
        env.update(provider_env(openai, rep))
        print(f"Fake OpenAI at {openai.base_url}, fake Replicate at {rep.base_url}", flush=True)
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "generate",
            idea,
            "--clips",
            str(clips),
            "--out",
            str(out),
            env=env,
            cwd=workdir,
        )
        code = await child.wait()
    if code != 0:
        print(f"The demo failed (exit {code}).", file=sys.stderr)
        return code
    took = time.monotonic() - started
    print(
        f"\nYour film: {out} ({out.stat().st_size // 1024} KiB, made in {took:.0f} s; "
        "open it with any video player).\n"
        "The fakes draw one coloured clip per scene. Next: put your keys in .env (see the "
        "README's 'Run it in your server') and `make run`.",
        flush=True,
    )
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("idea", nargs="?", default=IDEA)
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help="database and media")
    parser.add_argument("--out-dir", type=Path, default=ROOT, help="where film.mp4 goes")
    args = parser.parse_args()
    sys.exit(asyncio.run(demo(args.idea, args.clips, args.workdir, args.out_dir)))


if __name__ == "__main__":
    main()
