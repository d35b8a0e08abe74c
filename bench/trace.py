"""``python -m bench.trace``: the files the code of one ``/generate`` runs through, from the
command to the DM, in the order it first runs each function (issue 18's trace).

Method: the real bot against the loopback fakes (tests/e2e/harness.py). While one
``/generate`` (2 clips, no narration) runs from the command until the film's DM is sent, a
profile hook (`sys.setprofile`, and `threading.setprofile` for the work sent to threads) notes
each project function (`bot/`, `cogs/`, `storage/`) the first time it is called, with its file.
That list of files, with runs of the same file merged, is the reading path: each function read
once, in the order the code first needs it. Figures: the distinct files, and the returns (how
often the path comes back to a file it already left: merged runs minus distinct files), with the
files returned to most. Background work that runs whatever the command (the lease heartbeat,
the retention sweep) is counted if it runs in the window; the window is a few seconds.

Prints the figures and the path; ``--json PATH`` writes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path.cwd().resolve()
PROJECT = tuple(str(ROOT / p) + "/" for p in ("bot", "cogs", "storage"))
IDEA = "a lighthouse keeper adopts a seal"


class Recorder:
    """Owns the first-call list: (file, function) pairs seen and the files in first-call order."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()
        self.files: list[str] = []
        self.on = False

    def hook(self, frame: FrameType, event: str, arg: Any) -> None:
        if not self.on or event != "call":
            return
        code = frame.f_code
        path = code.co_filename
        if not path.startswith(PROJECT):
            return
        key = (path, code.co_qualname)
        if key in self.seen:
            return
        self.seen.add(key)
        self.files.append(str(Path(path).relative_to(ROOT)))


def figures(files: list[str]) -> dict[str, Any]:
    runs = [f for i, f in enumerate(files) if i == 0 or files[i - 1] != f]
    distinct = list(dict.fromkeys(runs))
    visits = Counter(runs)
    return {
        "functions": len(files),
        "distinct_files": len(distinct),
        "returns": len(runs) - len(distinct),
        "most_returned": [(f, n - 1) for f, n in visits.most_common() if n > 1][:10],
        "path": runs,
    }


async def trace_once(data: Path) -> list[str]:
    from tests.e2e.harness import world

    recorder = Recorder()
    sys.setprofile(recorder.hook)
    threading.setprofile(recorder.hook)  # type: ignore[arg-type]
    try:
        async with world(data) as w:
            recorder.on = True
            reply = await w.generate(IDEA, clips=2)
            await w.discord.wait_for(lambda: w.discord.dm_messages("alice"), timeout=120)
            recorder.on = False
            await w.wait_final(reply)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    return recorder.files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the figures and the path here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = asyncio.run(trace_once(Path(tmp)))
    result = figures(files)
    above = figures([f for f in files if not f.startswith("storage/")])
    result["without_storage"] = {k: v for k, v in above.items() if k != "path"}
    print(
        f"without storage/ (the SQL, one call down): {above['distinct_files']} files, "
        f"{above['returns']} returns"
    )
    print(f"functions first called: {result['functions']}")
    print(f"distinct files: {result['distinct_files']}")
    print(f"returns to a file already left: {result['returns']}")
    print("returned to most:", ", ".join(f"{f} ({n})" for f, n in result["most_returned"]))
    print("path:")
    for step, file in enumerate(result["path"], start=1):
        print(f"  {step:3d} {file}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
