"""The Tasks page's rows: the ledger's tasks newest first, fetched a page at a time as the
user scrolls, with a bounded cache, and live changes merged in place.

Pure logic, no Qt: the table model asks it for rows and which pages are missing; the
controller feeds it pages from the backend, Celery events and fresh copies of the top.

Geometry. Rows are the *head* (tasks that arrived after the first page was read,
newest first) followed by the pages of the query, each ``page_size`` rows but the last.
A page is fetched with the cursor the page before it handed out; the first page and the
head are kept (they are what new tasks are merged against), other pages are kept in a
least-recently-used cache of ``cached_pages`` and fetched again when scrolled back to.
So memory holds a bounded number of rows, plus one cursor per page seen.

Live changes. A Celery event for a row in memory changes that row (a running task turns
failed where it is); rows not in memory are read fresh when fetched again. A task newer
than any row joins the head (``merge_top``) unless the head is full: then it is only
counted (``newer_hidden``), and the page offers to show the newest.
"""

from __future__ import annotations

import ast
import collections
from typing import Any

from taskdeck_core.api_types import TaskSummary

PAGE_SIZE = 200
CACHED_PAGES = 24  # besides the first page and the head
HEAD_MAX = 5000
# A Celery event's type -> the state it means, and how far along the lifecycle that is.
EVENT_STATES = {
    "task-sent": "PENDING", "task-received": "RECEIVED", "task-started": "STARTED",
    "task-retried": "RETRY", "task-succeeded": "SUCCESS", "task-failed": "FAILURE",
    "task-revoked": "REVOKED", "task-rejected": "REJECTED",
}  # fmt: skip
STAGE = {"PENDING": 0, "RECEIVED": 1, "STARTED": 2, "RETRY": 2,
         "SUCCESS": 3, "FAILURE": 3, "REVOKED": 3, "REJECTED": 3}  # fmt: skip
HIDDEN_COUNTED = 100_000
HEAD = -1  # the page number of the head in ``_where``


def exception_parts(text: str | None) -> tuple[str | None, str | None]:
    """A Celery event's ``exception`` ("ValueError('bad file')") as (type, message)."""
    if not text:
        return None, None
    kind, sep, rest = text.partition("(")
    if not sep or not kind.replace(".", "").replace("_", "").isalnum():
        return None, text
    inner = rest[:-1] if rest.endswith(")") else rest
    try:
        value = ast.literal_eval(inner) if inner else ""
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return kind, inner
    if isinstance(value, tuple):
        value = ", ".join(str(v) for v in value)
    return kind, str(value)


def changed_by(row: TaskSummary, event: dict[str, Any]) -> TaskSummary | None:
    """``row`` as ``event`` leaves it, or None when the event changes nothing (or comes
    from earlier in the task's life than what the row already says)."""
    state = EVENT_STATES.get(str(event.get("type", "")))
    if state is None:
        return None
    if (row.state != "RETRY" and STAGE[state] < STAGE.get(row.state, 0)) or (
        STAGE[state] == STAGE[row.state] == 3 and state != row.state
    ):
        return None  # late or out of order: the row already knows more
    at = event.get("timestamp")
    at = float(at) if isinstance(at, (int, float)) else None
    update: dict[str, Any] = {"state": state}
    hostname = event.get("hostname")
    if isinstance(hostname, str) and hostname:
        update["hostname"] = hostname
    if state == "STARTED" and at is not None:
        update["started_at"] = at
    if STAGE[state] == 3 and at is not None:
        update["finished_at"] = at
    runtime = event.get("runtime")
    if isinstance(runtime, (int, float)):
        update["runtime"] = float(runtime)
    if state == "FAILURE":
        update["exc_type"], update["exc_message"] = exception_parts(event.get("exception"))
    retries = event.get("retries")
    if isinstance(retries, int):
        update["retries"] = retries
    if all(getattr(row, key) == value for key, value in update.items()):
        return None
    return row.model_copy(update=update)


