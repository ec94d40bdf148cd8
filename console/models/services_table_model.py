"""One row per service: its connection state, latency, what it reported, and the error."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from console.domain.service_status import Connection, ServiceKind, ServiceStatus

COL_SERVICE, COL_STATE, COL_LATENCY, COL_DETAILS, COL_ADDRESS, COL_ERROR = range(6)
SortRole = Qt.ItemDataRole.UserRole + 1

STATE_COLOURS = {
    Connection.UNKNOWN: QColor("#808080"),
    Connection.CONNECTED: QColor("#2e7d32"),
    Connection.STALE: QColor("#ef6c00"),
    Connection.DOWN: QColor("#c62828"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("ServicesTableModel", text)


def service_label(kind: ServiceKind) -> str:
    return {
        ServiceKind.BROKER: _tr("Broker (Redis)"),
        ServiceKind.BACKEND: _tr("Backend"),
        ServiceKind.PROMETHEUS: _tr("Prometheus"),
        ServiceKind.ALERTMANAGER: _tr("Alertmanager"),
    }[kind]


def state_label(status: ServiceStatus) -> str:
    if status.connection is Connection.CONNECTED:
        return _tr("connected")
    if status.connection is Connection.STALE:
        return _tr("stale for {seconds} s").format(seconds=int(status.since_ok_s or 0))
    if status.connection is Connection.DOWN:
        return _tr("down")
    return _tr("checking…")


class ServicesTableModel(QAbstractTableModel):
    _HEADERS = ("Service", "State", "Latency", "Details", "Address", "Last error")

    def __init__(self, statuses: list[ServiceStatus], parent: Any = None) -> None:
        super().__init__(parent)
        self._rows = list(statuses)

    def set_rows(self, statuses: list[ServiceStatus]) -> None:
        self.beginResetModel()
        self._rows = list(statuses)
        self.endResetModel()

    def update(self, status: ServiceStatus) -> None:
        """Replace the row of ``status.kind`` and signal only that row's change."""
        for row, old in enumerate(self._rows):
            if old.kind is status.kind:
                self._rows[row] = status
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self._HEADERS) - 1))
                return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(status)
        self.endInsertRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(self._HEADERS):
                return _tr(self._HEADERS[section])
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        status = self._rows[index.row()]
        col = index.column()
        last = status.last_ok
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_SERVICE:
                return service_label(status.kind)
            if col == COL_STATE:
                return state_label(status)
            if col == COL_LATENCY:
                return f"{last.latency_ms:.1f} ms" if last and last.latency_ms is not None else "—"
            if col == COL_DETAILS:
                return "  ·  ".join(f"{k}: {v}" for k, v in last.facts) if last else "—"
            if col == COL_ADDRESS:
                return status.target
            if col == COL_ERROR:
                return status.last_error or ""
        elif role == Qt.ItemDataRole.ForegroundRole and col == COL_STATE:
            return QBrush(STATE_COLOURS[status.connection])
        elif role == Qt.ItemDataRole.ToolTipRole and col in (COL_STATE, COL_ERROR):
            return status.last_error or None
        elif role == SortRole:
            if col == COL_LATENCY:
                return last.latency_ms if last and last.latency_ms is not None else float("inf")
            if col == COL_STATE:
                return list(Connection).index(status.connection)
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        return None
