import json
from pathlib import Path

import pytest
from sqlalchemy import event

from backend.domain.failures import failure_signature, normalise_message, top_frame
from backend.services.cursors import CursorError, decode_cursor
from backend.services.ledger import Ledger, TaskFilter
from backend.services.ledger_rows import TaskLabels
from backend.services.ledger_terms import argument_terms, words
from taskdeck_core import lifecycle as lc

TB = """Traceback (most recent call last):
  File "/srv/app/celery/app/trace.py", line 453, in trace_task
    R = retval = fun(*args, **kwargs)
  File "/srv/app/taskdeck_worker/tasks/data_sync.py", line 61, in _sync_one
    raise FileStoreTimeout(
"""


def rec(kind: str, task_id: str, ts: float, **data: object) -> lc.LifecycleRecord:
    return lc.LifecycleRecord(kind, task_id, ts, dict(data))


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")


def published(task_id: str, ts: float, user: str = "alice", **extra: object) -> lc.LifecycleRecord:
    return rec(lc.PUBLISHED, task_id, ts, name="sync", args=["f-1", user], kwargs={}, queue="data_sync",
               priority=5, user=user, **extra)  # fmt: skip


def test_a_task_goes_through_its_states(ledger: Ledger) -> None:
    ledger.apply([published("t1", 1.0), rec(lc.RECEIVED, "t1", 2.0, hostname="w1")])
    ledger.apply(
        [rec(lc.STARTED, "t1", 3.0), rec(lc.SUCCEEDED, "t1", 4.5, runtime=1.5, result={"rows": 3})]
    )
    task = ledger.get("t1")
    assert task is not None
    assert task.state == lc.SUCCESS and task.runtime == 1.5 and task.result == {"rows": 3}
    assert [h.event for h in task.history] == [
        "published",
        "received",
        "started",
        "succeeded",
    ]
    assert task.args == ["f-1", "alice"] and task.hostname == "w1"


def test_a_late_record_does_not_undo_a_final_state(ledger: Ledger) -> None:
    ledger.apply([published("t1", 1.0), rec(lc.SUCCEEDED, "t1", 3.0, runtime=0.1)])
    ledger.apply([rec(lc.STARTED, "t1", 2.0), rec(lc.RECEIVED, "t1", 1.5)])
    task = ledger.get("t1")
    assert task is not None and task.state == lc.SUCCESS


def test_applying_the_same_batch_twice_keeps_one_task(ledger: Ledger) -> None:
    batch = [published("t1", 1.0), rec(lc.STARTED, "t1", 2.0)]
    ledger.apply(batch)
    ledger.apply(batch)  # redelivered after a crash before the acknowledgement
    assert ledger.count() == 1
    task = ledger.get("t1")
    assert task is not None and task.state == lc.STATE_STARTED
    assert [h.event for h in task.history] == [lc.PUBLISHED, lc.STARTED]


def test_celery_retry_then_success(ledger: Ledger) -> None:
    ledger.apply([
        published("t1", 1.0), rec(lc.STARTED, "t1", 2.0), rec(lc.RETRIED, "t1", 2.5, retries=0, reason="deadlock"),
        published("t1", 2.6, retries=1), rec(lc.STARTED, "t1", 5.0), rec(lc.SUCCEEDED, "t1", 6.0),
    ])  # fmt: skip
    task = ledger.get("t1")
    assert task is not None and task.state == lc.SUCCESS and task.retries == 1


def test_list_is_newest_first_with_keyset_pages_and_filters(ledger: Ledger) -> None:
    ledger.apply(
        [published(f"t{n:02d}", float(n), user="bob" if n % 2 else "alice") for n in range(25)]
    )
    page1, cursor = ledger.list_tasks(TaskFilter(), limit=10)
    assert [t.task_id for t in page1] == [f"t{n:02d}" for n in range(24, 14, -1)]
    assert cursor is not None
    page2, cursor2 = ledger.list_tasks(TaskFilter(), limit=10, cursor=cursor)
    assert page2[0].task_id == "t14"
    page3, cursor3 = ledger.list_tasks(TaskFilter(), limit=10, cursor=cursor2)
    assert len(page3) == 5 and cursor3 is None
    bobs, _ = ledger.list_tasks(TaskFilter(user="bob", since=10.0), limit=100)
    assert [t.task_id for t in bobs] == [f"t{n:02d}" for n in range(23, 9, -2)]


