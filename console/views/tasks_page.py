"""Tasks: find a task, read it in full, and act on it, on a selection or on a failure group.

Left, the failure inbox and the user's bulk jobs; right, the filter bar with its chips,
the task table (fetched as the user scrolls, newest first, changed live in place) and
the chosen task in full. Every action asks the backend for a dry run, then asks the
user (reason, priority, on production the environment's name), then runs as a bulk job
followed in the jobs panel.
"""

from __future__ import annotations

import json
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QDateTime,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.controllers.tasks_controller import JobView, Target, TasksController, problem_text
from console.domain.clock import now as clock_now
from console.domain.task_query import STATES, WINDOWS, TaskQuery, chips
from console.models.format import number
from console.models.outcomes import outcome_label
from console.models.tasks_table_model import (
    COL_RECEIVED,
    TaskRole,
    TasksTableModel,
    state_text,
    when,
)
from console.services.backend_client import BackendError, BulkAction
from console.snapshot.read_only import READ_ONLY_ROLE, read_only_text
from console.tasks import TaskOwner
from console.views.colours import BAD, WARN
from console.views.dialogs.action_dialog import ActionDialog
from console.views.dialogs.asker import answered
from console.views.failure_inbox import FailureInbox, group_title
from console.views.jobs_panel import JobsPanel
from console.views.signals import disconnect_all
from console.views.task_detail import TaskDetailPane
from console.views.widgets.page_title import page_title
from taskdeck_core.api_types import FailureGroup, TaskSummary

FILTER_DELAY_MS = 300
FINISHED = frozenset({"SUCCESS", "FAILURE", "REVOKED", "REJECTED"})
CANCELLABLE = frozenset({"PENDING", "RECEIVED", "STARTED", "RETRY"})
MOVABLE = frozenset({"PENDING"})
NEEDS = {"retry": ("support", "admin"), "cancel": ("support", "admin"), "priority": ("admin",)}
SETTINGS_FILTER = "tasks/filter"
SETTINGS_READ = "tasks/read_groups"
CHIP_CHARS = 40  # a chip's label beyond this is elided (its tooltip has it whole)
MAX_TEXT = 200  # the backend's limit for the search text, a name and a user


