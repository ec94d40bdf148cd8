"""The pieces of actions and bulk jobs that carry logic without a broker."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from backend.services.action_steps import (
    ALREADY_FINISHED,
    MOVED,
    NOT_FOUND,
    NOT_QUEUED,
    NOT_RETRYABLE,
    REMOVED,
    RETRIED,
    REVOKE_BROADCAST,
    REVOKED,
    TERMINATED,
    cancel_outcome,
    in_queues,
    move_outcome,
    not_retryable,
    retry_outcome,
)
from backend.services.batching import chunks
from backend.services.bulk import BulkRequest, selection
from backend.services.ledger import Ledger
from backend.services.ledger_merge import COLUMNS
from backend.services.ledger_rows import SUMMARY_COLUMNS, TaskFilter, TaskRecord, TaskSummary
from taskdeck_core import lifecycle as lc


def test_chunks_cover_the_list_in_order() -> None:
    assert [list(c) for c in chunks([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5]]
    assert list(chunks([], 3)) == []
    with pytest.raises(ValueError, match="at least 1"):
        list(chunks([1], 0))


class FakeBroker:
    """Queues holding task ids: ``act`` takes the ids it holds and says where they were."""

    def __init__(self, held: dict[str, set[str]]) -> None:
        self.held = held
        self.calls: list[tuple[str, list[str]]] = []

    def act(self, queue: str, ids: list[str]) -> dict[str, str]:
        self.calls.append((queue, ids))
        found = {i: f"{queue}:5" for i in ids if i in self.held.get(queue, set())}
        self.held[queue] -= set(found)
        return found


def test_in_queues_asks_each_queue_in_chunks_and_stops_asking_for_what_it_found() -> None:
    broker = FakeBroker({"a": {"t1", "t2"}, "b": {"t3"}})
    everywhere = ["a", "b"]
    found = in_queues(["t1", "t2", "t3", "t4"], lambda _i: everywhere, broker.act, chunk=3)
    assert found == {"t1": "a:5", "t2": "a:5", "t3": "b:5"}
    # Queue a in chunks of three; queue b is not asked for t1 and t2, found in a.
    assert broker.calls == [("a", ["t1", "t2", "t3"]), ("a", ["t4"]), ("b", ["t3", "t4"])]


def test_in_queues_asks_only_the_queues_of_each_task() -> None:
    broker = FakeBroker({"a": {"t1"}, "b": {"t2"}})
    known = {"t1": ["a"], "t2": ["b"]}
    assert in_queues(["t1", "t2"], known.__getitem__, broker.act) == {"t1": "a:5", "t2": "b:5"}
    assert broker.calls == [("a", ["t1"]), ("b", ["t2"])]


def test_a_bulk_request_digest_is_the_one_stored_jobs_were_made_with() -> None:
    by_filter = BulkRequest(
        action="retry", reason="file store back", idempotency_key="k-1",
        filter=TaskFilter(signature="abc123", user="alice", since=100.0),
    )  # fmt: skip
    by_ids = BulkRequest(
        action="priority", reason="VIP", idempotency_key="k-2", task_ids=["t1", "t2"],
        priority=9, dry_run=True,
    )  # fmt: skip
    # Values of the earlier implementation: a job created before keeps its idempotency key.
    assert by_filter.digest() == "7fdb6eceac7ad2aef90bc467b719fd5d58f19a0a4396e1373f4ebd46486b724b"
    assert by_ids.digest() == "9740afc68688cb74d985161214cc3830926fb91f25e1557b56f083f0db61acff"
    other = BulkRequest(action="retry", reason="x", idempotency_key="k-1", filter=TaskFilter())
    assert other.digest() != by_filter.digest()
    assert selection(by_filter.filter)["failure_group"] == "abc123"


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")


def test_a_record_has_every_column_and_a_summary_the_listed_ones() -> None:
    assert sorted(f.name for f in fields(TaskRecord)) == sorted(COLUMNS)
    assert tuple(f.name for f in fields(TaskSummary)) == SUMMARY_COLUMNS


def test_rows_are_typed_records_and_say_what_can_be_retried(ledger: Ledger) -> None:
    ledger.apply([
        lc.LifecycleRecord(lc.PUBLISHED, "done", 1.0,
                           {"name": "sync", "args": ["f"], "user": "al", "queue": "q"}),
        lc.LifecycleRecord(lc.FAILED, "done", 2.0, {"exc_type": "E", "exc_message": "boom"}),
        lc.LifecycleRecord(lc.PUBLISHED, "nowhere", 1.0, {"name": "sync", "args": ["f"]}),
        lc.LifecycleRecord(lc.FAILED, "nowhere", 2.0, {}),
        lc.LifecycleRecord(lc.PUBLISHED, "waiting", 1.5, {"name": "sync", "args": []}),
        lc.LifecycleRecord(lc.FAILED, "bare", 2.0, {}),  # seen only through Celery events
    ])  # fmt: skip
    rows = ledger.rows(["done", "waiting", "bare", "nowhere", "missing"])
    assert set(rows) == {"done", "waiting", "bare", "nowhere"}
    done = rows["done"]
    assert isinstance(done, TaskRecord)
    assert (done.state, done.user, done.args, done.exc_message) == (
        lc.FAILURE,
        "al",
        '["f"]',
        "boom",
    )
    assert not_retryable(done) is None
    assert "only a finished task" in (not_retryable(rows["waiting"]) or "")
    assert "result_extended=True" in (not_retryable(rows["bare"]) or "")
    assert "no recorded queue" in (not_retryable(rows["nowhere"]) or "")


def test_mark_records_a_state_the_workers_cannot_report(ledger: Ledger) -> None:
    ledger.apply([lc.LifecycleRecord(lc.PUBLISHED, "t1", 1.0, {"name": "sync", "args": []})])
    ledger.mark("t1", lc.STATE_REVOKED, 5.0, lc.REVOKED)
    task = ledger.get("t1")
    assert task is not None and task.state == lc.STATE_REVOKED
    assert [(h.event, h.at) for h in task.history] == [(lc.PUBLISHED, 1.0), (lc.REVOKED, 5.0)]


def test_each_outcome_is_decided_from_the_ledger_row_and_the_broker(ledger: Ledger) -> None:
    ledger.apply([
        lc.LifecycleRecord(lc.PUBLISHED, "done", 1.0, {"name": "sync", "args": ["f"], "queue": "q"}),
        lc.LifecycleRecord(lc.SUCCEEDED, "done", 2.0, {}),
        lc.LifecycleRecord(lc.PUBLISHED, "running", 1.0, {"name": "sync", "args": ["f"]}),
        lc.LifecycleRecord(lc.STARTED, "running", 2.0, {"hostname": "w1"}),
        lc.LifecycleRecord(lc.PUBLISHED, "held", 1.0, {"name": "sync", "args": ["f"]}),
        lc.LifecycleRecord(lc.RECEIVED, "held", 2.0, {"hostname": "w1"}),
    ])  # fmt: skip
    rows = ledger.rows(["done", "running", "held"])

    def cancel(task_id: str, waiting_in: str | None = None) -> str:
        return cancel_outcome(task_id, rows.get(task_id), waiting_in).outcome

    assert [cancel("done", "q:5"), cancel("held", "q:5"), cancel("nope", "q:5")] == [
        ALREADY_FINISHED, REMOVED, REMOVED,
    ]  # fmt: skip
    assert [cancel("running"), cancel("held"), cancel("nope")] == [TERMINATED, REVOKED, NOT_FOUND]
    # Without the plug-in on the workers, a held task can only be revoked by broadcast.
    plain = cancel_outcome("held", rows["held"], None, durable=False)
    assert plain.outcome == REVOKE_BROADCAST and "worker restart" in (plain.detail or "")
    assert [move_outcome(i, rows.get(i), i == "held", 9).outcome for i in ("held", "done", "nope")] == [
        MOVED, NOT_QUEUED, NOT_FOUND,
    ]  # fmt: skip
    assert [retry_outcome(i, rows.get(i)).outcome for i in ("done", "running", "nope")] == [
        RETRIED, NOT_RETRYABLE, NOT_FOUND,
    ]  # fmt: skip


def test_a_success_whose_result_was_not_stored_is_not_retried(ledger: Ledger) -> None:
    ledger.apply([
        lc.LifecycleRecord(lc.PUBLISHED, "t1", 1.0, {"name": "sync", "args": [1], "queue": "q"}),
        lc.LifecycleRecord(lc.SUCCEEDED, "t1", 2.0, {"result_stored": False,
                                                     "result_error": "ConnectionError: down"}),
    ])  # fmt: skip
    why = not_retryable(ledger.rows(["t1"])["t1"])
    assert why is not None and "run the work a second time" in why and "ConnectionError" in why