def test_search_finds_id_name_and_words_of_the_error(ledger: Ledger) -> None:
    ledger.apply(
        [
            published("t1", 1.0),
            rec(lc.FAILED, "t1", 2.0, exc_type="E", exc_message="100% wrong_col in f-123abc.csv"),
        ]
    )
    ledger.apply(
        [
            published("t2", 1.0),
            rec(lc.FAILED, "t2", 2.0, exc_type="E", exc_message="1000 wrongXcol"),
        ]
    )
    ledger.apply(
        [
            rec(
                lc.PUBLISHED,
                "t3",
                3.0,
                name="data_sync.sync_batch",
                args=[],
                kwargs={},
            )
        ]
    )

    def ids(q: str) -> list[str]:
        return [t.task_id for t in ledger.list_tasks(TaskFilter(q=q))[0]]

    assert ids("wrong col") == ["t1"]  # words, in order; % and _ are no wildcards
    assert ids("f-123") == ["t1"]  # the last word may be the start of one
    assert ids("wrongx") == ["t2"]
    assert ids("t2") == ["t2"]  # an exact id
    assert ids("sync_batch") == ["t3"]  # part of a task name
    assert ids("nothing like it") == []


@pytest.mark.parametrize("cursor", ["", "!!!", "W10", "eyJhIjoxfQ", "WyJ4IiwxXQ"])
def test_a_cursor_not_handed_out_is_refused(cursor: str) -> None:
    with pytest.raises(CursorError):
        decode_cursor(cursor)


def test_failures_group_by_normalised_message_and_frame(ledger: Ledger) -> None:
    records = []
    for n, file_id in enumerate(["f-1a2b3c", "f-99ffee", "f-777777"]):
        tid = f"t{n}"
        records += [
            published(tid, float(n), user=f"user{n % 2}"),
            rec(lc.FAILED, tid, 10.0 + n, exc_type="FileStoreTimeout", traceback=TB,
                exc_message=f"timed out after 30s reading '{file_id}.csv' from sftp://files/x"),
        ]  # fmt: skip
    records += [
        published("other", 5.0),
        rec(lc.FAILED, "other", 20.0, exc_type="KeyError", exc_message="'amount'"),
    ]
    ledger.apply(records)
    groups = ledger.failure_groups(None, None, None)
    assert [g.count for g in groups] == [3, 1]
    big = groups[0]
    assert big.exc_type == "FileStoreTimeout" and big.affected_users == 2
    assert big.first_seen == 10.0 and big.last_seen == 12.0
    assert big.top_frame == "data_sync.py:_sync_one"
    assert big.message == "timed out after <n> reading <str> from <url>"
    assert set(big.sample_ids) == {"t0", "t1", "t2"}
    assert ledger.failure_groups(15.0, None, None)[0].sample_ids == ["other"]


def test_normalisation_and_signature() -> None:
    assert normalise_message("row 17 of 'a.csv': got 0xdeadBEEF at /var/data/x.csv") == (
        "row <n> of <str>: got <hex> at <path>"
    )
    assert normalise_message("id 123e4567-e89b-12d3-a456-426614174000 failed") == "id <uuid> failed"
    assert top_frame(None) == "" and top_frame("no frames") == ""
    a = failure_signature("sync", "E", "row 1 bad", TB)
    assert a == failure_signature("sync", "E", "row 99 bad", TB)
    assert a != failure_signature("sync", "F", "row 1 bad", TB)
    assert a != failure_signature("batch", "E", "row 1 bad", TB)


def test_purge_removes_only_old_tasks(ledger: Ledger) -> None:
    ledger.apply([published("old", 100.0), published("new", 1000.0)])
    assert ledger.purge(before=500.0) == 1
    assert ledger.get("old") is None and ledger.get("new") is not None


def test_lifecycle_record_round_trips_and_rejects_junk() -> None:
    record = rec(lc.FAILED, "t1", 1.5, exc_type="E", traceback="x" * 10)
    fields = {k.encode(): v.encode() for k, v in record.to_fields().items()}
    assert lc.LifecycleRecord.from_fields(fields) == record
    for junk in (
        {},
        {b"type": b"nope", b"task_id": b"t", b"ts": b"1"},
        {b"type": b"failed", b"task_id": b"t", b"ts": b"x"},
    ):
        with pytest.raises(ValueError):
            lc.LifecycleRecord.from_fields(junk)
    # As the ingest reads it: the values of the entry's fields.
    values = lc.values_of(fields)
    assert lc.LifecycleRecord.from_values(values) == record
    with pytest.raises(ValueError):
        lc.LifecycleRecord.from_values((b"failed", b"t", b"1"))


