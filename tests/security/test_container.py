"""The container runs as a non-root user, set after everything that needs root."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_the_final_stage_runs_as_a_non_root_user_after_its_installs() -> None:
    steps = instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    final = steps[last_from:]
    users = [(i, args) for i, (word, args) in enumerate(final) if word == "USER"]
    assert users, "the final stage never sets USER: it would run as root"
    index, user = users[-1]
    name = user.split(":")[0]
    assert name not in ("root", "0", ""), user
    installs = [i for i, (word, _) in enumerate(final) if word in ("RUN", "ADD")]
    assert all(i < index for i in installs), "a RUN after USER would run as that user or root"
    assert final[-1][0] in ("CMD", "ENTRYPOINT") and not any(
        word == "USER" for word, _ in final[index + 1 :]
    )


def test_compose_does_not_switch_back_to_root() -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert not re.search(r"^\s*user:\s*['\"]?(root|0)\b", compose, re.M)
    assert "privileged: true" not in compose
