"""Queues: every queue's depth, and one queue's waiting messages with actions on them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.models.messages_table_model import MessagesTableModel, WaitingMessage
from console.models.queues_table_model import QueuesTableModel
from console.views.plots.trend_plot import TrendPlot
from console.views.widgets.filter_table import FilterTable


class QueuesPage(QWidget):
    queue_selected = Signal(str)
    cancel_requested = Signal(list, str)  # task ids, reason
    priority_requested = Signal(list, int, str)  # task ids, priority, reason
    next_page = Signal()
    previous_page = Signal()

    def __init__(
        self, queues: QueuesTableModel, messages: MessagesTableModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        title = QLabel(self.tr("Queues"))
        title.setObjectName("pageTitle")
        self.queues = FilterTable(queues, self.tr("Filter queues (Ctrl+F)"), stretch_column=2)
        self.queues.table.selectionModel().currentRowChanged.connect(self._queue_changed)
        self.trend = TrendPlot(self.tr("Depth of the selected queue (1 h)"))
        self.trend.set_window(3600)
        self.trend.show_message(self.tr("Select a queue"))
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

    def _queue_changed(self) -> None:
        key = self.queues.current_key()
        if key:
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

    def _reason(self, action: str) -> str | None:
        text, ok = QInputDialog.getText(
            self, action, self.tr("Reason (recorded in the audit log):")
        )
        if not ok:
            return None
        if not text.strip():
            QMessageBox.warning(self, action, self.tr("A reason is required."))
            return None
        return text.strip()

    def _ask_cancel(self) -> None:
        ids = self.selected_task_ids()
        reason = self._reason(self.tr("Cancel {n} task(s)").format(n=len(ids)))
        if ids and reason:
            self.cancel_requested.emit(ids, reason)

    def _ask_priority(self) -> None:
        ids = self.selected_task_ids()
        priority, ok = QInputDialog.getInt(
            self,
            self.tr("Change priority"),
            self.tr("New priority (1 lowest … 10 highest):"),
            5,
            1,
            10,
        )
        if not ok:
            return
        reason = self._reason(self.tr("Change priority of {n} task(s)").format(n=len(ids)))
        if ids and reason:
            self.priority_requested.emit(ids, priority, reason)
