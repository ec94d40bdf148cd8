"""Bulk jobs in the ledger's database: items in order, outcomes, and resuming after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from backend.services.ledger import Ledger
from backend.services.ledger_jobs import BulkJob, BulkJobStore, ItemError, ItemResult


@pytest.fixture
def store(tmp_path: Path) -> BulkJobStore:
    return Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}").jobs


def job(job_id: str = "j1", key: str = "key-1", total: int = 3) -> BulkJob:
    return BulkJob(
        job_id=job_id, idempotency_key=key, request_hash="h", action="retry", priority=7,
        user="sam", audit_id=42, state="queued", total=total, done=0, failed=0,
        created_at=10.0, updated_at=10.0,
    )  # fmt: skip


def create(store: BulkJobStore, made: BulkJob, task_ids: list[str]) -> None:
    with store.engine.begin() as conn:
        store.create(conn, made, task_ids)


def test_a_job_is_found_by_id_and_by_key_with_its_priority(store: BulkJobStore) -> None:
    create(store, job(), ["a", "b", "c"])
    assert store.get("j1") == job()
    assert store.by_key("key-1") == job()
    assert store.get("nope") is None and store.by_key("nope") is None
    assert store.unfinished() == ["j1"]


def test_items_are_worked_through_in_order_and_counted(store: BulkJobStore) -> None:
    create(store, job(total=5), ["a", "b", "c", "d", "e"])
    first = store.pending("j1", 2)
    assert [(i.seq, i.task_id) for i in first] == [(0, "a"), (1, "b")]
    store.record("j1", [
        ItemResult(0, "retried", new_task_id="a2"),
        ItemResult(1, "not_found", error="no such task in the ledger", failed=True),
    ])  # fmt: skip
    assert [i.task_id for i in store.pending("j1", 10)] == ["c", "d", "e"]
    status = store.status("j1")
    assert status is not None
    assert (status.total, status.done, status.failed) == (5, 1, 1)
    assert status.outcomes == {"pending": 3, "retried": 1, "not_found": 1}
    assert status.errors == [ItemError("b", "not_found", "no such task in the ledger")]


def test_retries_caught_publishing_by_a_restart_are_found_again(store: BulkJobStore) -> None:
    create(store, job(), ["a", "b", "c"])
    store.start_publishing("j1", {0: "a2", 1: "b2"})
    caught = store.publishing("j1")
    assert [(c.seq, c.task_id, c.new_task_id) for c in caught] == [(0, "a", "a2"), (1, "b", "b2")]
    # Items being published are not pending: a resumed job sends them at most once.
    assert [i.task_id for i in store.pending("j1", 10)] == ["c"]


def test_state_changes_return_the_job_as_it_was(store: BulkJobStore) -> None:
    create(store, job(), ["a"])
    before = store.set_state("j1", "running")
    assert before is not None and before.state == "queued"
    assert store.unfinished() == ["j1"]
    store.set_state("j1", "done")
    assert store.unfinished() == []
    assert store.set_state("nope", "failed") is None


def test_a_second_job_with_the_same_key_is_refused_and_leaves_nothing(store: BulkJobStore) -> None:
    create(store, job(), ["a"])
    with pytest.raises(IntegrityError):
        create(store, job(job_id="j2"), ["b", "c"])
    assert store.get("j2") is None and store.by_key("key-1") == job()
    assert store.pending("j2", 10) == []
