"""The README is a user's guide that fits its purpose: short, a running bot from its first
screen, and every file it (or a page under docs/) points to is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
FILE_IN_CODE = re.compile(
    r"`((?:\.?[\w-]+/)*[\w.-]+\.(?:md|txt|in|yml|example|py|toml))`|`((?:docs|requirements|tests|bot)/[\w./-]*)`"
)


def referenced(page: Path) -> set[str]:
    """Repository paths `page` points to: its relative links and the file names in its code."""
    text = page.read_text(encoding="utf-8")
    found = set()
    for target in LINK.findall(text):
        if not re.match(r"[a-z]+:", target) and target != "url":  # `[text](url)`: an example
            found.add(str((page.parent / target).resolve().relative_to(ROOT)))
    for match in FILE_IN_CODE.finditer(text):
        name = match.group(1) or match.group(2)
        if "<" in name or "*" in name or name.startswith(("film", "reelbot-", "openai/")):
            continue  # a pattern, a film's name, or a file of the installed openai SDK
        found.add(name.rstrip("/"))
    return found


def test_the_readme_is_short_and_starts_with_the_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, len(lines)
    first_screen = "\n".join(lines[:30])
    for command in ("make demo", "make run", "make test"):
        assert command in first_screen


def test_every_file_the_readme_and_the_docs_name_is_in_the_repository() -> None:
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    missing = []
    for page in pages:
        for path in referenced(page):
            # a module named in the text around it (no folder): somewhere in the tree
            anywhere = next(ROOT.glob(f"[!.]*/**/{path}"), None) or (ROOT / path).exists()
            if "/" not in path and anywhere:
                continue
            if not (ROOT / path).exists() and not (page.parent / path).exists():
                missing.append(f"{page.relative_to(ROOT)} → {path}")
    assert missing == []
    assert referenced(README) >= {"docs/operating.md", "docs/architecture.md", ".env.example"}


def test_no_page_names_the_design_document_that_is_not_in_the_repository() -> None:
    for page in [README, *(ROOT / "docs").glob("*.md")]:
        assert "DESIGN.md" not in page.read_text(encoding="utf-8"), page


def test_ci_runs_the_readmes_test_command() -> None:
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().endswith("make test")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run:", "test:", "demo:", "lock:"):
        assert re.search(rf"^{target}", makefile, re.M), target
