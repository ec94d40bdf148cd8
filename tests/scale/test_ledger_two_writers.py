"""Two backends applying records of the same tasks at once to one PostgreSQL ledger (two
backends reading one lifecycle stream each get some of a task's records): no update of
one is undone by the other."""

from __future__ import annotations

import threading
import time

from backend.services.ledger import Ledger
from taskdeck_core import lifecycle as lc

TASKS = 400
ROUNDS = 4


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
