"""The table models, without a window: Qt's model tester and in-place updates."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import QPersistentModelIndex, QSortFilterProxyModel, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.domain.live import QueueInfo
from console.models.keyed_table_model import KeyRole, SortRole
from console.models.messages_table_model import MessagesTableModel, WaitingMessage
from console.models.queues_table_model import COL_DEPTH, COL_RECEIVING, QueuesTableModel
from console.models.workers_table_model import COL_STATUS, WorkersTableModel
from console.reports.csv_export import export_csv
from taskdeck_core.api_types import WorkerInfo
from taskdeck_core.workers import WorkerStatus


def queue(name: str, depth: int) -> QueueInfo:
    return QueueInfo(name, depth, {5: depth})


def worker(host: str, status: WorkerStatus = "online", active: int = 1) -> WorkerInfo:
    return WorkerInfo(
        hostname=host, status=status, online=status != "offline", last_heartbeat=0.0,
        last_heartbeat_age_s=1.0, active=active, processed=10, loadavg=(0.1, 0.2, 0.3),
        pool="prefork", concurrency=2,
    )  # fmt: skip


def message(
    position: int, task_id: str, name: str, priority: int, user: str | None, args: str,
    enqueued_at: float | None,
) -> WaitingMessage:  # fmt: skip
    return WaitingMessage(
        position=position, task_id=task_id, name=name, priority=priority, user=user, args=args,
        enqueued_at=enqueued_at,
    )  # fmt: skip


def test_models_pass_qt_model_tester(qtmodeltester: ModelTester) -> None:
    queues = QueuesTableModel()
    queues.update_rows([queue("data_sync", 3), queue("default", 0)])
    qtmodeltester.check(queues)
    workers = WorkersTableModel()
    workers.update_rows([worker("w1"), worker("w2", "offline", 0)])
    qtmodeltester.check(workers)
    messages = MessagesTableModel()
    messages.update_rows([message(0, "t1", "a.b.sync", 9, "alice", "['f-1']", 1.0)])
    qtmodeltester.check(messages)


def test_updates_touch_only_changed_rows_and_keep_indexes(qtbot: QtBot) -> None:
    model = QueuesTableModel()
    model.update_rows([queue("a", 1), queue("b", 2)])
    kept = QPersistentModelIndex(model.index(1, 0))
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.update_rows([queue("a", 1), queue("b", 7)])
    top_left = changed.args[0]
    assert top_left.row() == 1 and kept.isValid() and kept.row() == 1
    with qtbot.assertNotEmitted(model.modelReset):
        model.update_rows([queue("b", 7), queue("c", 0)])
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["b", "c"]
    assert kept.isValid() and model.index(kept.row(), 0).data(KeyRole) == "b"


def test_sorting_uses_native_values() -> None:
    model = QueuesTableModel()
    model.update_rows([queue("a", 9), queue("b", 10), queue("c", 100)])
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SortRole)
    proxy.sort(COL_DEPTH, Qt.SortOrder.DescendingOrder)
    assert [proxy.index(r, 0).data() for r in range(3)] == ["c", "b", "a"]  # not "9" > "100"
    workers = WorkersTableModel()
    workers.update_rows([worker("w1"), worker("w2", "offline")])
    assert workers.index(1, COL_STATUS).data(SortRole) < workers.index(0, COL_STATUS).data(SortRole)


def test_csv_export_writes_what_the_table_shows(tmp_path: Path) -> None:
    model = QueuesTableModel()
    model.update_rows([queue("data_sync", 3)])
    path = tmp_path / "queues.csv"
    assert export_csv(model, path) == 1
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))  # written with a BOM
    assert rows[0][0] == "Queue" and rows[1][0] == "data_sync" and rows[1][1] == "3"


def test_a_new_order_moves_rows_and_keeps_the_selection_on_its_row(qtbot: QtBot) -> None:
    model = MessagesTableModel()
    rows = [message(n, f"t{n}", "sync", 5, "u", "", None) for n in range(3)]
    model.update_rows(rows)
    kept = QPersistentModelIndex(model.index(2, 1))  # t2 selected
    moved = message(0, "t2", "sync", 9, "u", "", None)
    with qtbot.waitSignal(model.layoutChanged):
        model.update_rows([moved, rows[0], rows[1]])
    assert [model.row_at(r).task_id for r in range(3)] == ["t2", "t0", "t1"]
    assert kept.row() == 0 and kept.data(KeyRole) == "t2"


def test_a_worker_row_says_how_many_of_its_tasks_await_redelivery_and_when() -> None:
    import time

    due = time.mktime((2026, 11, 24, 14, 5, 0, 0, 0, -1))
    workers = WorkersTableModel()
    restarted = worker("w1").model_copy(
        update={"pid": 4242, "started_at": due - 600, "awaiting_redelivery": 2,
                "redelivery_at": due}
    )  # fmt: skip
    workers.update_rows([restarted, worker("w2")])
    column = [workers.headerData(c, Qt.Orientation.Horizontal) for c in
              range(workers.columnCount())].index("Awaiting redelivery")  # fmt: skip
    cell = workers.index(0, column)
    assert cell.data() == "2 tasks at 14:05:00" and "visibility timeout" in cell.data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert workers.index(1, column).data() == "—"
    assert "4242" in workers.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)


def test_the_queues_receiving_workers_column_says_what_it_counts() -> None:
    model = QueuesTableModel()
    model.update_rows([QueueInfo("data_sync", 3, {5: 3}, consumers=2)])
    column = COL_RECEIVING
    horizontal = Qt.Orientation.Horizontal
    assert model.headerData(column, horizontal) == "Receiving workers (5 min)"
    tip = model.headerData(column, horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "received a task from this queue in the last 5 minutes" in tip
    assert "Prometheus" in tip and "not counted" in tip
    assert model.index(0, column).data() == "2"
    assert model.headerData(COL_DEPTH, horizontal, Qt.ItemDataRole.ToolTipRole) is None
