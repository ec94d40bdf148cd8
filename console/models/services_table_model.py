"""One row per service: its connection state, latency, what it reported, and the error."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QBrush, QColor

from console.domain.service_status import Connection, ServiceKind, ServiceStatus
from console.models.format import duration, translated
from console.models.keyed_table_model import Column, KeyedTableModel, Value

COL_STATE, COL_DETAILS, COL_ADDRESS, COL_ERROR = 1, 3, 4, 5

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
    """The state in words: a service that stopped answering is down (the pages mark the
    data it gave as stale), for as long as it has not answered."""
    if status.last_ok is not None and status.last_ok.saved:
        return _tr("from the snapshot")
    if status.connection is Connection.CONNECTED:
        return _tr("connected")
    if status.connection in (Connection.STALE, Connection.DOWN):
        if status.since_ok_s is None:
            return _tr("down")
        seconds = int(status.since_ok_s)
        return _tr("down for {time}").format(
            time=f"{seconds} s" if seconds < 60 else duration(seconds)
        )
    return _tr("checking…")


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
        Column("Service", lambda s: service_label(s.kind)),
        Column("State", state_label, lambda s: list(Connection).index(s.connection),
               foreground=lambda s: QBrush(STATE_COLOURS[s.connection]), tooltip=_error),
        Column("Latency", _latency_text, _sort_latency,
               values=(Value("Latency (ms)", _latency),)),
        Column("Details", _details),
        Column("Address", lambda s: s.target),
        Column("Last error", lambda s: _error(s) or "", tooltip=_error),
    )  # fmt: skip

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda s: s.kind.value, parent)
