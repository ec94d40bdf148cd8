"""Queues: every queue's depth, and one queue's waiting messages with actions on them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.models.messages_table_model import MessagesTableModel, WaitingMessage
from console.models.queues_table_model import QueuesTableModel
from console.tasks import TaskOwner
from console.views.dialogs.asker import Asker, DialogAsker
from console.views.plots.trend_plot import TrendPlot
from console.views.widgets.filter_table import FilterTable
from console.views.widgets.page_title import page_title


class QueuesPage(QWidget):
    queue_selected = Signal(str)
    cancel_requested = Signal(list, str)  # task ids, reason
    priority_requested = Signal(list, int, str)  # task ids, priority, reason
    next_page = Signal()
    previous_page = Signal()

    def __init__(
        self,
        queues: QueuesTableModel,
        messages: MessagesTableModel,
        asker: Asker | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``asker`` asks for the reason and the priority (by default, with dialogs)."""
        super().__init__(parent)
        self.asker: Asker = asker or DialogAsker(self)
        self._questions = TaskOwner()
        title = page_title(self.tr("Queues"))
        self.queues = FilterTable(queues, self.tr("Filter queues (Ctrl+F)"), stretch_column=2)
        self.trend = TrendPlot.for_selection(
            self.tr("Depth of the selected queue (1 h)"), self.tr("Select a queue")
        )
        self.queues.key_selected.connect(self._queue_changed)
        self.messages = FilterTable(messages, self.tr("Filter waiting messages"), stretch_column=6)
        self.messages.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.heading = QLabel(
            self.tr("Select a queue to see its waiting messages, in the order they will run.")
        )
        self.cancel_button = QPushButton(self.tr("Cancel…"))
        self.priority_button = QPushButton(self.tr("Change priority…"))
        self.prev_button = QPushButton(self.tr("◀ Previous"))
        self.next_button = QPushButton(self.tr("Next ▶"))
        self.page_label = QLabel("")
        self.cancel_button.clicked.connect(self._ask_cancel)
        self.priority_button.clicked.connect(self._ask_priority)
        self.prev_button.clicked.connect(self.previous_page.emit)
        self.next_button.clicked.connect(self.next_page.emit)
        self.role = ""
        self.busy = False
        buttons = QHBoxLayout()
        for widget in (self.cancel_button, self.priority_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.prev_button)
        buttons.addWidget(self.page_label)
        buttons.addWidget(self.next_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(self.messages, 1)
        right_layout.addLayout(buttons)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.trend)
        lower.addWidget(right)
        lower.setSizes([400, 700])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.queues)
        split.addWidget(lower)
        split.setSizes([220, 480])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(split, 1)
        self._update_buttons()

    def _queue_changed(self, key: str) -> None:
        self.trend.clear_message()
        self.queue_selected.emit(key)

    def selected_task_ids(self) -> list[str]:
        return self.messages.selected_keys()

    def set_role(self, role: str) -> None:
        self.role = role
        self._update_buttons()

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._update_buttons()

    def show_messages(
        self, queue: str, items: list[WaitingMessage], offset: int, total: int
    ) -> None:
        model = self.messages.model
        assert isinstance(model, MessagesTableModel)
        model.update_rows(items)
        first, last = (offset + 1, offset + len(items)) if items else (0, 0)
        self.heading.setText(
            self.tr("{queue}: {total} waiting, in run order").format(queue=queue, total=total)
        )
        self.page_label.setText(
            self.tr("{first}–{last} of {total}").format(first=first, last=last, total=total)
        )
        self.prev_button.setEnabled(offset > 0)
        self.next_button.setEnabled(offset + len(items) < total)
        self._update_buttons()

    def _update_buttons(self) -> None:
        selected = bool(self.selected_task_ids()) and not self.busy
        may_cancel = self.role in ("support", "admin")
        may_move = self.role == "admin"
        self.cancel_button.setEnabled(selected and may_cancel)
        self.priority_button.setEnabled(selected and may_move)
        why = "" if may_cancel else self.tr("Cancelling needs the support or admin role.")
        self.cancel_button.setToolTip(why)
        self.priority_button.setToolTip(
            "" if may_move else self.tr("Changing priority needs the admin role.")
        )

    def _ask_cancel(self) -> None:
        self._questions.run(self._cancel(self.selected_task_ids()), key="question")

    def _ask_priority(self) -> None:
        self._questions.run(self._move(self.selected_task_ids()), key="question")

    async def _cancel(self, ids: list[str]) -> None:
        reason = await self.asker.reason(self.tr("Cancel {n} task(s)").format(n=len(ids)))
        if ids and reason:
            self.cancel_requested.emit(ids, reason)

    async def _move(self, ids: list[str]) -> None:
        priority = await self.asker.priority(self.tr("Change priority"))
        if priority is None:
            return
        reason = await self.asker.reason(
            self.tr("Change priority of {n} task(s)").format(n=len(ids))
        )
        if ids and reason:
            self.priority_requested.emit(ids, priority, reason)
