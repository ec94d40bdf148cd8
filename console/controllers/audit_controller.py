"""The backend's audit log, newest first, a page at a time, filtered as the user asks.

A change of filters (or a refresh) loads the first page again; a load under way for
older filters is cancelled and its answer never shown. Further pages follow the
cursor of the last one, one load at a time.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.services.backend_client import BackendClient, BackendError
from console.tasks import TaskOwner

PAGE_SIZE = 100
FILTER_KEYS = ("user", "action", "since", "until", "task_id")


def given(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters that have a value (text without surrounding spaces); others ignored."""
    kept: dict[str, Any] = {}
    for key in FILTER_KEYS:
        value = filters.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value is not None and value != "":
            kept[key] = value
    return kept


class AuditController(QObject):
    entries_reset = Signal(list)  # list[AuditEntry]: the first page for the filters
    entries_added = Signal(list)  # list[AuditEntry]: a further page, older than those shown
    at_end = Signal(bool)  # True: no older entry matches
    failed = Signal(str)

    def __init__(
        self,
        backend: BackendClient | None,
        parent: QObject | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.page_size = page_size
        self.filters: dict[str, Any] = {}
        self._cursor: str | None = None
        self._end = False
        self._generation = 0  # one per reload: a load's answer counts only for its own
        self._load: asyncio.Task[Any] | None = None
        self._tasks = TaskOwner()

    async def aclose(self) -> None:
        """Loads under way are cancelled and report nothing."""
        await self._tasks.aclose()

    def set_filters(self, filters: dict[str, Any]) -> None:
        """Show the entries matching ``filters`` (user, action, since, until, task_id)."""
        self.filters = given(filters)
        self.refresh()

    def refresh(self) -> None:
        """Load the first page again (what a load under way would show is dropped)."""
        self._generation += 1
        self._cursor, self._end = None, False
        if self._load is not None and not self._load.done():
            self._load.cancel()
        self._load = self._tasks.run(self._fetch(self._generation, None, dict(self.filters)))

    def load_more(self) -> None:
        """The next (older) page; nothing at the end, or while a load is under way."""
        if self._end or self._cursor is None:
            return
        if self._load is not None and not self._load.done():
            return
        self._load = self._tasks.run(
            self._fetch(self._generation, self._cursor, dict(self.filters))
        )

    @property
    def loading(self) -> bool:
        return self._load is not None and not self._load.done()

    async def _fetch(self, generation: int, cursor: str | None, filters: dict[str, Any]) -> None:
        if self.backend is None:
            if cursor is None:
                self.entries_reset.emit([])
                self.at_end.emit(True)
            return
        try:
            page = await self.backend.audit(filters, self.page_size, cursor)
        except BackendError as exc:
            if generation == self._generation:
                self.failed.emit(self.failure_text(exc))
            return
        if generation != self._generation:
            return  # the filters changed meanwhile; their own load shows what they chose
        self._cursor = page.next_cursor
        self._end = page.next_cursor is None
        (self.entries_reset if cursor is None else self.entries_added).emit(page.items)
        self.at_end.emit(self._end)

    def failure_text(self, exc: BackendError) -> str:
        """Why the audit log could not be read, in a sentence."""
        if exc.status == 429:
            if exc.retry_after_s is None:
                return self.tr(
                    "The backend is turning requests away for now (too many); try again in a "
                    "moment."
                )
            return self.tr(
                "The backend is turning requests away for now (too many); try again in {n} s."
            ).format(n=max(1, math.ceil(exc.retry_after_s)))
        return self.tr("The audit log could not be read: {detail}").format(detail=exc.detail)
