"""Audit: who changed what, when and why, newest first, filtered, with each entry in full."""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.domain.clock import now as clock_now
from console.models.audit_table_model import (
    AuditEntry,
    AuditTableModel,
    EntryRole,
    action_name,
    task_ids,
)
from console.views.colours import BAD, NEUTRAL
from console.views.widgets.page_title import page_title

FILTER_DELAY_MS = 300  # the filters apply once the user stops typing
# The actions the backend records (backend/services/actions.py, bulk.py, and the quota,
# quota-default, worker and silence routes under backend/api/routes/).
ACTIONS = ("cancel", "retry", "priority", "bulk_cancel", "bulk_retry", "bulk_priority",
           "quota_limit", "quota_reconcile", "quota_default", "worker_control",
           "silence_create", "silence_extend", "silence_expire")  # fmt: skip
LINKED_TASKS = 20  # "Open task" links an entry offers; the rest are in its targets
MORE_MARGIN = 2  # scrolled to within this many steps of the bottom: the next page is wanted
COL_REASON = 4
COL_OUTCOME = 6


class AuditPage(QWidget):
    filters_changed = Signal(dict)  # user, action, since, until, task_id (those given)
    more_wanted = Signal()  # the user reached the bottom: the next page, please
    open_task = Signal(str)
    open_job = Signal(str)
    shown = Signal()  # the page came into view

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = AuditTableModel(self)
        self.at_end = True
        self._loaded = False  # a first page has been shown since the last clear
        self._wanting = False  # more_wanted was emitted and no answer came yet
        title = page_title(self.tr("Audit"))
        self.who = QLineEdit()
        self.who.setPlaceholderText(self.tr("Who (user name)"))
        self.who.setClearButtonEnabled(True)
        self.action = QComboBox()
        self.action.setEditable(True)
        self.action.addItem("", "")
        for code in ACTIONS:  # each action named in the user's language, filtering by its code
            self.action.addItem(action_name(code), code)
        action_edit = self.action.lineEdit()
        assert action_edit is not None  # editable
        action_edit.setPlaceholderText(self.tr("Any action"))
        self.action.setMinimumContentsLength(14)
        self.range = QComboBox()
        for text, seconds in (
            (self.tr("All time"), None),
            (self.tr("Last 1 h"), 3600),
            (self.tr("Last 24 h"), 86400),
            (self.tr("Last 7 d"), 7 * 86400),
            (self.tr("Last 30 d"), 30 * 86400),
        ):
            self.range.addItem(text, seconds)
        self.task_id = QLineEdit()
        self.task_id.setPlaceholderText(self.tr("Task id (full)"))
        self.task_id.setClearButtonEnabled(True)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(FILTER_DELAY_MS)
        self._pause.timeout.connect(self._apply)
        self.who.textChanged.connect(self._typed)
        self.action.editTextChanged.connect(self._typed)
        self.range.currentIndexChanged.connect(self._typed)
        self.task_id.textChanged.connect(self._typed)
        bar = QHBoxLayout()
        for label, widget, stretch in (
            (self.tr("Who"), self.who, 2),
            (self.tr("Action"), self.action, 1),
            (self.tr("Time"), self.range, 0),
            (self.tr("Task"), self.task_id, 3),
        ):
            caption = QLabel(label)
            caption.setBuddy(widget)
            bar.addWidget(caption)
            bar.addWidget(widget, stretch)
        self.message = QLabel("")
        self.message.setObjectName("auditMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"#auditMessage {{ color: {BAD}; font-weight: 600; }}")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.empty = QLabel("")
        self.empty.setObjectName("auditEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet(f"#auditEmpty {{ color: {NEUTRAL}; }}")
        self.empty.hide()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_OUTCOME, QHeaderView.ResizeMode.Stretch)
        # Time, who, action, targets, reason, status and job readable at 1366 px wide.
        for col, width in ((0, 150), (1, 170), (2, 110), (3, 170), (4, 220), (5, 80), (7, 90)):
            header.resizeSection(col, width)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.table.verticalScrollBar().rangeChanged.connect(lambda _low, _high: self._scrolled())
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.detail.setPlaceholderText(
            self.tr("Select an entry to see its request, targets and outcome.")
        )
        self.links = QLabel("")
        self.links.setWordWrap(True)
        self.links.setTextFormat(Qt.TextFormat.RichText)
        self.links.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.links.linkActivated.connect(self._link)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.empty)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.links)
        lower_layout.addWidget(self.detail, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

    # -- filters -------------------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        """The filters as the boxes say now; a time range ends now."""
        chosen: dict[str, Any] = {
            "user": self.who.text().strip(),
            "action": self._action_code(),
            "task_id": self.task_id.text().strip(),
        }
        window = self.range.currentData()
        if window:
            chosen["since"] = clock_now() - float(window)
        return {key: value for key, value in chosen.items() if value}

    def _action_code(self) -> str:
        """The action chosen (its code), or the text typed when it names none in the list."""
        typed = self.action.currentText().strip()
        at = self.action.findText(typed)
        return str(self.action.itemData(at)) if typed and at >= 0 else typed

    def _typed(self, *_args: Any) -> None:
        self._pause.start()

    def _apply(self) -> None:
        self._pause.stop()
        self.filters_changed.emit(self.filters())

    def set_task_filter(self, task_id: str) -> None:
        """Show the entries that acted on ``task_id``, whoever made them and whenever."""
        for box in (self.who, self.task_id):
            box.blockSignals(True)
        self.range.blockSignals(True)
        self.action.blockSignals(True)
        try:
            self.who.clear()
            self.action.setCurrentIndex(0)
            self.action.setEditText("")
            self.range.setCurrentIndex(0)
            self.task_id.setText(task_id.strip())
        finally:
            for widget in (self.who, self.task_id, self.range, self.action):
                widget.blockSignals(False)
        self._apply()

    # -- what the controller found -------------------------------------------------------

    def show_entries(self, entries: list[AuditEntry], reset: bool) -> None:
        """A page of entries: the first for the filters (``reset``), or the next, older one."""
        self._wanting = False
        self.message.hide()
        if reset:
            chosen = self.selected_entry()
            self.model.set_rows(entries)
            self._loaded = True
            kept = next((r for r, e in enumerate(entries) if chosen and e.id == chosen.id), None)
            if kept is None:  # the entry read before is not among these: nothing chosen
                self.table.scrollToTop()
                self._show_detail(None)
            else:  # read again (a refresh): the entry being read stays chosen
                self.table.selectRow(kept)
        else:
            self.model.append(entries)
        self._update_empty()
        # A page that does not fill the table cannot be scrolled: the next one is wanted now.
        QTimer.singleShot(0, self, self._scrolled)

    def set_at_end(self, at_end: bool) -> None:
        self.at_end = at_end

    def show_failure(self, text: str) -> None:
        """What went wrong loading; the entries shown stay."""
        self._wanting = False
        self.message.setText(text)
        self.message.show()

    def failure_text(self) -> str:
        """The failure shown ("" when none)."""
        return self.message.text() if not self.message.isHidden() else ""

    def clear(self) -> None:
        """Nothing shown (another profile's backend is coming); the filters stay."""
        self._pause.stop()
        self._loaded = False
        self._wanting = False
        self.at_end = True
        self.model.set_rows([])
        self.message.hide()
        self._show_detail(None)
        self._update_empty()

    def _update_empty(self) -> None:
        empty = self._loaded and self.model.rowCount() == 0
        if empty:
            self.empty.setText(
                self.tr("No audit entry matches these filters")
                if self.filters()
                else self.tr("The audit log is empty")
            )
        self.empty.setVisible(empty)

    def empty_text(self) -> str:
        """The empty-state text shown ("" while entries are shown or none was loaded)."""
        return self.empty.text() if not self.empty.isHidden() else ""

    def entries(self) -> list[AuditEntry]:
        return self.model.rows()

    # -- scrolling for more -----------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit()  # the log as it is now: entries made meanwhile, elsewhere too
        QTimer.singleShot(0, self, self._scrolled)  # a table shown unfilled wants its next page

    def _scrolled(self, *_args: Any) -> None:
        if self.at_end or self._wanting or not self._loaded or not self.table.isVisible():
            return
        bar = self.table.verticalScrollBar()
        if bar.value() >= bar.maximum() - MORE_MARGIN:
            self._wanting = True
            self.more_wanted.emit()

    # -- the selected entry in full -------------------------------------------------------

    def selected_entry(self) -> AuditEntry | None:
        index = self.table.currentIndex()
        entry = self.model.data(index, EntryRole) if index.isValid() else None
        return entry if isinstance(entry, AuditEntry) else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry = self.model.data(current, EntryRole) if current.isValid() else None
        self._show_detail(entry if isinstance(entry, AuditEntry) else None)

    def _show_detail(self, entry: AuditEntry | None) -> None:
        if entry is None:
            self.detail.clear()
            self.links.clear()
            self.links.hide()
            return
        full = {"request": entry.request, "targets": entry.targets, "outcome": entry.outcome}
        self.detail.setPlainText(json.dumps(full, indent=2, ensure_ascii=False, default=str))
        links = [
            (f"task:{task_id}", self.tr("Open task {id}").format(id=task_id))
            for task_id in task_ids(entry)[:LINKED_TASKS]
        ]
        outcome = entry.outcome if isinstance(entry.outcome, dict) else {}
        new_task = outcome.get("new_task_id")
        if new_task:
            links.append((f"task:{new_task}", self.tr("Open new task {id}").format(id=new_task)))
        job = entry.job_id or outcome.get("job_id")
        if job:
            links.append((f"job:{job}", self.tr("Open bulk job {id}").format(id=job)))
        self.links.setText(
            " · ".join(
                f'<a href="{html.escape(href)}">{html.escape(text)}</a>' for href, text in links
            )
        )
        self.links.setVisible(bool(links))

    def link_targets(self) -> list[str]:
        """The links the selected entry offers, as ``task:<id>`` / ``job:<id>``."""
        text = self.links.text() if not self.links.isHidden() else ""
        return [part.split('"', 2)[1] for part in text.split("<a href=")[1:]]

    def _link(self, href: str) -> None:
        kind, _, value = href.partition(":")
        if kind == "task" and value:
            self.open_task.emit(value)
        elif kind == "job" and value:
            self.open_job.emit(value)