def test_search_finds_a_task_by_what_the_customer_calls_its_argument(ledger: Ledger) -> None:
    ledger.apply([
        rec(lc.PUBLISHED, "file", 1.0, name="sync", args=["F-01234", "alice"], kwargs={}),
        rec(lc.PUBLISHED, "other", 2.0, name="sync", args=["F-91234", "bob"], kwargs={}),
        rec(lc.PUBLISHED, "kw", 3.0, name="sync", args=[], kwargs={"file": {"id": "ERP0077"}}),
        rec(lc.PUBLISHED, "events", 4.0, name="sync", argsrepr="('F-5550', 'carol')"),
    ])  # fmt: skip

    def ids(q: str) -> list[str]:
        return [t.task_id for t in ledger.list_tasks(TaskFilter(q=q))[0]]

    assert ids("1234") == ["file"]  # F-01234, not F-91234
    assert ids("F-01234") == ["file"]
    assert ids("f01234") == ["file"]
    assert ids("erp 77") == ["kw"]  # a value inside the keyword arguments
    assert ids("5550") == ["events"]  # only the repr is known (from Celery events)
    assert ids("234") == []
    ledger.purge(before=10.0)
    assert ids("1234") == []


def test_a_move_is_recorded_and_a_late_publish_does_not_undo_it(ledger: Ledger) -> None:
    ledger.apply([published("t1", 1.0)])
    ledger.moved(["t1", "t2"], 9, at=5.0)  # t2: moved before its publish was ingested
    ledger.apply([published("t2", 2.0)])
    for task_id in ("t1", "t2"):
        task = ledger.get(task_id)
        assert task is not None and task.priority == 9 and task.state == lc.PENDING
        assert ("priority_changed", 5.0) in [(h.event, h.at) for h in task.history]
    ledger.apply([published("t1", 6.0, retries=1)])  # published again later: that one counts
    task = ledger.get("t1")
    assert task is not None and task.priority == 5


def test_argument_terms_split_letters_from_digits_and_drop_leading_zeros() -> None:
    assert words("F-01234") == words("f01234") == ["f", "1234"]
    assert words("file 000, x_y2") == ["file", "0", "x", "y", "2"]
    assert argument_terms('["F-0042", 7, true, null]', '{"to": {"path": "/a/b"}}', None) == (
        "f 42 7 a b"
    )
    assert argument_terms(None, None, '{"argsrepr": "(\'F-0042\',)"}') == "f 42"
    assert len(argument_terms(json.dumps(["x" * 100] * 1000), "{}", None)) <= 4000


def test_a_ledger_from_before_the_argument_index_is_indexed_when_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = Ledger(url)
    old.apply([rec(lc.PUBLISHED, "t1", 1.0, name="sync", args=["F-01234"], kwargs={})])
    with old.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE tasks_args_fts")
    old.close()
    ledger = Ledger(url)
    assert [t.task_id for t in ledger.list_tasks(TaskFilter(q="1234"))[0]] == ["t1"]


def test_a_task_the_broker_lost_is_marked_not_open_and_a_later_record_clears_it(
    ledger: Ledger,
) -> None:
    ledger.apply([published("gone", 1.0), published("ran", 1.0), published("done", 1.0),
                  rec(lc.SUCCEEDED, "done", 2.0)])  # fmt: skip
    assert sorted(ledger.waiting()) == [("gone", "data_sync"), ("ran", "data_sync")]
    assert ledger.mark_lost(["gone", "ran", "done", "unknown"], 5.0, "not in the broker") == [
        "gone", "ran",
    ]  # fmt: skip
    assert ledger.mark_lost(["gone"], 6.0, "again") == []  # marked once
    task = ledger.get("gone")
    assert task is not None and (task.state, task.lost_at) == (lc.PENDING, 5.0)
    assert task.lost_reason == "not in the broker"
    assert [(h.event, h.at) for h in task.history] == [(lc.PUBLISHED, 1.0), ("lost", 5.0)]
    assert ledger.waiting() == [] and ledger.open_tasks() == []  # lost is not open
    assert ledger.lost_summary() == (2, 5.0)
    # A worker's record of taking it, even one stamped before the mark: it was not lost.
    ledger.apply([rec(lc.RECEIVED, "ran", 4.0, hostname="w1")])
    ran = ledger.get("ran")
    assert ran is not None and (ran.state, ran.lost_at, ran.lost_reason) == ("RECEIVED", None, None)
    assert [t.task_id for t in ledger.list_tasks(TaskFilter(lost=True))[0]] == ["gone"]
    assert "gone" not in {t.task_id for t in ledger.list_tasks(TaskFilter(lost=False))[0]}
    # The stream's late copy of its own publish changes nothing; a new publish clears it.
    ledger.apply([published("gone", 1.0)])
    assert ledger.lost_summary() == (1, 5.0)
    ledger.apply([published("gone", 7.0)])
    assert ledger.lost_summary() == (0, None)