class TaskPages:
    def __init__(
        self, page_size: int = PAGE_SIZE, cached_pages: int = CACHED_PAGES,
        head_max: int = HEAD_MAX,
    ) -> None:  # fmt: skip
        self.page_size = page_size
        self.cached_pages = cached_pages
        self.head_max = head_max
        self.reset()

    def reset(self) -> None:
        """No rows: a new query starts from its first page."""
        self._head: list[TaskSummary] = []  # oldest first: a new task is appended
        self._sizes: list[int] = []  # rows of each page read at least once
        self._cursors: list[str | None] = [None]  # the cursor that fetches page n
        self._cache: collections.OrderedDict[int, list[TaskSummary | None]] = (
            collections.OrderedDict()
        )
        self._where: dict[str, tuple[int, int]] = {}  # task id -> (page or HEAD, index)
        self.at_end = False
        self._hidden: set[str] = set()  # newer tasks not shown because the head is full
        # Tasks that match now but belong among rows already read (a task received long ago
        # that failed just now, under "ended in the last 5 min"): counted, not inserted.
        self._missed: set[str] = set()
        self._newest: float | None = None

    # -- geometry -----------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._head) + sum(self._sizes)

    @property
    def loaded_first_page(self) -> bool:
        return bool(self._sizes)

    @property
    def pages_cached(self) -> int:
        return len(self._cache)

    @property
    def next_page_number(self) -> int:
        return len(self._sizes)

    def next_page(self) -> tuple[int, str | None] | None:
        """The page to fetch to grow the table at the bottom, and its cursor; None at the end."""
        n = len(self._sizes)
        if self.at_end or n >= len(self._cursors):
            return None
        return n, self._cursors[n]

    def cursor_for(self, page: int) -> str | None:
        """The cursor that fetches ``page`` (None for the first)."""
        return self._cursors[page] if page < len(self._cursors) else None

    @property
    def rows_in_head(self) -> int:
        return len(self._head)

    def page_of(self, row: int) -> int:
        """The page ``row`` is on (HEAD for the head)."""
        return self._locate(row)[0]

    def cached(self, page: int) -> bool:
        return page in self._cache

    def _locate(self, row: int) -> tuple[int, int]:
        heads = len(self._head)
        if row < heads:
            return HEAD, heads - 1 - row
        rest = row - heads
        return rest // self.page_size, rest % self.page_size

    def _row_of(self, page: int, index: int) -> int:
        if page == HEAD:
            return len(self._head) - 1 - index
        return len(self._head) + page * self.page_size + index

    def row(self, row: int) -> TaskSummary | None:
        """The task on ``row``; None while its page is not in memory (or the row has gone)."""
        if row < 0 or row >= self.row_count:
            return None
        page, index = self._locate(row)
        if page == HEAD:
            return self._head[index]
        rows = self._cache.get(page)
        return rows[index] if rows is not None and index < len(rows) else None

    def row_of(self, task_id: str) -> int | None:
        where = self._where.get(task_id)
        return None if where is None else self._row_of(*where)

    def missing_pages(self, first: int, last: int) -> list[int]:
        """Pages of rows ``first``..``last`` (on screen) not in memory; those in memory are
        marked as just used, so the cache keeps them."""
        if self.row_count == 0:
            return []
        first, last = max(0, first), min(last, self.row_count - 1)
        pages = {self._locate(r)[0] for r in (first, last)}
        if pages:
            low, high = min(pages), max(pages)
            pages = set(range(max(low, 0), high + 1))
        pages.discard(HEAD)
        missing = []
        for page in sorted(pages):
            if page in self._cache:
                self._cache.move_to_end(page)
            else:
                missing.append(page)
        return missing

    # -- pages from the backend -------------------------------------------------------

    def put_page(
        self, page: int, items: list[TaskSummary], next_cursor: str | None
    ) -> tuple[str, int, int] | None:
        """A page the backend answered. Returns what changed: ("inserted", first, last)
        for rows new at the bottom, ("changed", first, last) for a page read again, or None
        when the page does not fit what is known (a stale answer)."""
        if page > len(self._sizes) or page >= len(self._cursors):
            return None
        if page == len(self._sizes):  # the table grows
            rows: list[TaskSummary | None] = list(self.fresh_rows(items))
            self._sizes.append(len(rows))
            if next_cursor is None or not items:
                self.at_end = True
            elif len(self._cursors) == page + 1:
                self._cursors.append(next_cursor)
            self._store(page, rows)
            if page == 0 and rows:
                self._newest = max(r.created_at for r in rows if r is not None)
            first = self._row_of(page, 0)
            return ("inserted", first, first + len(rows) - 1) if rows else None
        size = self._sizes[page]
        fresh: list[TaskSummary | None] = list(items[:size])
        fresh += [None] * (size - len(fresh))  # rows gone from the ledger meanwhile
        self._drop(page)
        self._store(page, fresh)
        first = self._row_of(page, 0)
        return ("changed", first, first + size - 1) if size else None

    def _store(self, page: int, rows: list[TaskSummary | None]) -> None:
        self._cache[page] = rows
        self._cache.move_to_end(page)
        for index, item in enumerate(rows):
            if item is not None:
                self._where[item.task_id] = (page, index)
        while len(self._cache) > self.cached_pages + 1:
            oldest = next((p for p in self._cache if p != 0), None)
            if oldest is None:
                break
            self._drop(oldest)

    def _drop(self, page: int) -> None:
        for item in self._cache.pop(page, []):
            if item is not None and self._where.get(item.task_id, (None,))[0] == page:
                del self._where[item.task_id]

    # -- live changes -------------------------------------------------------------------

    def replace(self, item: TaskSummary) -> int | None:
        """A fresher copy of a row in memory; its row number, or None if it is not in memory
        or nothing changed."""
        where = self._where.get(item.task_id)
        if where is None:
            return None
        page, index = where
        rows = self._head if page == HEAD else self._cache.get(page)
        if rows is None or rows[index] == item:
            return None
        rows[index] = item
        return self._row_of(page, index)

    def apply_event(self, event: dict[str, Any]) -> int | None:
        """A Celery event; the row it changed, or None (not in memory, or no change)."""
        task_id = event.get("uuid")
        where = self._where.get(task_id) if isinstance(task_id, str) else None
        if where is None:
            return None
        page, index = where
        rows = self._head if page == HEAD else self._cache.get(page)
        current = rows[index] if rows is not None else None
        if current is None or rows is None:
            return None
        changed = changed_by(current, event)
        if changed is None:
            return None
        rows[index] = changed
        return self._row_of(page, index)

    @property
    def missed(self) -> int:
        """Tasks that match now among rows already read (a fresh read shows them)."""
        return len(self._missed)

    @property
    def newer_hidden(self) -> int:
        """Newer tasks seen but not shown because the head is full (counted up to
        ``HIDDEN_COUNTED``)."""
        return len(self._hidden)

    def knows(self, task_id: str) -> bool:
        return task_id in self._where

    def merge_top(self, items: list[TaskSummary]) -> tuple[list[TaskSummary], list[int]]:
        """The query's newest tasks as the backend has them now (newest first): rows in
        memory take the fresh copy (their row numbers are returned), and the tasks newer
        than every row are returned, newest first, for ``insert_head`` (as many as the
        head has room for; the rest are counted in ``newer_hidden``)."""
        if not self._sizes:
            return [], []
        new: list[TaskSummary] = []
        rows: list[int] = []
        for item in items:
            if item.task_id in self._where:
                row = self.replace(item)
                if row is not None:
                    rows.append(row)
            elif self._newest is None or item.created_at >= self._newest:
                new.append(item)
            elif len(self._missed) < HIDDEN_COUNTED:
                self._missed.add(item.task_id)
        room = max(self.head_max - len(self._head), 0)
        if room < len(new):  # the oldest of them join the head, so no gap opens
            if len(self._hidden) < HIDDEN_COUNTED:
                self._hidden.update(i.task_id for i in new[: len(new) - room])
            new = new[len(new) - room :] if room else []
        return new, rows

    def insert_head(self, new: list[TaskSummary]) -> None:
        """Tasks from ``merge_top`` (newest first) become the top rows."""
        for item in reversed(new):  # oldest first
            if item.task_id in self._where:
                continue
            self._where[item.task_id] = (HEAD, len(self._head))
            self._head.append(item)
            self._newest = max(self._newest or 0.0, item.created_at)

    def fresh_rows(self, items: list[TaskSummary]) -> list[TaskSummary]:
        """Of a new page's items, those not already shown (a task seen in the head)."""
        return [i for i in items if i.task_id not in self._where]

    def rows_in_memory(self) -> int:
        return len(self._head) + sum(len(rows) for rows in self._cache.values())
