"""The ledger's tests (tests/unit/test_ledger.py, test_bulk_store.py, test_ledger_stats.py)
run again on a real PostgreSQL: apply and merge, lists with filters and cursor pages,
search, failure groups, lost and redelivered tasks, bulk jobs. The tests are the same
functions; only the ``ledger`` and ``store`` they are given differ."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, insert

from backend.services.ledger import Ledger, TaskFilter
from backend.services.ledger_jobs import BulkJobStore
from backend.services.schema import tasks
from taskdeck_core import lifecycle as lc
from tests.unit.test_bulk_store import (  # noqa: F401
    test_a_job_is_found_by_id_and_by_key_with_its_priority,
    test_a_second_job_with_the_same_key_is_refused_and_leaves_nothing,
    test_items_are_worked_through_in_order_and_counted,
    test_retries_caught_publishing_by_a_restart_are_found_again,
    test_state_changes_return_the_job_as_it_was,
)
from tests.unit.test_ledger import (  # noqa: F401
    rec,
    test_a_late_record_does_not_undo_a_final_state,
    test_a_move_is_recorded_and_a_late_publish_does_not_undo_it,
    test_a_started_task_of_a_dead_worker_without_acks_late_can_be_marked_lost,
    test_a_task_goes_through_its_states,
    test_a_task_of_a_dead_worker_process_awaits_redelivery_until_received_again,
    test_a_task_the_broker_lost_is_marked_not_open_and_a_later_record_clears_it,
    test_applying_the_same_batch_twice_keeps_one_task,
    test_celery_retry_then_success,
    test_failures_group_by_normalised_message_and_frame,
    test_list_is_newest_first_with_keyset_pages_and_filters,
    test_purge_removes_only_old_tasks,
    test_search_finds_a_task_by_what_the_customer_calls_its_argument,
    test_search_finds_id_name_and_words_of_the_error,
    test_work_that_succeeded_without_its_result_stored_stays_a_success,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def ledger(postgres_url: str) -> Iterator[Ledger]:
    opened = Ledger(postgres_url)
    assert opened.dialect == "postgresql"
    yield opened
    opened.close()


@pytest.fixture
def store(ledger: Ledger) -> BulkJobStore:
    return ledger.jobs


def test_search_uses_postgresql_full_text_indexes_for_error_words_and_arguments(
    ledger: Ledger,
) -> None:
    ledger.apply([
        rec(lc.PUBLISHED, "upload", 1.0, name="sync", args=["INV-00981", "alice"], kwargs={}),
        rec(lc.FAILED, "upload", 2.0, exc_type="ConnectionError",
            exc_message="Connection reset by peer while uploading ledger.csv"),
        rec(lc.PUBLISHED, "other", 3.0, name="sync", args=["INV-10981", "bob"], kwargs={}),
        rec(lc.FAILED, "other", 4.0, exc_type="ValueError", exc_message="peer unknown, reset"),
    ])  # fmt: skip
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "tasks_search" in statement:
            statements.append((statement, parameters))

    event.listen(ledger.engine, "before_cursor_execute", seen)
    try:

        def ids(q: str) -> list[str]:
            return [t.task_id for t in ledger.list_tasks(TaskFilter(q=q))[0]]

        assert ids("reset by pe") == ["upload"]  # words in order, the last one's start
        assert ids("Connection RESET") == ["upload"]
        assert ids("981") == ["upload"]  # INV-00981, not INV-10981
        assert ids("inv 10981") == ["other"]
        assert ids("by reset") == []
    finally:
        event.remove(ledger.engine, "before_cursor_execute", seen)
    # Every such search went through a tsquery over the tsvector columns, and PostgreSQL can
    # answer each from its GIN index (sequential scans discouraged: the table is tiny).
    assert statements and all("@@" in s for s, _ in statements)
    used: set[str] = set()
    with ledger.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
            assert "ix_tasks_search_" in plan, plan
            used.update(
                n for n in ("ix_tasks_search_message", "ix_tasks_search_terms") if n in plan
            )
    assert used == {"ix_tasks_search_message", "ix_tasks_search_terms"}


def test_a_bulk_loaded_postgresql_ledger_is_indexed_for_search(ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(insert(tasks), [{
            "task_id": "loaded", "name": "sync", "state": lc.FAILURE, "args": '["F-0042"]',
            "kwargs": "{}", "created_at": 1.0, "state_ts": 2.0, "history": "[]",
            "exc_message": "disk quota exceeded",
        }])  # fmt: skip
    assert ledger.list_tasks(TaskFilter(q="quota"))[0] == []
    ledger.index_arguments()
    assert [t.task_id for t in ledger.list_tasks(TaskFilter(q="quota exc"))[0]] == ["loaded"]
    assert [t.task_id for t in ledger.list_tasks(TaskFilter(q="f42"))[0]] == ["loaded"]
