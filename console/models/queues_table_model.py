"""Queues: depth, depth per priority, oldest message age, rates, and the workers that
received a task from each queue in the last 5 minutes (as Prometheus saw them)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt

from console.domain.live import QueueInfo
from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import duration, number
from console.models.keyed_table_model import Column, KeyedTableModel, Value


def _by_priority(q: QueueInfo) -> str:
    parts = [f"p{p}: {n}" for p, n in sorted(q.depth_by_priority.items(), reverse=True) if n]
    return "  ".join(parts) or "—"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{number(value, 2)}/s"


def _waiting_at(priority: int) -> Value[QueueInfo]:
    return Value(
        QT_TRANSLATE_NOOP("QueuesTableModel", "Priority {n}"),
        lambda q: q.depth_by_priority.get(priority, 0),
        n=priority,
    )


COL_DEPTH = 1
COL_RECEIVING = 6
# What the receiving workers' count is: not the broker's consumers (idle workers bound to
# the queue count there), but workers Prometheus saw receive a task from it lately.
RECEIVING_TIP = QT_TRANSLATE_NOOP(
    "QueuesTableModel",
    "Workers that received a task from this queue in the last 5 minutes, as Prometheus "
    "counts them from the workers' celery_task_received_total; a worker bound to the queue "
    "that received nothing in that time is not counted. Blank without Prometheus.",
)


class QueuesTableModel(KeyedTableModel[QueueInfo]):
    CONTEXT = "QueuesTableModel"
    COLUMNS: tuple[Column[QueueInfo], ...] = (
        Column(QT_TRANSLATE_NOOP("QueuesTableModel", "Queue"), lambda q: q.name),
        Column(
            QT_TRANSLATE_NOOP("QueuesTableModel", "Depth"),
            lambda q: number(q.depth),
            lambda q: q.depth,
            align_right=True,
        ),
        Column(
            QT_TRANSLATE_NOOP("QueuesTableModel", "By priority (10 first)"),
            _by_priority,
            lambda q: tuple(q.depth_by_priority.get(p, 0) for p in range(10, 0, -1)),
            values=tuple(_waiting_at(p) for p in range(10, 0, -1)),
        ),
        Column(
            QT_TRANSLATE_NOOP("QueuesTableModel", "Oldest waiting"),
            lambda q: duration(q.oldest_age_s),
            lambda q: q.oldest_age_s or 0.0,
            align_right=True,
            values=(
                Value(
                    QT_TRANSLATE_NOOP("QueuesTableModel", "Oldest waiting (s)"),
                    lambda q: q.oldest_age_s,
                ),
            ),
        ),
        Column(
            QT_TRANSLATE_NOOP("QueuesTableModel", "In"),
            lambda q: _rate(q.rate_in),
            lambda q: q.rate_in or 0.0,
            align_right=True,
            values=(Value(QT_TRANSLATE_NOOP("QueuesTableModel", "In (/s)"), lambda q: q.rate_in),),
        ),
        Column(
            QT_TRANSLATE_NOOP("QueuesTableModel", "Out"),
            lambda q: _rate(q.rate_out),
            lambda q: q.rate_out or 0.0,
            align_right=True,
            values=(
                Value(QT_TRANSLATE_NOOP("QueuesTableModel", "Out (/s)"), lambda q: q.rate_out),
            ),
        ),
        Column(
            QT_TRANSLATE_NOOP("QueuesTableModel", "Receiving workers (5 min)"),
            lambda q: number(q.consumers),
            lambda q: q.consumers or 0,
            align_right=True,
            values=(
                Value(
                    QT_TRANSLATE_NOOP("QueuesTableModel", "Receiving workers (5 min)"),
                    lambda q: q.consumers,
                ),
            ),
        ),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda q: q.name, parent)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and orientation == Qt.Orientation.Horizontal
            and section == COL_RECEIVING
        ):
            return QCoreApplication.translate(self.CONTEXT, RECEIVING_TIP)
        return super().headerData(section, orientation, role)
