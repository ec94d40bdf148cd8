"""The Tasks page's table: the ledger's tasks newest first, paged as the user scrolls.

Rows come from :class:`TaskPages`; a row whose page is not in memory shows a
placeholder and the model asks for the page (``pages_wanted``) when the view says the
row is on screen. Reaching the bottom asks for the next page (``more_wanted``)
through Qt's own fetchMore, so there are no page buttons.
"""

from __future__ import annotations

import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from console.domain.task_pages import TaskPages
from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import duration, number
from console.models.keyed_table_model import Column, KeyRole, SortRole, Value, ValueRole
from console.views.colours import BAD, INFO, NEUTRAL, OK, WARN
from taskdeck_core.api_types import TaskSummary

Index = QModelIndex | QPersistentModelIndex
TaskRole = Qt.ItemDataRole.UserRole + 10
STATE_COLOURS = {
    "PENDING": NEUTRAL, "RECEIVED": NEUTRAL, "STARTED": INFO, "RETRY": WARN,
    "SUCCESS": OK, "FAILURE": BAD, "REVOKED": WARN, "REJECTED": BAD,
}  # fmt: skip
STATE_TEXT = {
    "PENDING": QT_TRANSLATE_NOOP("TasksTableModel", "waiting"),
    "RECEIVED": QT_TRANSLATE_NOOP("TasksTableModel", "received"),
    "STARTED": QT_TRANSLATE_NOOP("TasksTableModel", "running"),
    "RETRY": QT_TRANSLATE_NOOP("TasksTableModel", "retrying"),
    "SUCCESS": QT_TRANSLATE_NOOP("TasksTableModel", "succeeded"),
    "FAILURE": QT_TRANSLATE_NOOP("TasksTableModel", "failed"),
    "REVOKED": QT_TRANSLATE_NOOP("TasksTableModel", "cancelled"),
    "REJECTED": QT_TRANSLATE_NOOP("TasksTableModel", "rejected"),
}
PLACEHOLDER = "…"


def state_text(state: str) -> str:
    return QCoreApplication.translate("TasksTableModel", STATE_TEXT.get(state, state))


def when(epoch: float | None) -> str:
    """Local date and time to the second (support staff compare them with logs)."""
    if epoch is None:
        return "—"
    return datetime.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")


def _aware(epoch: float | None) -> datetime.datetime | None:
    return None if epoch is None else datetime.datetime.fromtimestamp(epoch, datetime.UTC)


def _runtime(t: TaskSummary) -> str:
    if t.runtime is not None:
        return duration(t.runtime)
    if t.redelivery_at is not None and t.state in ("RECEIVED", "STARTED"):
        return QCoreApplication.translate("TasksTableModel", "worker gone")
    if t.state == "STARTED":
        return QCoreApplication.translate("TasksTableModel", "running")
    return "—"


def _state_tip(t: TaskSummary) -> str | None:
    if t.state == "FAILURE" and (t.exc_type or t.exc_message):
        return f"{t.exc_type or ''}: {t.exc_message or ''}".strip(": ")
    if t.lost_reason:
        return t.lost_reason
    if t.redelivery_reason:  # its worker died holding it: the broker delivers it again
        return t.redelivery_reason
    return None


COLUMNS: tuple[Column[TaskSummary], ...] = (
    Column(QT_TRANSLATE_NOOP("TasksTableModel", "Task id"), lambda t: t.task_id,
           tooltip=lambda t: t.task_id),
    Column(QT_TRANSLATE_NOOP("TasksTableModel", "Task"), lambda t: t.name or "—"),
    Column(QT_TRANSLATE_NOOP("TasksTableModel", "User"), lambda t: t.user or "—"),
    Column(QT_TRANSLATE_NOOP("TasksTableModel", "Queue"), lambda t: t.queue or "—"),
    Column(QT_TRANSLATE_NOOP("TasksTableModel", "Priority"),
           lambda t: number(t.priority) if t.priority is not None else "—",
           sort=lambda t: t.priority, align_right=True),
    Column(QT_TRANSLATE_NOOP("TasksTableModel", "State"), lambda t: state_text(t.state),
           foreground=lambda t: QColor(STATE_COLOURS.get(t.state, NEUTRAL)), tooltip=_state_tip,
           values=(Value(QT_TRANSLATE_NOOP("TasksTableModel", "State"), lambda t: t.state),)),
    Column(QT_TRANSLATE_NOOP("TasksTableModel", "Received"), lambda t: when(t.created_at),
           sort=lambda t: t.created_at,
           values=(Value(QT_TRANSLATE_NOOP("TasksTableModel", "Received"),
                         lambda t: _aware(t.created_at)),)),
    Column(QT_TRANSLATE_NOOP("TasksTableModel", "Runtime"), _runtime,
           sort=lambda t: t.runtime, align_right=True,
           values=(Value(QT_TRANSLATE_NOOP("TasksTableModel", "Runtime (s)"),
                         lambda t: t.runtime),)),
    Column(QT_TRANSLATE_NOOP("TasksTableModel", "Worker"), lambda t: t.hostname or "—"),
    Column(QT_TRANSLATE_NOOP("TasksTableModel", "Retries"), lambda t: number(t.retries),
           sort=lambda t: t.retries, align_right=True),
)  # fmt: skip
COL_STATE = 5
COL_RECEIVED = 6
COL_WORKER = 8


