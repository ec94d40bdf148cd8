"""One way to run a coroutine from a signal or a timer: a TaskOwner per controller or window part.

Each owner keeps the tasks it started and cancels them when it closes, so work
that was under way when an environment is closed (a profile switch, the window
closing) ends there: its late answers never reach the next environment. A task
cancelled that way ends quietly; any other error goes to ``sys.excepthook``,
which logs it and shows it (as qasync's ``asyncSlot`` does). No Qt here.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine, Hashable
from typing import Any

CLOSE_TIMEOUT_S = 5.0


class TaskOwner:
    """The tasks one owner started; ``close``/``aclose`` cancel those still running."""

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[Any], Hashable | None] = {}
        self.closed = False

    def run(
        self, coro: Coroutine[Any, Any, Any], key: Hashable | None = None
    ) -> asyncio.Task[Any] | None:
        """Start ``coro`` on the event loop; nothing once closed, or while a task with the
        same ``key`` (one refresh, one probe of one service) is still running."""
        if self.closed or (key is not None and key in self._tasks.values()):
            coro.close()
            return None
        task = asyncio.ensure_future(coro)
        self._tasks[task] = key
        task.add_done_callback(self._finished)
        return task

    def running(self, key: Hashable) -> bool:
        return key in self._tasks.values()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.pop(task, None)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def close(self) -> None:
        """Cancel every running task; start no more."""
        self.closed = True
        for task in list(self._tasks):
            task.cancel()

    async def aclose(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """``close``, then wait (at most ``timeout_s``) until the cancelled tasks have ended."""
        self.close()
        tasks = list(self._tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)