def test_a_ledger_from_before_lost_tasks_gets_their_columns_when_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = Ledger(url)
    old.apply([published("t1", 1.0)])
    with old.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_tasks_lost")
        conn.exec_driver_sql("ALTER TABLE tasks DROP COLUMN lost_reason")
        conn.exec_driver_sql("ALTER TABLE tasks DROP COLUMN lost_at")
    old.close()
    ledger = Ledger(url)
    assert ledger.mark_lost(["t1"], 2.0, "gone") == ["t1"]
    assert ledger.lost_summary() == (1, 2.0)
    with ledger.engine.connect() as conn:
        indexes = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    assert "ix_tasks_lost" in indexes


def test_a_task_of_a_dead_worker_process_awaits_redelivery_until_received_again(
    ledger: Ledger,
) -> None:
    ledger.apply([published("t1", 1.0), rec(lc.RECEIVED, "t1", 2.0, hostname="w1", worker_pid=10),
                  rec(lc.STARTED, "t1", 3.0, hostname="w1", pid=11, worker_pid=10),
                  published("t2", 1.0), rec(lc.RECEIVED, "t2", 2.0, hostname="w2", worker_pid=20)])  # fmt: skip
    held = {t.task_id: t for t in ledger.held()}
    assert (held["t1"].hostname, held["t1"].worker_pid, held["t1"].taken_at) == ("w1", 10, 3.0)
    stale = held["t2"]._replace(worker_pid=21)  # seen held by another process: not flagged
    flagged = ledger.mark_redelivery([(held["t1"], 2403.0, "w1 died"), (stale, 9.0, "x")], 5.0)
    assert flagged == ["t1"]
    assert ledger.mark_redelivery([(held["t1"], 2403.0, "again")], 6.0) == []  # flagged once
    task = ledger.get("t1")
    assert task is not None and (task.state, task.redelivery_at) == (lc.STATE_STARTED, 2403.0)
    assert task.redelivery_reason == "w1 died" and task.worker_pid == 10
    assert [h.event for h in task.history][-1] == "awaiting_redelivery"
    assert [t.task_id for t in ledger.held()] == ["t2"]
    assert [t.task_id for t in ledger.open_tasks()] == ["t2"]  # its slot is not held
    assert ledger.awaiting_redelivery() == {"w1": (1, 2403.0)}
    # Delivered again to the worker started under the same name: the flag is gone.
    ledger.apply([rec(lc.RECEIVED, "t1", 2404.0, hostname="w1", worker_pid=30)])
    task = ledger.get("t1")
    assert task is not None and (task.redelivery_at, task.redelivery_reason) == (None, None)
    assert (task.state, task.worker_pid) == (lc.STATE_RECEIVED, 30)
    assert ledger.awaiting_redelivery() == {}


def test_a_started_task_of_a_dead_worker_without_acks_late_can_be_marked_lost(
    ledger: Ledger,
) -> None:
    ledger.apply([published("t1", 1.0), rec(lc.STARTED, "t1", 3.0, hostname="w1", worker_pid=10)])
    assert ledger.mark_lost(["t1"], 5.0, "waiting only") == []  # PENDING ones by default
    assert ledger.mark_lost(["t1"], 5.0, "w1 died", states=(lc.STATE_STARTED,)) == ["t1"]
    task = ledger.get("t1")
    assert task is not None and (task.state, task.lost_at) == (lc.STATE_STARTED, 5.0)
    assert ledger.open_tasks() == [] and ledger.held() == []