class TasksPage(QWidget):
    status = Signal(str)  # a line for the window's status bar
    audit_wanted = Signal(str)  # show the Audit page for this task

    def __init__(
        self, model: TasksTableModel, settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.model = model
        self.settings = settings
        self.controller: TasksController | None = None
        self.environment: str = ""
        self.production = False
        self.role = ""
        self.dialog: ActionDialog | None = None  # the question open now, if any
        self._questions = TaskOwner()
        self._connections: list[Any] = []
        title = page_title(self.tr("Tasks"))
        # -- the filter bar --
        self.state = QComboBox()
        self.state.addItem(self.tr("Any state"), None)
        for state in STATES:
            self.state.addItem(state_text(state), state)
        # The ledger matches a task name whole: the names seen are offered to pick from.
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.addItem("")
        name_edit = self.name.lineEdit()
        if name_edit is not None:
            name_edit.setPlaceholderText(self.tr("Task name"))
        self._names: set[str] = set()
        self.user = QLineEdit()
        self.user.setPlaceholderText(self.tr("User"))
        self.queue = QComboBox()
        self.queue.setEditable(True)
        queue_edit = self.queue.lineEdit()
        if queue_edit is not None:
            queue_edit.setPlaceholderText(self.tr("Queue"))
        self.time = QComboBox()
        self.time.addItem(self.tr("Any time"), None)
        for key, (_seconds, label) in WINDOWS.items():
            self.time.addItem(QCoreApplication.translate("TaskQuery", label), key)
        self.time.addItem(self.tr("From – to…"), "range")
        self.since = QDateTimeEdit()
        self.until = QDateTimeEdit()
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setDateTime(QDateTime.currentDateTime())
            edit.hide()
        self.since.setDateTime(QDateTime.currentDateTime().addDays(-1))
        self.text = QLineEdit()
        self.text.setPlaceholderText(
            self.tr("Search: id, task, error text, argument values (e.g. 1234)")
        )
        self.text.setClearButtonEnabled(True)
        for line in (self.text, self.user):
            line.setMaxLength(MAX_TEXT)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(FILTER_DELAY_MS)
        self._pause.timeout.connect(self._apply_filter)
        self._group: tuple[str, str] | None = None  # signature, label
        self._time_field = "created"
        for line in (self.user, self.text):
            line.textChanged.connect(lambda _t: self._pause.start())
        for combo in (self.name, self.queue):
            combo.editTextChanged.connect(lambda _t: self._pause.start())
        for combo in (self.state, self.time):
            combo.currentIndexChanged.connect(lambda _i: self._filter_widgets_changed())
        for edit in (self.since, self.until):
            edit.dateTimeChanged.connect(lambda _d: self._pause.start())
        bar = QHBoxLayout()
        bar.addWidget(self.text, 3)
        for widget, stretch in ((self.state, 0), (self.name, 1), (self.user, 1), (self.queue, 1),
                                (self.time, 0), (self.since, 0), (self.until, 0)):  # fmt: skip
            bar.addWidget(widget, stretch)
        self.chips = QHBoxLayout()
        self.chips.setSpacing(4)
        self.chip_row = QWidget()
        chip_layout = QHBoxLayout(self.chip_row)
        chip_layout.setContentsMargins(0, 0, 0, 0)
        chip_layout.addLayout(self.chips)
        chip_layout.addStretch(1)
        self.newer = QPushButton("")
        self.newer.hide()
        self.newer.clicked.connect(self._show_newest)
        chip_layout.addWidget(self.newer)
        # -- the table --
        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setWordWrap(False)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COL_RECEIVED, Qt.SortOrder.DescendingOrder)
        header.setSectionsClickable(False)  # the ledger lists newest first, only
        for col, width in enumerate((100, 190, 80, 80, 56, 76, 140, 70, 130, 56)):
            header.resizeSection(col, width)
        self.table.verticalScrollBar().valueChanged.connect(lambda _v: self._visible_changed())
        self.table.selectionModel().selectionChanged.connect(
            lambda _s, _d: self._selection_changed()
        )
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        model.rowsInserted.connect(self._rows_inserted)
        model.modelReset.connect(self._model_reset)
        self.empty = QLabel("")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.message = QLabel("")
        self.message.setObjectName("tasksMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.count = QLabel("")
        # -- actions --
        self.retry_button = QPushButton(self.tr("Retry…"))
        self.cancel_button = QPushButton(self.tr("Cancel…"))
        self.priority_button = QPushButton(self.tr("Change priority…"))
        self.retry_button.clicked.connect(lambda: self.act_on_selection("retry"))
        self.cancel_button.clicked.connect(lambda: self.act_on_selection("cancel"))
        self.priority_button.clicked.connect(lambda: self.act_on_selection("priority"))
        actions = QHBoxLayout()
        for button in (self.retry_button, self.cancel_button, self.priority_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.count)
        # -- the inbox and the jobs --
        self.inbox = FailureInbox()
        self.inbox.group_selected.connect(self._group_selected)
        self.inbox_note = QLabel("")
        self.inbox_note.setWordWrap(True)
        self.retry_group = QPushButton(self.tr("Retry group…"))
        self.retry_group.clicked.connect(self.act_on_group)
        self.jobs = JobsPanel()
        self.jobs.task_chosen.connect(self.open_task)
        self.jobs.outcome_wanted.connect(self._outcome_wanted)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        inbox_title = QLabel(self.tr("Failure inbox"))
        inbox_title.setStyleSheet("font-weight: 600;")
        left_layout.addWidget(inbox_title)
        left_layout.addWidget(self.inbox_note)
        left_layout.addWidget(self.inbox, 1)
        left_layout.addWidget(self.retry_group)
        left_layout.addWidget(self.jobs)
        # -- the detail --
        self.detail = TaskDetailPane()
        self.detail.open_task.connect(self.open_task)
        self.detail.open_audit.connect(self.audit_wanted.emit)
        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addLayout(actions)
        table_layout.addWidget(self.message)
        table_layout.addWidget(self.table, 1)
        table_layout.addWidget(self.empty)
        right_split = QSplitter(Qt.Orientation.Vertical)
        right_split.addWidget(table_box)
        right_split.addWidget(self.detail)
        right_split.setStretchFactor(0, 3)
        right_split.setStretchFactor(1, 2)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(bar)
        right_layout.addWidget(self.chip_row)
        right_layout.addWidget(right_split, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([340, 1000])
        self.split = split
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(split, 1)
        self._update_buttons()

    # -- the link to one environment -------------------------------------------------------

    def attach(self, controller: TasksController) -> None:
        """Show ``controller``'s environment (a profile switch attaches another)."""
        self.detach()
        self.controller = controller
        c = controller
        self._connections = [
            c.failed.connect(self.show_message),
            c.loaded.connect(self._loaded),
            c.groups_changed.connect(self._groups_changed),
            c.groups_failed.connect(self._groups_failed),
            c.detail_changed.connect(self.detail.show_task),
            c.detail_audit.connect(self.detail.show_audit),
            c.detail_failed.connect(self.detail.show_failure),
            c.jobs_changed.connect(self.jobs.show_jobs),
            c.job_ended.connect(self._job_ended),
            c.not_shown.connect(self._not_shown),
            c.job_shown.connect(self.jobs.select),
        ]
        c.set_query(self.current_query().anchored(clock_now()), force=True)
        if self.isVisible():
            c.start()

    async def aclose(self) -> None:
        """Questions and actions under way end here (the window closes)."""
        await self._questions.aclose()

    def detach(self) -> None:
        if self.controller is not None:
            disconnect_all(self._connections)
        self._connections = []
        self.controller = None

    def clear(self) -> None:
        """Nothing of the last environment stays on screen."""
        self._questions.close()
        self._questions = TaskOwner()
        self.inbox.show_groups([])
        self.jobs.show_jobs([])
        self.detail.clear()
        self.show_message("")
        self.role = ""
        self._update_buttons()

    def set_environment(self, name: str, production: bool) -> None:
        """The environment shown; its last filter and the groups read in it come back."""
        self.environment, self.production = name, production
        self._restore()

    def add_task_names(self, names: set[str]) -> None:
        """Task names seen (in rows, in failure groups), offered by the name filter."""
        new = {n for n in names if n} - self._names
        if not new:
            return
        self._names |= new
        text = self.name.currentText()
        self.name.blockSignals(True)
        self.name.clear()
        self.name.addItem("")
        self.name.addItems(sorted(self._names))
        self.name.setEditText(text)
        self.name.blockSignals(False)

    def set_queues(self, queues: list[str]) -> None:
        """The queues the filter offers (the user may type another)."""
        names = sorted(queues)
        if names == [self.queue.itemText(i) for i in range(1, self.queue.count())]:
            return
        text = self.queue.currentText()
        self.queue.blockSignals(True)
        self.queue.clear()
        self.queue.addItem("")
        self.queue.addItems(names)
        self.queue.setEditText(text)
        self.queue.blockSignals(False)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.controller is not None:
            self.controller.start()

    # -- the filter ------------------------------------------------------------------------

    def current_query(self) -> TaskQuery:
        window = self.time.currentData()
        since = until = None
        if window == "range":
            since = self.since.dateTime().toSecsSinceEpoch()
            until = self.until.dateTime().toSecsSinceEpoch()
            window = None
        return TaskQuery(
            state=self.state.currentData(), name=self.name.currentText().strip() or None,
            user=self.user.text().strip() or None, queue=self.queue.currentText().strip() or None,
            group=self._group[0] if self._group else None,
            group_label=self._group[1] if self._group else None,
            text=self.text.text().strip() or None, window=window,
            since=float(since) if since is not None else None,
            until=float(until) if until is not None else None,
            time_field=self._time_field if (window or since is not None) else "created",
        )  # fmt: skip

    def set_query(self, query: TaskQuery) -> None:
        """Show ``query`` in the filter bar and apply it."""
        widgets = (self.state, self.name, self.user, self.queue, self.text, self.time,
                   self.since, self.until)  # fmt: skip
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.state.setCurrentIndex(max(0, self.state.findData(query.state)))
            self.name.setEditText(query.name or "")
            self.user.setText(query.user or "")
            self.queue.setEditText(query.queue or "")
            self.text.setText(query.text or "")
            self._group = (query.group, query.group_label or query.group) if query.group else None
            self._time_field = query.time_field
            if query.window in WINDOWS:
                self.time.setCurrentIndex(self.time.findData(query.window))
            elif query.since is not None or query.until is not None:
                self.time.setCurrentIndex(self.time.findData("range"))
                if query.since is not None:
                    self.since.setDateTime(QDateTime.fromSecsSinceEpoch(int(query.since)))
                if query.until is not None:
                    self.until.setDateTime(QDateTime.fromSecsSinceEpoch(int(query.until)))
            else:
                self.time.setCurrentIndex(0)
            ranged = self.time.currentData() == "range"
            self.since.setVisible(ranged)
            self.until.setVisible(ranged)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.inbox.select_signature(query.group)
        self._apply_filter()

    def _filter_widgets_changed(self) -> None:
        ranged = self.time.currentData() == "range"
        if ranged and not self.since.isVisible():  # just chosen: the last hour, to now
            now = QDateTime.currentDateTime()
            for edit, value in ((self.since, now.addSecs(-3600)), (self.until, now.addSecs(60))):
                edit.blockSignals(True)
                edit.setDateTime(value)
                edit.blockSignals(False)
        self.since.setVisible(ranged)
        self.until.setVisible(ranged)
        if self.time.currentData() is None:
            self._time_field = "created"
        self._apply_filter()

    def _apply_filter(self) -> None:
        self._pause.stop()
        self.newer.hide()
        query = self.current_query().anchored(clock_now())
        self._show_chips(query)
        if self.settings is not None and self.environment:
            self.settings.setValue(self._key(SETTINGS_FILTER), query.to_json())
        if self.controller is not None:
            self.controller.set_query(query)

    def _key(self, name: str) -> str:
        """A setting of this environment's (a group's signature means nothing elsewhere)."""
        return f"{name}/{self.environment}"

    def _show_chips(self, query: TaskQuery) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for key, label in chips(query, _tr_query, when, state_text):
            chip = QToolButton()
            short = label if len(label) <= CHIP_CHARS else label[: CHIP_CHARS - 1] + "…"
            chip.setText(f"{short}  ✕")
            chip.setToolTip(self.tr("{filter}\nClick to remove this filter").format(filter=label))
            chip.setObjectName(f"chip_{key}")
            chip.clicked.connect(lambda _c=False, key=key: self.remove_filter(key))
            self.chips.addWidget(chip)
        self.chip_row.setVisible(bool(self.chips.count()) or self.newer.isVisible())

    def remove_filter(self, key: str) -> None:
        """The chip ``key`` was removed."""
        self.set_query(self.current_query().without(key))

    def open_failures(self, window_s: float, name: str | None = None) -> None:
        """Failures that ended in the last ``window_s`` seconds (the Overview's tiles), of
        task ``name`` only if given (an alert on that task's failure rate)."""
        window = next((k for k, (s, _l) in WINDOWS.items() if s == window_s), None)
        now = clock_now()
        self.set_query(TaskQuery(
            state="FAILURE", name=name or None, window=window, time_field="finished",
            since=None if window else now - window_s,
        ))  # fmt: skip

    def _restore(self) -> None:
        if self.settings is None:
            return
        saved = self.settings.value(self._key(SETTINGS_FILTER))
        query = TaskQuery.from_json(str(saved)) if saved else TaskQuery()
        read = self.settings.value(self._key(SETTINGS_READ))
        try:
            raw = json.loads(read) if isinstance(read, str) else {}
        except ValueError:
            raw = {}  # unreadable: every group counts as unread
        if isinstance(raw, dict):
            self.inbox.set_read(
                {str(k): float(v) for k, v in raw.items() if isinstance(v, (int, float))}
            )
        self.set_query(query)

    # -- the table ---------------------------------------------------------------------------

    def _visible_changed(self) -> None:
        if self.controller is None:
            return
        first = self.table.rowAt(0)
        last = self.table.rowAt(self.table.viewport().height() - 1)
        if first < 0:
            return
        if last < 0:
            last = self.model.rowCount() - 1
        self.controller.set_visible(first, last)

    def _rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        """New rows at the top do not move what the user is looking at (unless they look
        at the top, where the newest belong)."""
        self._count_text()
        self.add_task_names({t.name for r in range(first, last + 1)
                             if (t := self.model.task_at(r)) is not None and t.name})  # fmt: skip
        if first != 0 or self.model.rowCount() == last - first + 1:
            QTimer.singleShot(0, self, self._visible_changed)
            return
        bar = self.table.verticalScrollBar()
        if bar.value() > 0:
            bar.setValue(
                bar.value() + (last - first + 1) * self.table.verticalHeader().defaultSectionSize()
            )

    def _model_reset(self) -> None:
        self.empty.hide()
        self.count.setText(self.tr("loading…"))
        self._update_buttons()

    def _loaded(self, rows: int, seconds: float) -> None:
        self.show_message("")
        self.empty.setText(self.tr("No task matches this filter. Remove a filter (✕) above, "
                                   "or widen the time range."))  # fmt: skip
        self.empty.setVisible(rows == 0)
        self.table.setVisible(rows > 0)
        self._count_text()
        QTimer.singleShot(0, self, self._visible_changed)

    def _count_text(self) -> None:
        pages = self.model.pages
        rows = self.model.rowCount()
        if pages.at_end:
            self.count.setText(self.tr("{n} shown, all that match").format(n=number(rows)))
        else:
            self.count.setText(self.tr("{n} shown, more as you scroll").format(n=number(rows)))

    def _not_shown(self, count: int) -> None:
        self.newer.setText(self.tr("{n} more tasks match now — show them").format(n=number(count)))
        self.newer.setVisible(count > 0)
        self.chip_row.setVisible(True)

    def _show_newest(self) -> None:
        self.reapply()

    def reapply(self) -> None:
        """The filter applied again, now: its window ends now, the table read afresh."""
        self.newer.hide()
        self._apply_filter()

    def show_message(self, text: str) -> None:
        if not shiboken6.isValid(self.message):
            return  # an answer that arrived as the window closed
        self.message.setText(text)
        self.message.setStyleSheet(f"#tasksMessage {{ color: {BAD}; font-weight: 600; }}")
        self.message.setVisible(bool(text))
        if text:
            self.status.emit(text)

    def selected_tasks(self) -> list[TaskSummary]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        tasks = [self.model.task_at(r) for r in rows]
        return [t for t in tasks if t is not None]

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        task = self.model.data(current, TaskRole) if current.isValid() else None
        if isinstance(task, TaskSummary) and self.controller is not None:
            self.controller.open_task(task.task_id)

    def select_group(self, signature: str) -> None:
        """Narrow the table to a failure group (as choosing it in the inbox does)."""
        self.inbox.select_signature(signature)
        row = self.inbox.currentRow()
        group = self.inbox.group_at(row) if row >= 0 else None
        label = group_title(group) if group is not None and group.signature == signature else None
        self._group = (signature, label or signature[:12])
        self._apply_filter()
        self._update_buttons()

    def open_task(self, task_id: str) -> None:
        """Show ``task_id`` in full (and select its row if it is shown)."""
        row = self.model.pages.row_of(task_id)
        if row is not None:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(self.model.index(row, 0))
        if self.controller is not None:
            self.controller.open_task(task_id)

    # -- failure groups ------------------------------------------------------------------------

    def _groups_changed(self, groups: list[FailureGroup]) -> None:
        self.inbox.show_groups(groups)
        self.add_task_names({g.name for g in groups if g.name})
        unread = sum(1 for g in groups if self.inbox.unread(g))
        since, _until = self.controller.groups_window() if self.controller else (None, None)
        self.inbox_note.setText(
            self.tr("{n} groups since {since}, {unread} unread").format(
                n=number(len(groups)), since=when(since), unread=number(unread)
            ) if groups else self.tr("No failures since {since}.").format(since=when(since))
        )  # fmt: skip
        self.inbox_note.setStyleSheet("")
        self._update_buttons()

    def _groups_failed(self, text: str) -> None:
        self.inbox_note.setText(text)
        self.inbox_note.setStyleSheet(f"color: {WARN};")

    def _group_selected(self, group: FailureGroup | None) -> None:
        if self.settings is not None:
            self.settings.setValue(self._key(SETTINGS_READ), json.dumps(self.inbox.read()))
        self._group = (group.signature, group_title(group)) if group is not None else None
        self._apply_filter()
        self._update_buttons()

    # -- actions ---------------------------------------------------------------------------------

    def set_role(self, role: str) -> None:
        self.role = role
        self._update_buttons()

    def _selection_changed(self) -> None:
        self._update_buttons()

    def _why_not(self, action: str, tasks: list[TaskSummary] | None) -> str | None:
        """Why ``action`` cannot be done now (role, then state), or None."""
        if self.controller is None:
            return self.tr("Not connected to a backend.")
        if self.role == READ_ONLY_ROLE:
            return read_only_text()
        if self.role not in NEEDS[action]:
            who = (
                self.tr("admins") if NEEDS[action] == ("admin",) else self.tr("support and admins")
            )
            return self.tr("Your role ({role}) cannot do this; {who} can.").format(
                role=self.role or self.tr("unknown"), who=who
            )
        if tasks is None:
            return None
        if not tasks:
            return self.tr("Select one or more tasks first.")
        allowed = {"retry": FINISHED, "cancel": CANCELLABLE, "priority": MOVABLE}[action]
        if not any(t.state in allowed for t in tasks):
            return {
                "retry": self.tr("Only finished tasks can be retried."),
                "cancel": self.tr("Only tasks not finished yet can be cancelled."),
                "priority": self.tr("Only tasks waiting in a queue can change priority."),
            }[action]
        return None

    def _update_buttons(self) -> None:
        selected = self.selected_tasks() if self.table.selectionModel() else []
        for action, button in (("retry", self.retry_button), ("cancel", self.cancel_button),
                               ("priority", self.priority_button)):  # fmt: skip
            why = self._why_not(action, selected)
            button.setEnabled(why is None)
            button.setToolTip(why or "")
        why = self._why_not("retry", None)
        if why is None and self.inbox.current_signature() is None:
            why = self.tr("Select a failure group first.")
        self.retry_group.setEnabled(why is None)
        self.retry_group.setToolTip(why or self.tr("Retry every failed task of the group"))

    def act_on_selection(self, action: BulkAction) -> None:
        tasks = self.selected_tasks()
        if not tasks:
            return
        if len(tasks) == 1:
            label = self.tr("task {id}").format(id=tasks[0].task_id)
        else:
            label = self.tr("{n} selected tasks").format(n=number(len(tasks)))
        target = Target(label=label, task_ids=tuple(t.task_id for t in tasks))
        current = tasks[0].priority if len(tasks) == 1 else None
        self._questions.run(self._act(action, target, current), key="act")

    def act_on_group(self) -> None:
        signature = self.inbox.current_signature()
        group = next((g for g in (self.controller.groups if self.controller else [])
                      if g.signature == signature), None)  # fmt: skip
        if group is None:
            return
        # Each failed task once: those retried already (their retries are in the group too,
        # if they failed again) are left out, so retrying a group twice does not double it.
        target = Target(
            label=self.tr("failure group “{group}”").format(group=group_title(group)[:80]),
            filter={"failure_group": group.signature, "retried": False},
        )
        self._questions.run(self._act("retry", target, None), key="act")

    async def _act(self, action: BulkAction, target: Target, current: int | None) -> None:
        controller = self.controller
        if controller is None:
            return
        names = {"retry": self.tr("Retry"), "cancel": self.tr("Cancel"),
                 "priority": self.tr("Change priority")}  # fmt: skip
        try:
            plan = await controller.dry_run(
                action, target, current if action == "priority" else None
            )
            left_out = await controller.left_out(action, target, plan)
        except BackendError as exc:
            self.show_message(problem_text(exc))
            return
        production = self.environment if self.production and (
            target.bulk or plan.total > 1) else None  # fmt: skip
        dialog = ActionDialog(
            f"{names[action]} — {self.environment}" if self.environment else names[action],
            self.tr("{action}: {target}").format(action=names[action], target=target.label),
            plan, action, production, current, self, left_out,
        )  # fmt: skip
        self.dialog = dialog
        try:
            confirmed = await answered(dialog)
            reason, priority = dialog.answers()
        finally:
            self.dialog = None
        if not confirmed or controller is not self.controller:
            return
        try:
            view = await controller.run(action, target, reason, priority)
        except BackendError as exc:
            self.show_message(problem_text(exc))
            return
        if not shiboken6.isValid(self.jobs):
            return  # the window closed meanwhile; the job runs on, in the backend
        self.show_message("")
        self.jobs.select(view.job.job_id)
        self.status.emit(self.tr("{action} of {target} runs as job {job}").format(
            action=names[action], target=target.label, job=view.job.job_id[:8]))  # fmt: skip

    def _job_ended(self, view: JobView) -> None:
        job = view.job
        parts = ", ".join(f"{number(n)} {outcome_label(o)}" for o, n in job.outcomes.items())
        self.status.emit(
            self.tr("Job {job} ended: {parts}").format(job=job.job_id[:8], parts=parts)
        )
        self.jobs.select(job.job_id)

    def _outcome_wanted(self, job_id: str, outcome: str) -> None:
        self._questions.run(self._list_outcome(job_id, outcome), key=("items", job_id, outcome))

    async def _list_outcome(self, job_id: str, outcome: str) -> None:
        if self.controller is None:
            return
        try:
            ids = await self.controller.job_items(job_id, outcome)
        except BackendError as exc:
            self.show_message(problem_text(exc))
            return
        self.jobs.show_items(ids)


def _tr_query(text: str) -> str:
    return QCoreApplication.translate("TaskQuery", text)
