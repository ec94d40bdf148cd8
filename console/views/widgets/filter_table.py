"""A table view with a filter box, sorting and filtering through a proxy on native values."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.models.keyed_table_model import KeyRole, SortRole

FILTER_DELAY_MS = 300  # a filter that asks a server waits until the user stops typing


class FilterTable(QWidget):
    """``key_selected`` names the row the user chose: when another row becomes current, and
    when the current row is clicked again (to look again). Filtering never chooses for the
    user: the chosen row is hidden while it does not match, and current again once it does.

    With ``local_filter`` False the box does not filter the rows shown; its text is handed
    out through ``filter_text_changed`` (after a short pause in typing) for a search
    elsewhere, e.g. on a server over more rows than the table holds."""

    key_selected = Signal(str)
    filter_text_changed = Signal(str)

    def __init__(
        self,
        model: QAbstractItemModel,
        placeholder: str,
        stretch_column: int | None = None,
        parent: QWidget | None = None,
        select_first: bool = True,
        local_filter: bool = True,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.chosen: str | None = None  # the key the user (or the first-row default) chose
        self._select_first_row = select_first
        self._quiet = False  # the current row moves because of filtering, not the user
        self._pressed_on: str | None = None
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(SortRole)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)  # any column
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(placeholder)
        self.filter.setClearButtonEnabled(True)
        self._filter_pause = QTimer(self)
        self._filter_pause.setSingleShot(True)
        self._filter_pause.setInterval(FILTER_DELAY_MS)
        self._filter_pause.timeout.connect(
            lambda: self.filter_text_changed.emit(self.filter.text().strip())
        )
        if local_filter:
            self.filter.textChanged.connect(self._filter_locally)
        else:
            self.filter.textChanged.connect(lambda _text: self._filter_pause.start())
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if stretch_column is None:
            header.setStretchLastSection(True)
        else:
            header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        # The first row is selected as soon as there is one (when asked), so the details
        # below show something.
        self.proxy.rowsInserted.connect(self._select_first)
        self.proxy.modelReset.connect(self._forget_choice)  # other rows: nothing chosen yet
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.clicked.connect(self._clicked)
        self.table.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress:
            self._pressed_on = self.current_key()  # before the press moves the current row
        return super().eventFilter(watched, event)

    def _select_first(self) -> None:
        if not self._select_first_row or self._quiet or self.chosen is not None:
            return
        if not self.table.currentIndex().isValid() and self.proxy.rowCount() > 0:
            self.table.selectRow(0)

    def _current_changed(self) -> None:
        key = self.current_key()
        if self._quiet or not key or key == self.chosen:
            return
        self.chosen = key
        self.key_selected.emit(key)

    def _clicked(self, index: QModelIndex) -> None:
        key = str(self.proxy.data(index, KeyRole))
        if key == self._pressed_on and key == self.chosen:
            self.key_selected.emit(key)  # the same row again: look again

    def _filter_locally(self, text: str) -> None:
        self._quiet = True
        try:
            self.proxy.setFilterFixedString(text)
            self._show_chosen()
        finally:
            self._quiet = False

    def _show_chosen(self) -> None:
        """Make the chosen row current if it is shown; otherwise nothing is current."""
        row = self.row_of(self.chosen) if self.chosen is not None else None
        selection = self.table.selectionModel()
        if row is None:
            selection.clear()
        elif self.current_key() != self.chosen:
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            selection.setCurrentIndex(self.proxy.index(row, 0), flags)

    def row_of(self, key: str) -> int | None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.data(self.proxy.index(row, 0), KeyRole) == key:
                return row
        return None

    def selected_keys(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        return [str(self.proxy.data(index, KeyRole)) for index in rows]

    def current_key(self) -> str | None:
        index = self.table.currentIndex()
        return str(self.proxy.data(index, KeyRole)) if index.isValid() else None

    def _forget_choice(self) -> None:
        self.chosen = None

    def select_key(self, key: str) -> bool:
        """Choose the row of ``key`` as if the user had (the filter is cleared if it hides
        it); False when no row has that key."""
        if self.row_of(key) is None and self.filter.text():
            self.filter.clear()
        row = self.row_of(key)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.proxy.index(row, 0))
        return True

    def focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()
