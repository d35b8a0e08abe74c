"""The real bot as an operator runs it (`python -m bot`), in a child process, against the fakes.

Used by the restart torture tests and the benchmark: start, SIGKILL, SIGTERM, restart on the
same database, and read the process's memory and CPU time from /proc.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import IO, Any

from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.replicate_fake import FakeReplicate
from tests.fakes.serve import provider_env

PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "SYSTEMROOT")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def bot_env(
    discord: FakeDiscord, openai: FakeOpenAI, replicate: FakeReplicate, data: Path, **extra: Any
) -> dict[str, str]:
    """A clean environment (no inherited provider keys) pointing the bot at the fakes."""
    env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    env.update(provider_env(openai, replicate))
    env.update(
        {
            "DISCORD_TOKEN": discord.token,
            "DISCORD_GUILD_ID": str(discord.guild_id),
            "DISCORD_API_BASE_URL": discord.api_base,
            "DISCORD_GATEWAY_URL": discord.gateway_url,
            "DATABASE_PATH": str(data / "reelbot.sqlite3"),
            "MEDIA_DIR": str(data / "media"),
            "PYTHONUNBUFFERED": "1",
            # unlimited unless a test sets a limit (or "" for the default)
            "DAILY_VIDEO_SECONDS_LIMIT": "0",
        }
    )
    env.update({key.upper(): str(value) for key, value in extra.items()})
    return env


class BotProcess:
    """One `python -m bot` child at a time; its log appends to `log_path`."""

    def __init__(
        self, discord: FakeDiscord, env: dict[str, str], cwd: Path, log_path: Path
    ) -> None:
        self._discord = discord
        self._env = env
        self._cwd = cwd
        self._log_path = log_path
        self._log: IO[bytes] | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 30.0) -> None:
        """Start the bot and wait until it has identified on the gateway (its setup_hook,
        with the resume of unfinished work, has run by then)."""
        identified = self._discord.identify_count
        self._log = self._log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            env=self._env,
            cwd=self._cwd,
            stdout=self._log,
            stderr=self._log,
        )
        self.starts += 1
        try:
            await self._discord.wait_for(
                lambda: (
                    self._discord.identify_count > identified
                    and self._discord.gateway.current is not None
                ),
                timeout=timeout,
            )
        except TimeoutError:
            if self.process.returncode is not None:
                raise RuntimeError(
                    f"the bot exited with {self.process.returncode}; see {self._log_path}"
                ) from None
            raise

    async def kill(self) -> None:
        """SIGKILL: no clean-up at all, like a power cut."""
        await self._end(signal.SIGKILL)

    async def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        return await self._end(signal.SIGTERM, timeout)

    async def _end(self, how: signal.Signals, timeout: float = 20.0) -> int:
        process = self.process
        if process is None:
            return 0
        if process.returncode is None:
            process.send_signal(how)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        self.process = None
        return process.returncode or 0

    def peak_rss_bytes(self) -> int:
        """VmHWM of the running process (its peak resident memory)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process itself (children such as ffmpeg excluded)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
