"""Two backends applying records of the same tasks at once to one PostgreSQL ledger (two
backends reading one lifecycle stream each get some of a task's records): no update of
one is undone by the other."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.services.ledger import Ledger
from taskdeck_core import lifecycle as lc
from taskdeck_dev.stack import Server, running_postgres

TASKS = 400
ROUNDS = 4


@pytest.fixture(scope="module")
def postgres(stack_dir: Path) -> Iterator[Server]:
    """This module's server has the lock table of a modest one (20 connections × 64 locks),
    which a lock per task overflows."""
    settings = {"max_connections": "20", "max_locks_per_transaction": "64"}
    with running_postgres(stack_dir, settings=settings) as server:
        yield server


def record(kind: str, task_id: str, ts: float, **data: object) -> lc.LifecycleRecord:
    return lc.LifecycleRecord(kind, task_id, ts, dict(data))


def test_records_of_one_task_applied_by_two_backends_at_once_all_count(
    postgres_url: str,
) -> None:
    first, second = Ledger(postgres_url), Ledger(postgres_url)
    try:
        for round_ in range(ROUNDS):
            ids = [f"r{round_}-t{n}" for n in range(TASKS)]
            now = time.time()
            # One backend gets each task's publish and receipt, the other its start and end.
            early = [r for t in ids for r in (
                record(lc.PUBLISHED, t, now, name="data_sync.sync_single_file", queue="data_sync",
                       args=["f", "u"], kwargs={}, user="u"),
                record(lc.RECEIVED, t, now + 0.1, hostname="w1@h"),
            )]  # fmt: skip
            late = [r for t in ids for r in (
                record(lc.STARTED, t, now + 0.2, hostname="w1@h", pid=1),
                record(lc.SUCCEEDED, t, now + 0.3, runtime=0.1, result=None),
            )]  # fmt: skip
            gate = threading.Barrier(2)

            def apply(
                ledger: Ledger, records: list[lc.LifecycleRecord], gate: threading.Barrier
            ) -> None:
                gate.wait()
                for start in range(0, len(records), 20):  # small batches, as under load
                    ledger.apply(records[start : start + 20])

            threads = [threading.Thread(target=apply, args=(first, early, gate)),
                       threading.Thread(target=apply, args=(second, late, gate))]  # fmt: skip
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            rows = first.rows(ids)
            wrong = {t: (r.state, r.name) for t, r in rows.items()
                     if r.state != "SUCCESS" or r.name != "data_sync.sync_single_file"}  # fmt: skip
            assert len(rows) == TASKS and not wrong, f"round {round_}: {len(wrong)} undone: {wrong}"
    finally:
        first.close()
        second.close()


def test_a_move_of_many_tasks_holds_a_bounded_number_of_locks(postgres_url: str) -> None:
    """A lock per task would overflow the server's shared lock table (64 per connection by
    default) on a move of thousands: "out of shared memory"."""
    ledger = Ledger(postgres_url)
    try:
        ids = [f"moved-{n}" for n in range(20_000)]
        ledger.moved(ids, 3, time.time())
        rows = ledger.rows(ids[:10] + ids[-10:])
        assert len(rows) == 20 and all(r.priority == 3 for r in rows.values())
    finally:
        ledger.close()
