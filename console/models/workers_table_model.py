"""Workers: status from heartbeats, active and processed tasks, pool and load."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QBrush, QColor

from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import duration, number
from console.models.keyed_table_model import Column, KeyedTableModel, Value
from console.views.colours import NEUTRAL, STATE_COLOURS
from taskdeck_core.api_types import WorkerInfo

STATUS_COLOURS = {s: QColor(STATE_COLOURS[s]) for s in ("online", "stale", "offline")}
STATUS_TEXT = {
    "online": QT_TRANSLATE_NOOP("WorkersTableModel", "online"),
    "stale": QT_TRANSLATE_NOOP("WorkersTableModel", "stale"),
}
STATUS_ORDER = {"offline": 0, "stale": 1, "online": 2}


def _load(w: WorkerInfo) -> str:
    return " / ".join(number(v, 2) for v in w.loadavg) if w.loadavg else "—"


def _status(w: WorkerInfo) -> str:
    """The status; for a dead worker, how long since it was last heard from."""
    tr = QCoreApplication.translate
    if w.status == "offline":
        return tr("WorkersTableModel", "offline for {duration}").format(
            duration=duration(w.last_heartbeat_age_s)
        )
    return tr("WorkersTableModel", STATUS_TEXT.get(w.status, w.status))


def _heard_at(w: WorkerInfo) -> datetime:
    return datetime.fromtimestamp(w.last_heartbeat, UTC).astimezone()


def _load_over(i: int, minutes: int) -> Value[WorkerInfo]:
    return Value("Load {n} min", lambda w: w.loadavg[i] if len(w.loadavg) > i else None, n=minutes)


COL_STATUS = 1


class WorkersTableModel(KeyedTableModel[WorkerInfo]):
    CONTEXT = "WorkersTableModel"
    COLUMNS: tuple[Column[WorkerInfo], ...] = (
        Column("Worker", lambda w: w.hostname),
        Column("Status", _status, lambda w: STATUS_ORDER.get(w.status, 0),
               foreground=lambda w: QBrush(STATUS_COLOURS.get(w.status, QColor(NEUTRAL))),
               values=(Value("Status", lambda w: w.status),)),
        Column("Last heartbeat", lambda w: f"{duration(w.last_heartbeat_age_s)} ago", lambda w: w.last_heartbeat_age_s, align_right=True,
               values=(Value("Last heartbeat", _heard_at),)),
        Column("Active", lambda w: number(w.active), lambda w: w.active, align_right=True,
               values=(Value("Active", lambda w: w.active),)),
        Column("Processed", lambda w: number(w.processed), lambda w: w.processed, align_right=True,
               values=(Value("Processed", lambda w: w.processed),)),
        Column("Pool", lambda w: w.pool or "—", values=(Value("Pool", lambda w: w.pool),)),
        Column("Concurrency", lambda w: number(w.concurrency), lambda w: w.concurrency or 0, align_right=True,
               values=(Value("Concurrency", lambda w: w.concurrency),)),
        Column("Load (1/5/15 min)", _load, lambda w: w.loadavg[0] if w.loadavg else 0.0, align_right=True,
               values=(_load_over(0, 1), _load_over(1, 5), _load_over(2, 15))),
    )  # fmt: skip

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda w: w.hostname, parent)
