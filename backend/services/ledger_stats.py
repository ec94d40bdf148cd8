"""Counts over the task ledger for the console's figures: tasks finished in a recent window.

A task counts in the second its final outcome was recorded (``finished_at``):
SUCCESS as succeeded, FAILURE as failed; retries in between do not count.
An index on ``finished_at`` keeps the count proportional to the window, not
to the ledger (it is created on first use when an older ledger lacks it).
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, Integer, and_, cast, func, select

from backend.services.schema import tasks
from taskdeck_core.api_types import FinishedBucket, TaskStats


def finished_in_window(engine: Engine, window_s: float, now: float | None = None) -> TaskStats:
    """Succeeded and failed tasks with ``finished_at`` in ``(now - window_s, now]``, per second."""
    end = time.time() if now is None else now
    # Whole seconds (SQLite truncates, PostgreSQL rounds: a bucket may be off by half a
    # second there; the totals are the same).
    second = cast(tasks.c.finished_at, Integer)
    stmt = (
        select(second.label("second"), tasks.c.state, func.count().label("n"))
        .where(
            and_(
                tasks.c.finished_at > end - window_s,
                tasks.c.finished_at <= end,
                tasks.c.state.in_(("SUCCESS", "FAILURE")),
            )
        )
        .group_by(second, tasks.c.state)
    )
    per_second: dict[int, list[int]] = {}
    with engine.connect() as conn:
        for row in conn.execute(stmt):
            counts = per_second.setdefault(int(row.second), [0, 0])
            counts[0 if row.state == "SUCCESS" else 1] += int(row.n)
    buckets = [
        FinishedBucket(start=float(s), succeeded=c[0], failed=c[1])
        for s, c in sorted(per_second.items())
    ]
    return TaskStats(
        as_of=end,
        window_s=window_s,
        succeeded=sum(b.succeeded for b in buckets),
        failed=sum(b.failed for b in buckets),
        buckets=buckets,
    )
