"""Queues: every queue's depth, and one queue's waiting messages with actions on them."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.models.format import clock
from console.models.messages_table_model import COL_ARGS, MessagesTableModel, WaitingMessage
from console.models.queues_table_model import QueuesTableModel
from console.snapshot.read_only import READ_ONLY_ROLE, read_only_text
from console.tasks import TaskOwner
from console.views.colours import WARN
from console.views.dialogs.asker import Asker, DialogAsker
from console.views.plots.trend_plot import TrendPlot
from console.views.widgets.filter_table import FilterTable
from console.views.widgets.page_title import page_title
from taskdeck_core.api_types import TransportInfo
from taskdeck_core.priority import to_celery_priority
from taskdeck_core.transport import show_sep


class QueuesPage(QWidget):
    queue_selected = Signal(str)
    cancel_requested = Signal(list, str)  # task ids, reason
    priority_requested = Signal(list, int, str)  # task ids, priority, reason
    next_page = Signal()
    previous_page = Signal()
    message_filter_changed = Signal(str)  # search the selected queue's messages for this

    SHOWN_IN_QUESTION = 3  # tasks a question names one by one; the rest are counted
    AGES_EVERY_MS = 1000

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
        # Nothing is chosen for an action until the user picks; the filter asks the backend,
        # which searches the whole queue, not only the page shown.
        self.messages = FilterTable(
            messages, self.tr("Search all waiting messages (id, task, user, arguments)"),
            stretch_column=COL_ARGS, select_first=False, local_filter=False,
        )  # fmt: skip
        self.messages.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.messages.filter_text_changed.connect(self.message_filter_changed.emit)
        self.queue = ""
        # What on this page is not current: the broker's depths, the backend's messages.
        self._unreachable: dict[str, tuple[str, float | None]] = {}
        self.stale = QLabel("")
        self.stale.setObjectName("staleNote")
        self.stale.setWordWrap(True)
        self.stale.setStyleSheet(f"#staleNote {{ color: {WARN}; font-weight: 600; }}")
        self.stale.hide()
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._ages = QTimer(self)
        self._ages.setInterval(self.AGES_EVERY_MS)
        self._ages.timeout.connect(messages.tick_ages)
        self._ages.start()
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
        # The system's transport: as the console learned it, and as the backend (which
        # moves the messages) learned it; None until each has been read.
        self.transport: TransportInfo | None = None
        self.backend_transport: TransportInfo | None = None
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
        right_layout.addWidget(self.result)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.trend)
        lower.addWidget(right)
        lower.setStretchFactor(1, 1)
        lower.setSizes([320, 780])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.queues)
        split.addWidget(lower)
        split.setSizes([220, 480])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.stale)
        layout.addWidget(split, 1)
        self._update_buttons()

    def _queue_changed(self, key: str) -> None:
        self.trend.clear_message()
        self.queue_selected.emit(key)

    def show_unreachable(self, service: str, reason: str | None, since: float | None) -> None:
        """``service`` has not answered since ``since`` (its last answer), for ``reason``:
        what the page shows from it stays and is marked as not current; None: it answers."""
        if reason is None:
            self._unreachable.pop(service, None)
        elif service in ("broker", "backend"):
            self._unreachable[service] = (reason, since)
        lines = []
        for name, what in (
            ("broker", self.tr("Broker unreachable{since} ({reason}): the depths shown are not "
                               "current.")),
            ("backend", self.tr("Backend unreachable{since} ({reason}): the oldest ages and "
                                "waiting messages shown are not current.")),
        ):  # fmt: skip
            if name in self._unreachable:
                why, at = self._unreachable[name]
                when = self.tr(" since {time}").format(time=clock(at)) if at else ""
                lines.append(what.format(since=when, reason=why))
        self.stale.setText("\n".join(lines))
        self.stale.setVisible(bool(lines))

    def stale_text(self) -> str:
        """What the page says is not current ("" when everything is)."""
        return self.stale.text() if not self.stale.isHidden() else ""

    def selected_task_ids(self) -> list[str]:
        return self.messages.selected_keys()

    def selected_messages(self) -> list[WaitingMessage]:
        """The chosen messages, in run order."""
        model = self.messages.model
        assert isinstance(model, MessagesTableModel)
        rows = [model.row_for(key) for key in self.selected_task_ids()]
        return sorted((m for m in rows if m is not None), key=lambda m: m.position)

    def show_result(self, text: str) -> None:
        """What the last action came to, as the backend said (stays until the next one)."""
        self.result.setText(text)

    def set_role(self, role: str) -> None:
        self.role = role
        self._update_buttons()

    def set_transport(self, info: TransportInfo | None) -> None:
        """The watched system's transport as the console learned it (None: a new connection)."""
        self.transport = info

    def set_backend_transport(self, info: TransportInfo | None) -> None:
        """The watched system's transport as the backend, which moves messages, learned it."""
        self.backend_transport = info

    def landing(self, user_priority: int) -> str | None:
        """Where a task of the selected queue moved to ``user_priority`` waits: the system's
        list and step, as the backend that moves it knows them (as the console does until the
        backend has said); None while neither knows the transport."""
        info = self.backend_transport or self.transport
        if info is None or not self.queue:
            return None
        if not info.writable:
            return self.tr(
                "The system's priority steps are unknown (lists of steps {seen} hold messages): "
                "the backend refuses to move a task until they are configured."
            ).format(seen=", ".join(map(str, info.steps_seen)))
        transport = info.transport()
        step = transport.step_for(to_celery_priority(user_priority))
        low, high = transport.serves(step)
        name = self.queue if step == 0 else f"{self.queue}{show_sep(transport.sep)}{step}"
        return self.tr(
            "It will wait in the list {list}: the system's step {step}, for Celery priorities "
            "{low}–{high}."
        ).format(list=name, step=step, low=low, high=high)

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._update_buttons()

    def show_messages(
        self, queue: str, items: list[WaitingMessage], offset: int, total: int, shown: int
    ) -> None:
        """A page of ``queue``'s messages; ``shown`` is what the pages go through: ``total``
        (all waiting), or the matches of the search in the filter box."""
        model = self.messages.model
        assert isinstance(model, MessagesTableModel)
        self.queue = queue
        model.update_rows(items)
        first, last = (offset + 1, offset + len(items)) if items else (0, 0)
        search = self.messages.filter.text().strip()
        if search:
            heading = self.tr("{queue}: {shown} of {total} waiting match “{search}”, in run order")
        else:
            heading = self.tr("{queue}: {total} waiting, in run order")
        self.heading.setText(heading.format(queue=queue, total=total, shown=shown, search=search))
        self.page_label.setText(
            self.tr("{first}–{last} of {total}").format(first=first, last=last, total=shown)
        )
        self.prev_button.setEnabled(offset > 0)
        self.next_button.setEnabled(offset + len(items) < shown)
        self._update_buttons()

    def _update_buttons(self) -> None:
        selected = bool(self.selected_task_ids()) and not self.busy
        may_cancel = self.role in ("support", "admin")
        may_move = self.role == "admin"
        self.cancel_button.setEnabled(selected and may_cancel)
        self.priority_button.setEnabled(selected and may_move)
        read_only = read_only_text() if self.role == READ_ONLY_ROLE else None
        why = "" if may_cancel else self.tr("Cancelling needs the support or admin role.")
        self.cancel_button.setToolTip(read_only or why)
        self.priority_button.setToolTip(
            read_only or ("" if may_move else self.tr("Changing priority needs the admin role."))
        )

    def _ask_cancel(self) -> None:
        self._questions.run(self._cancel(self.selected_messages()), key="question")

    def _ask_priority(self) -> None:
        self._questions.run(self._move(self.selected_messages()), key="question")

    def subject(self, chosen: list[WaitingMessage]) -> str:
        """What an action on ``chosen`` touches, in words: each task's id, task name and
        user; for many, how many and the first few."""
        lines = [
            self.tr("{id}  {task}  user {user}, priority {priority}").format(
                id=m.task_id, task=m.name, user=m.user or "—", priority=m.priority
            )
            for m in chosen[: self.SHOWN_IN_QUESTION]
        ]
        rest = len(chosen) - len(lines)
        if rest > 0:
            lines.append(self.tr("… and {n} more").format(n=rest))
        if len(chosen) == 1:
            head = self.tr("1 task waiting in {queue}:").format(queue=self.queue)
        else:
            head = self.tr("{n} tasks waiting in {queue}:").format(n=len(chosen), queue=self.queue)
        return "\n".join([head, *lines])

    async def _cancel(self, chosen: list[WaitingMessage]) -> None:
        if not chosen:
            return
        title = (
            self.tr("Cancel task {id}").format(id=chosen[0].task_id[:8])
            if len(chosen) == 1
            else self.tr("Cancel {n} tasks").format(n=len(chosen))
        )
        reason = await self.asker.reason(title, self.subject(chosen))
        if reason:
            self.cancel_requested.emit([m.task_id for m in chosen], reason)

    async def _move(self, chosen: list[WaitingMessage]) -> None:
        if not chosen:
            return
        title = (
            self.tr("Change priority of task {id}").format(id=chosen[0].task_id[:8])
            if len(chosen) == 1
            else self.tr("Change priority of {n} tasks").format(n=len(chosen))
        )
        subject = self.subject(chosen)
        known = self.transport is not None or self.backend_transport is not None
        where = self.landing if known else None
        priority = await self.asker.priority(title, subject, chosen[0].priority, where)
        if priority is None:
            return
        reason = await self.asker.reason(title, subject)
        if reason:
            self.priority_requested.emit([m.task_id for m in chosen], priority, reason)
