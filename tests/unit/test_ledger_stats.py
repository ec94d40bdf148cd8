"""The ledger's counts of finished tasks in a window, per second, for the console's tiles."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from backend.services.ledger import Ledger
from backend.services.ledger_stats import finished_in_window
from backend.services.schema import tasks
from taskdeck_core import lifecycle as lc


def record(kind: str, task_id: str, at: float) -> lc.LifecycleRecord:
    return lc.LifecycleRecord(kind, task_id, at, {"name": "sync", "args": []})


def test_finished_tasks_are_counted_in_the_second_they_finished(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    try:
        ledger.apply([
            record(lc.PUBLISHED, "old", 100.0), record(lc.FAILED, "old", 600.0),  # created long before
            record(lc.PUBLISHED, "a", 900.0), record(lc.SUCCEEDED, "a", 950.2),
            record(lc.PUBLISHED, "b", 900.0), record(lc.FAILED, "b", 950.7),
            record(lc.PUBLISHED, "c", 900.0), record(lc.SUCCEEDED, "c", 990.0),
            record(lc.PUBLISHED, "early", 100.0), record(lc.FAILED, "early", 200.0),  # outside
            record(lc.PUBLISHED, "late", 900.0), record(lc.FAILED, "late", 1001.0),  # after now
            record(lc.PUBLISHED, "running", 900.0), record(lc.STARTED, "running", 901.0),
            record(lc.PUBLISHED, "retrying", 900.0), record(lc.RETRIED, "retrying", 950.0),
        ])  # fmt: skip
        stats = finished_in_window(ledger.engine, 500.0, now=1000.0)
        assert (stats.as_of, stats.window_s, stats.failed, stats.succeeded) == (1000.0, 500.0, 2, 2)
        assert [(b.start, b.succeeded, b.failed) for b in stats.buckets] == [
            (600.0, 0, 1), (950.0, 1, 1), (990.0, 1, 0)]  # fmt: skip
        names = {i["name"] for i in inspect(ledger.engine).get_indexes("tasks")}
        assert "ix_tasks_finished" in names  # the count reads an index, not the whole ledger
        # Counting declared no second index of that name on the shared table, which made
        # every later ledger in the process fail to create its tables ("already exists").
        assert [str(i.name) for i in tasks.indexes].count("ix_tasks_finished") == 1
    finally:
        ledger.close()
