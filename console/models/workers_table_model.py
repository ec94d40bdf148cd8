"""Workers: status from heartbeats, active and processed tasks, pool and load."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QBrush, QColor

from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import clock, duration, number
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
    if w.status == "offline":
        return QCoreApplication.translate("WorkersTableModel", "offline for {duration}").format(
            duration=duration(w.last_heartbeat_age_s)
        )
    return QCoreApplication.translate("WorkersTableModel", STATUS_TEXT.get(w.status, w.status))


def _awaiting(w: WorkerInfo) -> str:
    """Tasks a dead process of this worker held that the broker will deliver again."""
    if not w.awaiting_redelivery:
        return "—"
    if w.awaiting_redelivery == 1:
        return QCoreApplication.translate("WorkersTableModel", "1 task at {time}").format(
            time=clock(w.redelivery_at)
        )
    return QCoreApplication.translate("WorkersTableModel", "{n} tasks at {time}").format(
        n=number(w.awaiting_redelivery), time=clock(w.redelivery_at)
    )


def _awaiting_tip(w: WorkerInfo) -> str | None:
    if not w.awaiting_redelivery:
        return None
    return QCoreApplication.translate(
        "WorkersTableModel",
        "A process of this worker died holding these tasks; the broker delivers them again "
        "to a live worker once the visibility timeout has passed since it took them "
        "(the first at {time}). Their quota slots are free until then.",
    ).format(time=clock(w.redelivery_at))


def _process(w: WorkerInfo) -> str | None:
    if w.pid is None:
        return None
    return QCoreApplication.translate(
        "WorkersTableModel", "main process {pid}, heard from since {time}"
    ).format(pid=w.pid, time=clock(w.started_at))


def _redelivered_at(w: WorkerInfo) -> datetime | None:
    if w.redelivery_at is None:
        return None
    return datetime.fromtimestamp(w.redelivery_at, UTC).astimezone()


def _heard_at(w: WorkerInfo) -> datetime:
    return datetime.fromtimestamp(w.last_heartbeat, UTC).astimezone()


def _load_over(i: int, minutes: int) -> Value[WorkerInfo]:
    return Value(
        QT_TRANSLATE_NOOP("WorkersTableModel", "Load {n} min"),
        lambda w: w.loadavg[i] if len(w.loadavg) > i else None,
        n=minutes,
    )


def _heard_ago(w: WorkerInfo) -> str:
    return QCoreApplication.translate("WorkersTableModel", "{age} ago").format(
        age=duration(w.last_heartbeat_age_s)
    )


COL_STATUS = 1


class WorkersTableModel(KeyedTableModel[WorkerInfo]):
    CONTEXT = "WorkersTableModel"
    COLUMNS: tuple[Column[WorkerInfo], ...] = (
        Column(QT_TRANSLATE_NOOP("WorkersTableModel", "Worker"), lambda w: w.hostname, tooltip=_process,
               values=(Value(QT_TRANSLATE_NOOP("WorkersTableModel", "Worker"), lambda w: w.hostname), Value(QT_TRANSLATE_NOOP("WorkersTableModel", "Process"), lambda w: w.pid))),
        Column(QT_TRANSLATE_NOOP("WorkersTableModel", "Status"), _status, lambda w: STATUS_ORDER.get(w.status, 0),
               foreground=lambda w: QBrush(STATUS_COLOURS.get(w.status, QColor(NEUTRAL))),
               values=(Value(QT_TRANSLATE_NOOP("WorkersTableModel", "Status"), lambda w: w.status),)),
        Column(QT_TRANSLATE_NOOP("WorkersTableModel", "Last heartbeat"), _heard_ago, lambda w: w.last_heartbeat_age_s, align_right=True,
               values=(Value(QT_TRANSLATE_NOOP("WorkersTableModel", "Last heartbeat"), _heard_at),)),
        Column(QT_TRANSLATE_NOOP("WorkersTableModel", "Active"), lambda w: number(w.active), lambda w: w.active, align_right=True,
               values=(Value(QT_TRANSLATE_NOOP("WorkersTableModel", "Active"), lambda w: w.active),)),
        Column(QT_TRANSLATE_NOOP("WorkersTableModel", "Processed"), lambda w: number(w.processed), lambda w: w.processed, align_right=True,
               values=(Value(QT_TRANSLATE_NOOP("WorkersTableModel", "Processed"), lambda w: w.processed),)),
        Column(QT_TRANSLATE_NOOP("WorkersTableModel", "Pool"), lambda w: w.pool or "—", values=(Value(QT_TRANSLATE_NOOP("WorkersTableModel", "Pool"), lambda w: w.pool),)),
        Column(QT_TRANSLATE_NOOP("WorkersTableModel", "Concurrency"), lambda w: number(w.concurrency), lambda w: w.concurrency or 0, align_right=True,
               values=(Value(QT_TRANSLATE_NOOP("WorkersTableModel", "Concurrency"), lambda w: w.concurrency),)),
        Column(QT_TRANSLATE_NOOP("WorkersTableModel", "Load (1/5/15 min)"), _load, lambda w: w.loadavg[0] if w.loadavg else 0.0, align_right=True,
               values=(_load_over(0, 1), _load_over(1, 5), _load_over(2, 15))),
        Column(QT_TRANSLATE_NOOP("WorkersTableModel", "Awaiting redelivery"), _awaiting, lambda w: w.awaiting_redelivery, tooltip=_awaiting_tip,
               values=(Value(QT_TRANSLATE_NOOP("WorkersTableModel", "Awaiting redelivery"), lambda w: w.awaiting_redelivery),
                       Value(QT_TRANSLATE_NOOP("WorkersTableModel", "Redelivery at"), _redelivered_at))),
    )  # fmt: skip

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda w: w.hostname, parent)