def test_work_that_succeeded_without_its_result_stored_stays_a_success(ledger: Ledger) -> None:
    error = "ReadOnlyError: You can't write against a read only replica."
    ledger.apply([published("t1", 1.0), rec(lc.STARTED, "t1", 2.0, hostname="w1"),
                  rec(lc.SUCCEEDED, "t1", 3.0, runtime=1.0, result={"rows": 3},
                      result_stored=False, result_error=error),
                  # Celery then reports the store's failure as the task's failure.
                  rec(lc.FAILED, "t1", 3.5, exc_type="ReadOnlyError", exc_message="read only",
                      traceback="Traceback ...", internal=True)])  # fmt: skip
    task = ledger.get("t1")
    assert task is not None and (task.state, task.result) == (lc.SUCCESS, {"rows": 3})
    assert task.result_stored is False and task.exc_type is None and task.signature is None
    assert task.result_error == f"{error}; Celery then reported the task as failed " \
        "(ReadOnlyError: read only)"  # fmt: skip
    assert [h.event for h in task.history] == ["published", "started", "succeeded", "failed"]
    assert ledger.failure_groups(None, None, None) == []
    # A success stored as usual says so; a failure of the work itself is a failure.
    ledger.apply([published("t2", 1.0), rec(lc.SUCCEEDED, "t2", 2.0, runtime=1.0, result=1),
                  published("t3", 1.0), rec(lc.FAILED, "t3", 2.0, exc_type="ValueError",
                                              exc_message="bad row", internal=False)])  # fmt: skip
    t2, t3 = ledger.get("t2"), ledger.get("t3")
    assert t2 is not None and (t2.result_stored, t2.result_error) == (True, None)
    assert t3 is not None and t3.state == lc.FAILURE


def test_two_backends_on_one_ledger_never_undo_each_others_records(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    a, b = Ledger(url), Ledger(url)
    a.apply([published("t1", 1.0), published("t2", 1.0)])  # a keeps both open rows in memory
    b.apply([rec(lc.RECEIVED, "t1", 2.0, hostname="w1", worker_pid=7)])  # t1 changes behind a
    a.apply([rec(lc.SUCCEEDED, "t1", 3.0, runtime=1.0), rec(lc.STARTED, "t2", 2.5, hostname="w2")])
    t1, t2 = a.get("t1"), a.get("t2")
    assert t1 is not None and t2 is not None
    assert (t1.state, t1.hostname, t1.worker_pid) == (lc.SUCCESS, "w1", 7)
    assert [h.event for h in t1.history] == [lc.PUBLISHED, lc.RECEIVED, lc.SUCCEEDED]
    assert (t2.state, t2.hostname) == (lc.STATE_STARTED, "w2")
    a.close()
    b.close()


def test_an_open_tasks_next_record_is_merged_without_reading_its_row(ledger: Ledger) -> None:
    reads: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    ledger.apply([published("t1", 1.0)])
    event.listen(ledger.engine, "before_cursor_execute", seen)
    labels: dict[str, TaskLabels] = {}
    ledger.apply([rec(lc.RECEIVED, "t1", 2.0, hostname="w1")], labels)
    ledger.apply([rec(lc.SUCCEEDED, "t1", 3.0, runtime=1.0)])
    event.remove(ledger.engine, "before_cursor_execute", seen)
    assert reads == []
    assert labels == {"t1": TaskLabels("sync", "data_sync", "w1")}
    # Finished: no longer kept; a late record reads the row again and changes no outcome.
    ledger.apply([rec(lc.STARTED, "t1", 2.5, hostname="w1")])
    task = ledger.get("t1")
    assert task is not None and task.state == lc.SUCCESS
    assert [h.event for h in task.history][-1] == lc.STARTED


def test_a_move_or_a_loss_between_batches_is_kept_by_the_next_record(ledger: Ledger) -> None:
    ledger.apply([published("t1", 1.0), published("t2", 1.0)])
    ledger.moved(["t1"], 9, 2.0)
    assert ledger.mark_lost(["t2"], 2.0, "not in the broker") == ["t2"]
    ledger.apply([rec(lc.RECEIVED, "t1", 3.0, hostname="w1"), published("t2", 1.0)])
    t1, t2 = ledger.get("t1"), ledger.get("t2")
    assert t1 is not None and t2 is not None
    assert t1.priority == 9 and [h.event for h in t1.history] == [
        lc.PUBLISHED, "priority_changed", lc.RECEIVED,
    ]  # fmt: skip
    assert t2.lost_at == 2.0 and [h.event for h in t2.history] == [lc.PUBLISHED, "lost"]
