"""One row per service: its connection state, latency, what it reported, and the error."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QBrush, QColor

from console.domain.service_status import Connection, ServiceKind, ServiceStatus
from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import duration, translated
from console.models.keyed_table_model import Column, KeyedTableModel, Value

COL_STATE, COL_DETAILS, COL_ADDRESS, COL_ERROR = 1, 3, 4, 5

STATE_COLOURS = {
    Connection.UNKNOWN: QColor("#808080"),
    Connection.CONNECTED: QColor("#2e7d32"),
    Connection.STALE: QColor("#ef6c00"),
    Connection.DOWN: QColor("#c62828"),
}


def service_label(kind: ServiceKind) -> str:
    return {
        ServiceKind.BROKER: QCoreApplication.translate("ServicesTableModel", "Broker (Redis)"),
        ServiceKind.BACKEND: QCoreApplication.translate("ServicesTableModel", "Backend"),
        ServiceKind.PROMETHEUS: QCoreApplication.translate("ServicesTableModel", "Prometheus"),
        ServiceKind.ALERTMANAGER: QCoreApplication.translate("ServicesTableModel", "Alertmanager"),
    }[kind]


def state_label(status: ServiceStatus) -> str:
    """The state in words: a service that stopped answering is down (the pages mark the
    data it gave as stale), for as long as it has not answered."""
    if status.last_ok is not None and status.last_ok.saved:
        return QCoreApplication.translate("ServicesTableModel", "from the snapshot")
    if status.connection is Connection.CONNECTED:
        return QCoreApplication.translate("ServicesTableModel", "connected")
    if status.connection in (Connection.STALE, Connection.DOWN):
        if status.since_ok_s is None:
            return QCoreApplication.translate("ServicesTableModel", "down")
        seconds = int(status.since_ok_s)
        return QCoreApplication.translate("ServicesTableModel", "down for {time}").format(
            time=f"{seconds} s" if seconds < 60 else duration(seconds)
        )
    return QCoreApplication.translate("ServicesTableModel", "checking…")


def _latency(s: ServiceStatus) -> float | None:
    return s.last_ok.latency_ms if s.last_ok is not None else None


def _latency_text(s: ServiceStatus) -> str:
    latency = _latency(s)
    return "—" if latency is None else f"{latency:.1f} ms"


def _sort_latency(s: ServiceStatus) -> float:
    latency = _latency(s)
    return float("inf") if latency is None else latency


def _details(s: ServiceStatus) -> str:
    return "  ·  ".join(f"{k}: {v}" for k, v in s.last_ok.facts) if s.last_ok else "—"


def _error(s: ServiceStatus) -> str | None:
    return translated(s.last_error) if s.last_error else None


class ServicesTableModel(KeyedTableModel[ServiceStatus]):
    CONTEXT = "ServicesTableModel"
    COLUMNS: tuple[Column[ServiceStatus], ...] = (
        Column(QT_TRANSLATE_NOOP("ServicesTableModel", "Service"), lambda s: service_label(s.kind)),
        Column(QT_TRANSLATE_NOOP("ServicesTableModel", "State"), state_label, lambda s: list(Connection).index(s.connection),
               foreground=lambda s: QBrush(STATE_COLOURS[s.connection]), tooltip=_error),
        Column(QT_TRANSLATE_NOOP("ServicesTableModel", "Latency"), _latency_text, _sort_latency,
               values=(Value(QT_TRANSLATE_NOOP("ServicesTableModel", "Latency (ms)"), _latency),)),
        Column(QT_TRANSLATE_NOOP("ServicesTableModel", "Details"), _details),
        Column(QT_TRANSLATE_NOOP("ServicesTableModel", "Address"), lambda s: s.target),
        Column(QT_TRANSLATE_NOOP("ServicesTableModel", "Last error"), lambda s: _error(s) or "", tooltip=_error),
    )  # fmt: skip

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda s: s.kind.value, parent)
