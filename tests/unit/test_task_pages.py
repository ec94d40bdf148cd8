"""The Tasks page's rows without Qt: pages fetched in order, a bounded cache, rows found
again after eviction, Celery events merged in place, new tasks at the top, and the
filter as the page keeps it."""

from __future__ import annotations

import json

import pytest

from console.domain.task_pages import TaskPages, changed_by, exception_parts
from console.domain.task_query import TaskQuery, chips
from taskdeck_core.api_types import TaskSummary

T0 = 1_700_000_000.0


def task(n: int, state: str = "SUCCESS") -> TaskSummary:
    """Task n; a higher n is newer."""
    return TaskSummary(task_id=f"t{n:07d}", name="sync", state=state, created_at=T0 + n)  # type: ignore[arg-type]


def ledger_page(total: int, page_size: int, cursor: int) -> tuple[list[TaskSummary], str | None]:
    """The backend's answer: ``page_size`` tasks newest first, from the ``cursor``-th."""
    items = [task(total - i) for i in range(cursor, min(cursor + page_size, total))]
    following = cursor + page_size
    return items, (str(following) if following < total else None)


def fill(pages: TaskPages, total: int, upto: int) -> None:
    """Scroll to the bottom until ``upto`` pages are read."""
    while pages.next_page_number < upto:
        nxt = pages.next_page()
        assert nxt is not None
        number, cursor = nxt
        items, next_cursor = ledger_page(total, pages.page_size, int(cursor or 0))
        pages.put_page(number, items, next_cursor)


def test_pages_grow_at_the_bottom_in_order_and_stop_at_the_end() -> None:
    pages = TaskPages(page_size=10, cached_pages=3)
    fill(pages, 35, 4)
    assert pages.row_count == 35 and pages.at_end and pages.next_page() is None
    assert [pages.row(r).task_id for r in (0, 9, 10, 34)] == [  # type: ignore[union-attr]
        "t0000035", "t0000026", "t0000025", "t0000001"]  # fmt: skip


def test_the_cache_is_bounded_and_an_evicted_page_is_asked_for_again() -> None:
    pages = TaskPages(page_size=10, cached_pages=3)
    fill(pages, 1000, 50)
    assert pages.row_count == 500
    assert pages.pages_cached <= 4  # three plus the first page, always kept
    assert pages.rows_in_memory() <= 40
    assert pages.row(5) is not None  # the first page stays
    assert pages.row(150) is None  # evicted
    assert pages.missing_pages(150, 165) == [15, 16]
    items, nxt = ledger_page(1000, 10, int(pages.cursor_for(15) or 0))
    change = pages.put_page(15, items, nxt)
    assert change == ("changed", 150, 159)
    assert pages.row(150).task_id == "t0000850"  # type: ignore[union-attr]


def test_an_event_changes_its_row_in_place_and_an_older_one_does_not_undo_it() -> None:
    pages = TaskPages(page_size=10)
    pages.put_page(0, [task(3, "STARTED"), task(2, "PENDING")], None)
    row = pages.apply_event({"type": "task-failed", "uuid": "t0000003", "timestamp": T0 + 9,
                             "exception": "ValueError('bad file')", "hostname": "w1"})  # fmt: skip
    assert row == 0
    failed = pages.row(0)
    assert failed is not None
    assert (failed.state, failed.exc_type, failed.exc_message, failed.finished_at) == (
        "FAILURE", "ValueError", "bad file", T0 + 9)  # fmt: skip
    assert pages.apply_event({"type": "task-started", "uuid": "t0000003"}) is None
    assert pages.row(0).state == "FAILURE"  # type: ignore[union-attr]
    assert pages.apply_event({"type": "task-started", "uuid": "unknown"}) is None


def test_new_tasks_join_the_top_once_and_the_rows_below_keep_their_tasks() -> None:
    pages = TaskPages(page_size=10, head_max=5)
    fill(pages, 30, 3)
    before = [pages.row(r).task_id for r in range(30)]  # type: ignore[union-attr]
    top = [task(33), task(32), task(31), task(30, "FAILURE")]
    new, changed = pages.merge_top(top)
    assert [t.task_id for t in new] == ["t0000033", "t0000032", "t0000031"]
    assert changed == [0]  # t30 is shown, and failed meanwhile
    pages.insert_head(new)
    assert [pages.row(r).task_id for r in range(3)] == ["t0000033", "t0000032", "t0000031"]  # type: ignore[union-attr]
    assert [pages.row(r).task_id for r in range(3, 33)] == before  # type: ignore[union-attr]
    assert pages.row(3).state == "FAILURE"  # type: ignore[union-attr]
    again, _ = pages.merge_top(top)
    assert again == []
    # The head is bounded: beyond it, newer tasks are counted, not shown.
    more, _ = pages.merge_top([task(n) for n in range(40, 33, -1)])
    pages.insert_head(more)
    assert pages.rows_in_head == 5 and pages.newer_hidden == 5


def test_changed_by_ignores_what_changes_nothing() -> None:
    row = task(1, "SUCCESS")
    assert changed_by(row, {"type": "task-succeeded"}) is None
    assert changed_by(row, {"type": "task-failed"}) is None  # one final state never becomes another
    assert changed_by(row, {"type": "worker-heartbeat"}) is None


@pytest.mark.parametrize(
    ("text", "parts"),
    [("ValueError('bad file')", ("ValueError", "bad file")),
     ("KeyError(1, 2)", ("KeyError", "1, 2")),
     ("oops", (None, "oops")), (None, (None, None)),
     ("mod.Err(\"x (y)\")", ("mod.Err", "x (y)"))],
)  # fmt: skip
def test_exception_parts(text: str | None, parts: tuple[str | None, str | None]) -> None:
    assert exception_parts(text) == parts


def test_a_remembered_filter_reads_back_and_a_foreign_one_reads_as_none() -> None:
    query = TaskQuery(state="FAILURE", text="1234", window="24h", group="sig", group_label="E")
    assert TaskQuery.from_json(query.to_json()) == query
    assert TaskQuery.from_json("not json") == TaskQuery()
    assert (
        TaskQuery.from_json(json.dumps({"state": "EXPLODED", "window": "9y", "x": 1}))
        == TaskQuery()
    )
    assert TaskQuery.from_json(json.dumps({"text": "x" * 10_000})) == TaskQuery()


def test_the_query_asks_the_backend_for_what_the_chips_say() -> None:
    query = TaskQuery(state="FAILURE", window="5m", time_field="finished", user="bob")
    params = query.params(now=T0)
    assert params == {"state": "FAILURE", "user": "bob", "finished_since": T0 - 300}
    labels = dict(chips(query, lambda s: s, lambda t: str(t)))
    assert labels == {"state": "state: FAILURE", "user": "user: bob",
                      "time": "finished: last 5 min"}  # fmt: skip
    assert query.without("time").params(T0) == {"state": "FAILURE", "user": "bob"}
