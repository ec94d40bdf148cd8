"""One queue's waiting messages (paged from the backend), and the actions on them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.services.backend_client import BackendClient, BackendError
from console.tasks import TaskOwner

PAGE_SIZE = 100


class QueueMessagesController(QObject):
    messages_changed = Signal(str, list, int, int)  # queue, messages, offset, total
    role_changed = Signal(str)  # viewer | support | admin | "" (unknown)
    action_done = Signal(str)
    action_failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, backend: BackendClient | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.queue: str | None = None
        self.offset = 0
        self.total = 0
        self.role = ""
        self._tasks = TaskOwner()

    async def aclose(self) -> None:
        """Loads and actions under way are cancelled and report nothing."""
        await self._tasks.aclose()

    def load_role(self) -> None:
        self._tasks.run(self._load_role())

    async def _load_role(self) -> None:
        if self.backend is None:
            return
        try:
            me = await self.backend.me()
        except BackendError as exc:
            self.role = ""
            self.action_failed.emit(exc.detail)
        else:
            self.role = me.role
        self.role_changed.emit(self.role)

    def show_queue(self, queue: str | None, offset: int = 0) -> None:
        self.queue, self.offset = queue, max(0, offset)
        self._tasks.run(self._load())

    def next_page(self) -> None:
        if self.offset + PAGE_SIZE < self.total:
            self.show_queue(self.queue, self.offset + PAGE_SIZE)

    def previous_page(self) -> None:
        self.show_queue(self.queue, self.offset - PAGE_SIZE)

    def reload(self) -> None:
        self.show_queue(self.queue, self.offset)

    async def _load(self) -> None:
        queue = self.queue
        if queue is None or self.backend is None:
            self.messages_changed.emit(queue or "", [], 0, 0)
            return
        try:
            page = await self.backend.queue_messages(queue, self.offset, PAGE_SIZE)
        except BackendError as exc:
            self.action_failed.emit(exc.detail)
            return
        if queue != self.queue:
            return  # the user moved on to another queue meanwhile
        self.total = page.total
        self.messages_changed.emit(queue, page.items, self.offset, self.total)

    def cancel(self, task_ids: list[str], reason: str) -> None:
        self._tasks.run(
            self._act(task_ids, lambda t: self._backend().cancel(t, reason), self.tr("cancelled"))
        )

    def set_priority(self, task_ids: list[str], priority: int, reason: str) -> None:
        self._tasks.run(
            self._act(
                task_ids,
                lambda t: self._backend().set_priority(t, priority, reason),
                self.tr("moved"),
            )
        )

    def _backend(self) -> BackendClient:
        assert self.backend is not None
        return self.backend

    async def _act(
        self, task_ids: list[str], call: Callable[[str], Awaitable[Any]], verb: str
    ) -> None:
        self.busy_changed.emit(True)
        done, failures = 0, []
        try:
            for task_id in task_ids:
                try:
                    await call(task_id)
                except BackendError as exc:
                    failures.append(f"{task_id[:8]}: {exc.detail}")
                else:
                    done += 1
        finally:
            self.busy_changed.emit(False)
        if done:
            self.action_done.emit(self.tr("{count} task(s) {verb}").format(count=done, verb=verb))
        if failures:
            self.action_failed.emit("\n".join(failures))
        await self._load()
