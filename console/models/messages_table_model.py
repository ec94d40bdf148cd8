"""The waiting messages of one queue, in the order they will run."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from console.domain.clock import now as clock_now
from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import clock, duration, number
from console.models.keyed_table_model import Column, KeyedTableModel
from taskdeck_core.api_types import WaitingMessage

__all__ = ["COL_ARGS", "COL_WAITING", "MessagesTableModel", "WaitingMessage"]


def _short_name(m: WaitingMessage) -> str:
    return m.name.rsplit(".", 1)[-1]


COL_WAITING = 5
COL_ARGS = 6


class MessagesTableModel(KeyedTableModel[WaitingMessage]):
    CONTEXT = "MessagesTableModel"
    COLUMNS: tuple[Column[WaitingMessage], ...] = (
        Column(QT_TRANSLATE_NOOP("MessagesTableModel", "#"), lambda m: number(m.position + 1), lambda m: m.position, align_right=True),
        Column(QT_TRANSLATE_NOOP("MessagesTableModel", "Task id"), lambda m: f"{m.task_id[:8]}…", lambda m: m.task_id,
               tooltip=lambda m: m.task_id),
        Column(QT_TRANSLATE_NOOP("MessagesTableModel", "Task"), _short_name, tooltip=lambda m: m.name),
        Column(QT_TRANSLATE_NOOP("MessagesTableModel", "Priority"), lambda m: str(m.priority), lambda m: m.priority, align_right=True),
        Column(QT_TRANSLATE_NOOP("MessagesTableModel", "User"), lambda m: m.user or "—"),
        Column(QT_TRANSLATE_NOOP("MessagesTableModel", "Waiting"), lambda m: duration(clock_now() - m.enqueued_at) if m.enqueued_at else "—",
               lambda m: -(m.enqueued_at or 0.0), align_right=True,
               tooltip=lambda m: clock(m.enqueued_at)),
        Column(QT_TRANSLATE_NOOP("MessagesTableModel", "Arguments"), lambda m: m.args, tooltip=lambda m: m.args),
    )  # fmt: skip

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda m: m.task_id, parent)

    def tick_ages(self) -> None:
        """The Waiting column counts on: its cells are repainted (nothing else changes)."""
        if self._rows:
            self.dataChanged.emit(
                self.index(0, COL_WAITING),
                self.index(len(self._rows) - 1, COL_WAITING),
                [Qt.ItemDataRole.DisplayRole],
            )
