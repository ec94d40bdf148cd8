"""A table model whose rows are found by a stable key and updated in place.

Subclasses list their columns once; ``update_rows`` inserts new rows, removes
vanished ones and emits dataChanged only for rows whose values changed, so a
live refresh keeps the user's selection and scroll position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

R = TypeVar("R")
SortRole = Qt.ItemDataRole.UserRole + 1
KeyRole = Qt.ItemDataRole.UserRole + 2
# What an export writes: a cell's values (a list: one column can export several) and, from
# headerData, their headers. Values are numbers, aware datetimes, text, or None (unknown).
ValueRole = Qt.ItemDataRole.UserRole + 3
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Value(Generic[R]):
    """One exported value of a column: its header (translated through the model's context,
    with ``{n}`` replaced by ``n``) and how to get it from a row."""

    header: str
    get: Callable[[R], Any]
    n: int | None = None


@dataclass(frozen=True)
class Column(Generic[R]):
    header: str  # translated through the model's context
    display: Callable[[R], str]
    sort: Callable[[R], Any] | None = None  # a native value (number, time); display text if None
    align_right: bool = False
    foreground: Callable[[R], Any] | None = None
    tooltip: Callable[[R], str | None] | None = None
    # What an export writes for the column; without it, the text shown under its header.
    values: tuple[Value[R], ...] | None = None


class KeyedTableModel(QAbstractTableModel, Generic[R]):
    CONTEXT = "KeyedTableModel"
    COLUMNS: Sequence[Column[Any]] = ()

    def __init__(self, key: Callable[[R], str], parent: Any = None) -> None:
        super().__init__(parent)
        self._key = key
        self._rows: list[R] = []
        self._index: dict[str, int] = {}

    # -- updates ---------------------------------------------------------------

    def set_rows(self, rows: Sequence[R]) -> None:
        """A full reload (profile switch): resets views."""
        self.beginResetModel()
        self._rows = list(rows)
        self._reindex()
        self.endResetModel()

    def update_rows(self, rows: Sequence[R]) -> None:
        """Bring the model to ``rows`` touching only what changed."""
        wanted = {self._key(r): r for r in rows}
        for row in range(len(self._rows) - 1, -1, -1):  # removals, from the end
            if self._key(self._rows[row]) not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        self._reindex()
        for key, new in wanted.items():
            self._put(key, new)
        order = list(wanted)
        if [self._key(r) for r in self._rows] != order:
            self._reorder(order)

    def put(self, row: R) -> None:
        """Replace the row with ``row``'s key (only its cells change), or append it."""
        self._put(self._key(row), row)

    def _put(self, key: str, row: R) -> None:
        at = self._index.get(key)
        if at is None:
            end = len(self._rows)
            self.beginInsertRows(QModelIndex(), end, end)
            self._rows.append(row)
            self._index[key] = end
            self.endInsertRows()
        elif self._rows[at] != row:
            self._rows[at] = row
            self.dataChanged.emit(self.index(at, 0), self.index(at, len(self.COLUMNS) - 1))

    def _reorder(self, order: list[str]) -> None:
        """Put the rows in ``order`` (e.g. the new run order), keeping selections on their rows."""
        self.layoutAboutToBeChanged.emit()
        old = {self._key(r): n for n, r in enumerate(self._rows)}
        rank = {key: n for n, key in enumerate(order)}
        self._rows.sort(key=lambda r: rank[self._key(r)])
        self._reindex()
        columns = len(self.COLUMNS)
        moved_from, moved_to = [], []
        for key, before in old.items():
            after = self._index[key]
            if before != after:
                for column in range(columns):
                    moved_from.append(self.index(before, column))
                    moved_to.append(self.index(after, column))
        self.changePersistentIndexList(moved_from, moved_to)
        self.layoutChanged.emit()

    def _reindex(self) -> None:
        self._index = {self._key(r): n for n, r in enumerate(self._rows)}

    def row_for(self, key: str) -> R | None:
        at = self._index.get(key)
        return None if at is None else self._rows[at]

    def row_at(self, row: int) -> R:
        return self._rows[row]

    def rows(self) -> list[R]:
        return list(self._rows)

    # -- Qt's model interface ------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        column = self.COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate(self.CONTEXT, column.header)
        if role == ValueRole:
            if column.values is None:
                return [QCoreApplication.translate(self.CONTEXT, column.header)]
            return [
                QCoreApplication.translate(self.CONTEXT, v.header).format(n=v.n)
                if v.n is not None
                else QCoreApplication.translate(self.CONTEXT, v.header)
                for v in column.values
            ]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(self.COLUMNS):
            return None
        row = self._rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(row)
        if role == SortRole:
            return column.sort(row) if column.sort else column.display(row)
        if role == KeyRole:
            return self._key(row)
        if role == ValueRole:
            if column.values is None:
                return [column.display(row)]
            return [v.get(row) for v in column.values]
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column.foreground:
            return column.foreground(row)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.tooltip(row)
        return None
