"""The tasks a process runs for its generations: one per generation at a time, forgotten the
moment it ends (so the table never grows past the work in flight), plus the end-of-work tasks
started at a resume. Stopping one waits for it, so its stored state is final when it returns."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from bot.tasks import spawn

Work = Callable[[], Coroutine[Any, Any, Any]]


class GenerationTasks:
    """Owns the task of each generation this process drives (`_tasks`, by generation id) and
    the side tasks that end generations at a resume (`_side`)."""

    def __init__(self) -> None:
        self._tasks: dict[int, asyncio.Task[Any]] = {}
        self._side: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, generation_id: int, work: Work) -> asyncio.Task[Any]:
        """The generation's running task, or a new one running `work()` when it has none."""
        task = self._tasks.get(generation_id)
        if task is None or task.done():
            task = spawn(work(), name=f"generation-{generation_id}")
            self._tasks[generation_id] = task
            task.add_done_callback(functools.partial(self._forget, generation_id))
        return task

    def _forget(self, generation_id: int, task: asyncio.Task[Any]) -> None:
        if self._tasks.get(generation_id) is task:  # not a newer task (a Retry) in its place
            del self._tasks[generation_id]

    def side(self, coro: Coroutine[Any, Any, Any], *, name: str) -> None:
        """Run `coro` beside the generations' tasks, stopped with them at `close`."""
        task = spawn(coro, name=name)
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    def running(self, generation_id: int) -> bool:
        task = self._tasks.get(generation_id)
        return task is not None and not task.done()

    def held(self) -> set[int]:
        """The generations with a task not yet done."""
        return {gid for gid, task in self._tasks.items() if not task.done()}

    def drop(self, generation_id: int) -> None:
        """Cancel the generation's task without waiting for it."""
        task = self._tasks.get(generation_id)
        if task is not None and not task.done():
            task.cancel()

    async def stop(self, generation_id: int) -> None:
        """Cancel the generation's task and wait until it has ended."""
        task = self._tasks.get(generation_id)
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])

    async def finished(self, generation_id: int) -> None:
        """Wait, without cancelling it, until the generation's task has ended."""
        task = self._tasks.get(generation_id)
        if task is not None and not task.done():
            await asyncio.wait([task])

    async def close(self) -> None:
        """Cancel every task and wait until all have ended."""
        tasks = [t for t in (*self._tasks.values(), *self._side) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