class TasksTableModel(QAbstractTableModel):
    pages_wanted = Signal(list)  # page numbers whose rows are on screen but not in memory
    more_wanted = Signal()  # the view reached the bottom: the next page, please

    def __init__(self, pages: TaskPages | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.pages = pages or TaskPages()
        self.loading_more = False
        self._mono = QFont("monospace")
        self._mono.setStyleHint(QFont.StyleHint.Monospace)
        self._brushes: dict[str, QBrush] = {}

    # -- Qt's model ---------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.pages.row_count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("TasksTableModel", COLUMNS[section].header)
        if role == Qt.ItemDataRole.ToolTipRole and section == COL_RECEIVED:
            return QCoreApplication.translate("TasksTableModel", "Newest first")
        if role == ValueRole:
            column = COLUMNS[section]
            heads = column.values or (Value(column.header, column.display),)
            return [QCoreApplication.translate("TasksTableModel", v.header) for v in heads]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        task = self.pages.row(index.row())
        column = COLUMNS[index.column()]
        if task is None:
            if role == Qt.ItemDataRole.DisplayRole:
                return PLACEHOLDER
            if role == Qt.ItemDataRole.ForegroundRole:
                return self._brush(NEUTRAL)
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(task)
        if role == Qt.ItemDataRole.ForegroundRole and column.foreground is not None:
            colour = column.foreground(task)
            return self._brush(colour.name()) if isinstance(colour, QColor) else colour
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(task)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and index.column() == 0:
            return self._mono
        if role == KeyRole:
            return task.task_id
        if role == TaskRole:
            return task
        if role == SortRole:
            return column.sort(task) if column.sort is not None else column.display(task)
        if role == ValueRole:
            if column.values is None:
                return [column.display(task)]
            return [v.get(task) for v in column.values]
        return None

    def _brush(self, colour: str) -> QBrush:
        brush = self._brushes.get(colour)
        if brush is None:
            brush = self._brushes[colour] = QBrush(QColor(colour))
        return brush

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return (
            not parent.isValid()
            and not self.loading_more
            and self.pages.loaded_first_page
            and self.pages.next_page() is not None
        )

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self.loading_more = True
            self.more_wanted.emit()

    # -- what the controller and the view tell it --------------------------------------

    def reset(self) -> None:
        self.beginResetModel()
        self.pages.reset()
        self.loading_more = False
        self.endResetModel()

    def put_page(self, page: int, items: list[TaskSummary], next_cursor: str | None) -> None:
        """A page the backend answered: new rows at the bottom, or a page read again."""
        if page == self.pages.next_page_number:
            self.loading_more = False
            count = len(self.pages.fresh_rows(items))
            if count:
                first = self.pages.row_count
                self.beginInsertRows(QModelIndex(), first, first + count - 1)
                self.pages.put_page(page, items, next_cursor)
                self.endInsertRows()
            else:
                self.pages.put_page(page, items, next_cursor)
            return
        change = self.pages.put_page(page, items, next_cursor)
        if change is not None:
            _kind, first, last = change
            self._changed(first, last)

    def _changed(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    def changed_rows(self, rows: list[int]) -> None:
        """Rows whose task changed in place (events, a fresh copy of the top)."""
        if rows:
            self._changed(min(rows), max(rows))

    def merge_top(self, items: list[TaskSummary]) -> int:
        """The query's newest tasks now: rows shown take the fresh copy, newer tasks are
        inserted at the top. Returns how many were inserted."""
        new, rows = self.pages.merge_top(items)
        if new:
            self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
            self.pages.insert_head(new)
            self.endInsertRows()
        self.changed_rows([r + len(new) for r in rows])
        return len(new)

    def apply_events(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Celery events merged into the rows in memory; returns those of tasks not in
        memory (the controller decides whether they mean new rows)."""
        rows: list[int] = []
        unknown: list[dict[str, Any]] = []
        for event in events:
            row = self.pages.apply_event(event)
            if row is not None:
                rows.append(row)
            elif not self.pages.knows(str(event.get("uuid", ""))):
                unknown.append(event)
        self.changed_rows(rows)
        return unknown

    def want_rows(self, first: int, last: int) -> None:
        """Rows ``first``..``last`` are on screen: ask for the pages not in memory."""
        missing = self.pages.missing_pages(first, last)
        if missing:
            self.pages_wanted.emit(missing)

    def task_at(self, row: int) -> TaskSummary | None:
        return self.pages.row(row)
