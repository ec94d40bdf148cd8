"""What the task ledger hands out: typed rows, and the filter that selects them.

``TaskRecord`` is a whole row as stored (JSON columns still text), for the
services that act on tasks; ``TaskSummary`` and ``TaskDetail`` are a task as
the API shows it in a list and on its own; ``FailureGroup`` is one signature's
failures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True)
class TaskFilter:
    state: str | None = None
    name: str | None = None
    user: str | None = None
    queue: str | None = None
    q: str | None = None
    since: float | None = None  # created at or after
    until: float | None = None  # created before
    finished_since: float | None = None  # ended at or after
    finished_until: float | None = None  # ended before
    signature: str | None = None
    lost: bool | None = None  # True: only tasks marked lost; False: none of them
    retried: bool | None = None  # True: only tasks retried already (a retry names them)


# The columns a task list reads: the summary's fields.
SUMMARY_COLUMNS = (
    "task_id", "name", "state", "queue", "priority", "user", "hostname", "created_at", "started_at",
    "finished_at", "runtime", "retries", "exc_type", "exc_message", "retry_of", "lost_at",
    "lost_reason", "redelivery_at", "redelivery_reason", "result_stored", "result_error",
)  # fmt: skip


@dataclass(frozen=True)
class TaskSummary:
    """A task in a list."""

    task_id: str
    name: str | None
    state: str
    queue: str | None
    priority: int | None
    user: str | None
    hostname: str | None  # the worker that ran it (last)
    created_at: float
    started_at: float | None
    finished_at: float | None
    runtime: float | None
    retries: int
    exc_type: str | None
    exc_message: str | None
    retry_of: str | None
    lost_at: float | None  # when the broker was found to have lost it (see schema)
    lost_reason: str | None
    redelivery_at: float | None  # when kombu delivers it again: its worker is gone (see schema)
    redelivery_reason: str | None
    result_stored: bool | None  # False: the work succeeded, storing its result failed
    result_error: str | None

    @classmethod
    def of(cls, row: Any) -> TaskSummary:
        """From a database row holding at least ``SUMMARY_COLUMNS``."""
        return cls(*(getattr(row, c) for c in SUMMARY_COLUMNS))


@dataclass(frozen=True)
class TaskRecord(TaskSummary):
    """One whole row of the ``tasks`` table, as stored: the summary's columns and the rest."""

    tier: str | None
    args: str | None  # JSON, whole
    kwargs: str | None  # JSON, whole
    options: str | None  # JSON
    published_at: float | None
    received_at: float | None
    state_ts: float
    traceback: str | None
    result: str | None  # JSON
    signature: str | None
    history: str  # JSON [[type, ts], ...]
    worker_pid: int | None


@dataclass(frozen=True)
class HistoryEntry:
    event: str  # a lifecycle record type
    at: float


@dataclass(frozen=True)
class RetryRef:
    """A task that re-sends another one (a TaskDeck retry)."""

    task_id: str
    state: str
    created_at: float


@dataclass(frozen=True)
class TaskDetail(TaskSummary):
    """A task on its own: the summary, its envelope, outcome, history and retries."""

    tier: str | None
    args: Any  # decoded JSON, None when not recorded
    kwargs: Any
    options: dict[str, Any]
    published_at: float | None
    received_at: float | None
    traceback: str | None
    result: Any
    signature: str | None
    history: list[HistoryEntry]
    retried_as: list[RetryRef]
    worker_pid: int | None

    @classmethod
    def of_row(cls, row: Any, retried_as: list[RetryRef]) -> TaskDetail:
        """From a whole database row of the ``tasks`` table."""
        return cls(
            **{c: getattr(row, c) for c in SUMMARY_COLUMNS},
            tier=row.tier,
            args=json.loads(row.args) if row.args else None,
            kwargs=json.loads(row.kwargs) if row.kwargs else None,
            options=json.loads(row.options) if row.options else {},
            published_at=row.published_at,
            received_at=row.received_at,
            traceback=row.traceback,
            result=json.loads(row.result) if row.result else None,
            signature=row.signature,
            history=[HistoryEntry(kind, ts) for kind, ts in json.loads(row.history or "[]")],
            retried_as=retried_as,
            worker_pid=row.worker_pid,
        )


class HeldTask(NamedTuple):
    """A task the ledger holds as taken by a worker (RECEIVED or STARTED), not flagged."""

    task_id: str
    user: str | None
    state: str
    queue: str | None
    hostname: str | None
    worker_pid: int | None
    taken_at: float  # its latest record from that worker


class OpenTask(NamedTuple):
    """A task the ledger holds as queued or running, as quota reconciliation needs it."""

    task_id: str
    user: str  # "" when unknown
    state: str
    hostname: str | None


class TaskLabels(NamedTuple):
    """A task's metric labels ("" when unknown)."""

    name: str
    queue: str
    hostname: str


@dataclass(frozen=True)
class FailureGroup:
    """Failures that share a signature (task, exception type, normalised message, frame)."""

    signature: str
    name: str | None
    exc_type: str | None
    message: str  # normalised
    top_frame: str
    count: int
    first_seen: float
    last_seen: float
    affected_users: int
    users: list[str]  # up to 20
    sample_ids: list[str]  # the newest five
    sample_message: str | None
    series: list[int] = field(default_factory=list)  # failures per equal part of the window
