"""Issue 18: one owner for a generation's life. Read from the source: in the bot (`bot/`,
`cogs/`), only the transitions unit (`bot/pipeline/run/transitions.py`) calls the storage methods
that change a generation's or a version's status; a prediction create is counted only through
the guarded `clip_create_admitted`; a lease is taken only inside an admitting transaction."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRANSITIONS = ROOT / "bot" / "pipeline" / "run" / "transitions.py"

# every storage method that writes `generations.status` or `versions.status`
STATUS_CHANGERS = frozenset(
    {
        "set_status",
        "reopen",
        "create_generation",
        "take_member_slot",
        "begin_reroll",
        "set_version_status",
        "finish_reroll",
        "end_reroll",
        "begin_extend",  # issue 24: Extend, a version like a reroll's
        "end_extend",
        "begin_recast",  # issue 24: Recast, a version like a reroll's
        "end_recast",
    }
)
# storage methods the bot must not call at all (tests and tools only)
NEVER_IN_THE_BOT = frozenset({"clip_creating", "take_lease"})


def _calls(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.func.attr, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]


def _sources() -> list[Path]:
    return sorted(p for package in ("bot", "cogs") for p in (ROOT / package).rglob("*.py"))


def test_only_the_transitions_unit_changes_a_status() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} calls {name}"
        for path in _sources()
        if path != TRANSITIONS
        for name, line in _calls(path)
        if name in STATUS_CHANGERS
    ]
    assert found == []


def test_the_transitions_unit_calls_every_status_changer() -> None:
    called = {name for name, _ in _calls(TRANSITIONS)}
    assert called >= STATUS_CHANGERS


def test_the_bot_creates_only_through_the_guarded_create_and_takes_no_lease_by_itself() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} calls {name}"
        for path in _sources()
        for name, line in _calls(path)
        if name in NEVER_IN_THE_BOT
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    ["repo.set_status(1, 'done')", "self._crew.repo.end_reroll(v, s, None)", "x.take_lease(1)"],
)
def test_the_finder_finds(source: str, tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(source)
    assert {name for name, _ in _calls(path)} & (STATUS_CHANGERS | NEVER_IN_THE_BOT)
