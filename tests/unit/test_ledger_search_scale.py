"""Search at scale: the task names q is matched against are read by index lookups, not a
walk of the whole ledger (at 10,000,000 tasks a DISTINCT over the name index took
seconds), and the failure messages' index has prefix indexes, made for older ledgers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from backend.services.ledger import Ledger, TaskFilter
from backend.services.ledger_queries import MESSAGE_PREFIXES, NEXT_NAMES
from taskdeck_core import lifecycle as lc
from tests.unit.test_ledger import published, rec


def test_task_names_are_each_distinct_name_once_found_through_the_name_index(
    tmp_path: Path,
) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    names = ["app.b", "app.a", "app.b", "app.c", "app.a"]
    ledger.apply([
        rec(lc.PUBLISHED, f"t{n}", float(n), name=name, args=[], kwargs={})
        for n, name in enumerate(names)
    ])  # fmt: skip
    ledger.apply([rec(lc.RECEIVED, "nameless", 9.0)])  # a task seen without its name
    assert sorted(ledger._task_names()) == ["app.a", "app.b", "app.c"]
    assert [t.task_id for t in ledger.list_tasks(TaskFilter(q="app.c"))[0]] == ["t3"]
    with ledger.engine.connect() as conn:
        plan = " | ".join(
            str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(NEXT_NAMES))
        )
    # Each step is a search in the index (name>?), never a scan of the table or index.
    assert "USING COVERING INDEX ix_tasks_name (name>?)" in plan, plan
    assert "SCAN tasks" not in plan and "SCAN t " not in plan, plan
    ledger.close()


def test_a_message_index_made_without_prefix_indexes_is_made_again_with_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(f"sqlite:///{path}")
    ledger.apply([
        published("t1", 1.0), rec(lc.FAILED, "t1", 2.0, exc_type="E",
                                  exc_message="timed out after 30s reading 'f-991.csv'"),
        published("t2", 3.0), rec(lc.FAILED, "t2", 4.0, exc_type="E",
                                  exc_message="timed out after 30s reading 'f-18.csv'"),
    ])  # fmt: skip
    ledger.close()
    # The index as ledgers made before the prefix indexes have it.
    with sqlite3.connect(path) as raw:
        raw.execute("DROP TABLE tasks_fts")
        raw.execute("CREATE VIRTUAL TABLE tasks_fts USING fts5(exc_message)")
        raw.execute(
            "INSERT INTO tasks_fts(rowid, exc_message) SELECT rowid, exc_message FROM tasks "
            "WHERE exc_message IS NOT NULL"
        )
    ledger = Ledger(f"sqlite:///{path}")
    with ledger.engine.connect() as conn:
        made = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'tasks_fts'")
        assert f"prefix='{MESSAGE_PREFIXES}'" in str(made.scalar())
        assert conn.exec_driver_sql("SELECT count(*) FROM tasks_fts").scalar() == 2
        assert not conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'tasks_fts_prefixed'"
        ).first()

    def ids(q: str) -> list[str]:
        return [t.task_id for t in ledger.list_tasks(TaskFilter(q=q))[0]]

    assert ids("reading f-99") == ["t1"]  # the last word is the start of one
    assert ids("reading f-1") == ["t2"]
    assert ids("30s reading") == ["t2", "t1"]
    ledger.close()
    # Opened again, the index is left as it is.
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO tasks_fts(rowid, exc_message) VALUES (99, 'kept')")
    ledger = Ledger(f"sqlite:///{path}")
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM tasks_fts").scalar() == 3
    ledger.close()
