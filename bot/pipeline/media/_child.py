"""Starting ffmpeg children cheaply, whatever the event loop.

uvloop (which ``python -m bot`` runs on) starts a child through libuv's ``uv_spawn``, a plain
``fork()`` of the whole process, and blocks the loop until the child has exec'd
(uvloop/handles/process.pyx in the installed package: ``PyOS_BeforeFork`` then ``uv_spawn``):
at ~100 MB of memory that is page tables copied and every page made copy-on-write again,
about 2 ms of the bot's CPU per child (the load bench starts 2,000, 10 a generation: 68 → 48
ms of CPU per generation). CPython's ``subprocess.Popen`` starts it with ``vfork()``, which
copies nothing ("What's New in Python 3.10": subprocess uses vfork on Linux when it is safe);
the loop waits only for the exec, ~0.1 ms. So where the platform has pidfds (Linux ≥ 5.3) a
child is started with ``Popen``, its pipes are read on the loop and its exit is seen through a
pidfd (``os.pidfd_open``) on the loop: no thread, no SIGCHLD handler; elsewhere asyncio's own
``create_subprocess_exec`` is used.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Sequence
from typing import Protocol

from bot.tasks import spawn

READ_CHUNK = 65536


class Child(Protocol):
    """What `run_ffmpeg` needs of a started child (an `asyncio.subprocess.Process` has it)."""

    @property
    def returncode(self) -> int | None: ...

    async def communicate(self) -> tuple[bytes, bytes]: ...

    async def wait(self) -> int: ...

    def kill(self) -> None: ...


def _popen(cmd: Sequence[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


class PidfdChild:
    """Owns one child started by `Popen` (stdin from /dev/null, stdout and stderr piped): its
    two pipes, read to their end on the loop, and its exit, seen through a pidfd."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    async def communicate(self) -> tuple[bytes, bytes]:
        """Both outputs, once the child closed them and exited."""
        assert self._proc.stdout is not None and self._proc.stderr is not None
        pipes = (self._proc.stdout, self._proc.stderr)
        try:
            out, err = await _read_to_end([p.fileno() for p in pipes])
        finally:
            for pipe in pipes:
                pipe.close()
        await self.wait()
        return out, err

    async def wait(self) -> int:
        """The exit code, once the child has exited (reaped here)."""
        if self._proc.poll() is not None:
            return self._proc.returncode
        loop = asyncio.get_running_loop()
        pidfd = os.pidfd_open(self._proc.pid)
        try:
            exited: asyncio.Future[None] = loop.create_future()

            def readable() -> None:
                if not exited.done():
                    exited.set_result(None)

            loop.add_reader(pidfd, readable)
            try:
                if self._proc.poll() is None:  # it may have exited before the pidfd existed
                    await exited
            finally:
                loop.remove_reader(pidfd)
        finally:
            os.close(pidfd)
        return self._proc.wait()  # it has exited: reaping it does not block

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()


async def _read_to_end(fds: list[int]) -> list[bytes]:
    """Everything written to each pipe in `fds` until its writer closes it, read on the loop
    (no reader is left on any of them when this returns or raises)."""
    loop = asyncio.get_running_loop()
    chunks: dict[int, list[bytes]] = {fd: [] for fd in fds}
    open_fds = set(fds)
    ended = loop.create_future()

    def readable(fd: int) -> None:
        try:
            chunk = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:
            chunk = b""
            if not ended.done():
                ended.set_exception(exc)
        if chunk:
            chunks[fd].append(chunk)
            return
        loop.remove_reader(fd)
        open_fds.discard(fd)
        if not open_fds and not ended.done():
            ended.set_result(None)

    for fd in fds:
        os.set_blocking(fd, False)
        loop.add_reader(fd, readable, fd)
    try:
        await ended
    finally:
        for fd in open_fds:
            loop.remove_reader(fd)
    return [b"".join(chunks[fd]) for fd in fds]


async def start_child(cmd: Sequence[str]) -> Child:
    """Start `cmd` (stdin /dev/null, stdout and stderr piped). Raises OSError when it cannot
    be started. `Popen` runs in a worker thread: vfork suspends only the thread that calls it,
    until the child has exec'd, and exec'ing the 170 MB static ffmpeg took ~16 ms here (the
    loop was held 22 s in a 3-minute load bench). A child started for a caller cancelled
    meanwhile is killed and reaped, never left behind."""
    if not hasattr(os, "pidfd_open"):
        return await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    starting = asyncio.ensure_future(asyncio.to_thread(_popen, cmd))
    try:
        return PidfdChild(await asyncio.shield(starting))
    except asyncio.CancelledError:
        starting.add_done_callback(_stop_unwanted)
        raise


def _stop_unwanted(starting: asyncio.Future[subprocess.Popen[bytes]]) -> None:
    """A child whose caller was cancelled while it started: killed, then reaped."""
    if starting.cancelled() or starting.exception() is not None:
        return
    child = PidfdChild(starting.result())
    child.kill()
    spawn(_reap(child), name="ffmpeg-reap")


async def _reap(child: PidfdChild) -> None:
    await child.communicate()  # closes its pipes, then waits for its exit
