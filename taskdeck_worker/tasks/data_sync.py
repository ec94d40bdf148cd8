"""A simulated ERP data-sync workload.

Each task sleeps for a while as if copying a file from the file store into the
ERP database, and sometimes fails the way the real system does: the file store
times out, a row does not validate, or the database reports a deadlock (which
is retried with exponential backoff). The outcome of an attempt is drawn from a
generator seeded with the file id and the attempt number, so a given file
behaves the same way every time it is synced, and a retried deadlock can
succeed on a later attempt.
"""

from __future__ import annotations

import random
import time
from typing import Any

from taskdeck_worker.celery_app import RETRY_BACKOFF_MAX_S, app, settings

MAX_DEADLOCK_RETRIES = 3
FILE_STORE = "sftp://files.erp.internal/exports"
COLUMNS = ("customer_id", "amount", "currency", "posted_at", "cost_center")


class FileStoreTimeout(Exception):
    """The file store did not answer in time."""


class RowValidationError(Exception):
    """A row of the file does not fit the target table."""


class DatabaseDeadlock(Exception):
    """The ERP database chose this transaction as a deadlock victim."""


def _attempt_rng(file_id: str, attempt: int) -> random.Random:
    return random.Random(f"{file_id}:{attempt}")


def _sleep_for(rng: random.Random) -> float:
    """Simulated duration of one file: mostly short, sometimes slow."""
    seconds = rng.uniform(0.2, 1.5)
    if rng.random() < 0.05:
        seconds *= rng.uniform(5, 15)
    return seconds / settings.workload_speed


def _sync_one(file_id: str, attempt: int) -> int:
    """Copy one file; returns the number of rows written or raises like the real system."""
    rng = _attempt_rng(file_id, attempt)
    time.sleep(_sleep_for(rng))
    rows = rng.randint(50, 5000)
    if rng.random() < settings.workload_failure_rate:
        kind = rng.random()
        if kind < 0.4:
            raise FileStoreTimeout(f"timed out after 30s reading '{file_id}.csv' from {FILE_STORE}")
        if kind < 0.7:
            row = rng.randint(1, rows)
            column = rng.choice(COLUMNS)
            bad = rng.choice(["abc", "", "12/31/2025", "-", "NaN"])
            raise RowValidationError(
                f"row {row} of '{file_id}.csv': column '{column}' has {bad!r}, "
                "which does not fit the target type"
            )
        raise DatabaseDeadlock(
            f"deadlock detected while writing '{file_id}' to erp.sync_rows "
            f"(transaction {rng.randint(10**6, 10**7)} chosen as victim)"
        )
    return rows


# Both tasks: a deadlock is retried with exponential backoff, anything else fails the task.
SYNC_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "autoretry_for": (DatabaseDeadlock,),
    "retry_backoff": settings.workload_retry_backoff_s,
    "retry_backoff_max": RETRY_BACKOFF_MAX_S,
    "retry_jitter": False,
    "max_retries": MAX_DEADLOCK_RETRIES,
}


@app.task(name="data_sync.sync_single_file", **SYNC_TASK_OPTIONS)
def sync_single_file(self: Any, file_id: str, user_id: str) -> dict[str, Any]:
    """Sync one file of ``user_id`` into the ERP database."""
    rows = _sync_one(str(file_id), int(self.request.retries or 0))
    return {"file_id": file_id, "user_id": user_id, "rows": rows}


@app.task(name="data_sync.sync_batch", **SYNC_TASK_OPTIONS)
def sync_batch(self: Any, file_ids: list[str], user_id: str) -> dict[str, Any]:
    """Sync several files of ``user_id``; the first failing file fails the batch."""
    attempt = int(self.request.retries or 0)
    total = 0
    for file_id in file_ids:
        total += _sync_one(str(file_id), attempt)
    return {"files": len(file_ids), "user_id": user_id, "rows": total}
