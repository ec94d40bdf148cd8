"""Quotas: per user, slots used of the limit (drawn as a bar), tasks waiting and running,
and drift between the slots held and the open tasks the ledger knows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QFont

from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import number, percent
from console.models.keyed_table_model import Column, Index, KeyedTableModel, Value
from console.views.colours import BAD, OK, WARN

SaturationRole = Qt.ItemDataRole.UserRole + 10  # used / limit, a float (the bar's length)
WARN_AT = 0.7  # a bar is orange from this share of the limit
BAD_AT = 0.9  # and red from this one


@dataclass(frozen=True)
class QuotaView:
    """A user's quota as the page shows it. ``queued`` and ``running`` count the user's open
    tasks in the ledger (None: not known); ``counted_all`` is False when there were more
    open tasks than were read, so the counts are at least these."""

    user: str
    used: int
    limit: int
    drift: int
    queued: int | None = None
    running: int | None = None
    counted_all: bool = True

    @property
    def saturation(self) -> float:
        return self.used / self.limit if self.limit > 0 else 1.0

    @property
    def open_in_ledger(self) -> int:
        return self.used - self.drift


def saturation_colour(share: float) -> str:
    """Green below 70 % of the limit, orange below 90 %, red from there."""
    return OK if share < WARN_AT else WARN if share < BAD_AT else BAD


def _count(value: int | None, complete: bool) -> str:
    if value is None:
        return "—"
    return number(value) if complete else "≥ " + number(value)


def _usage(q: QuotaView) -> str:
    return QCoreApplication.translate("QuotasTableModel", "{used} / {limit}").format(
        used=number(q.used), limit=number(q.limit)
    )


def _usage_tip(q: QuotaView) -> str:
    return QCoreApplication.translate("QuotasTableModel", "{used} of {limit} slots held ({share}); a submission beyond the limit is "
               "refused").format(used=number(q.used), limit=number(q.limit),
                                 share=percent(q.saturation))  # fmt: skip


def _drift(q: QuotaView) -> str:
    return f"+{number(q.drift)}" if q.drift > 0 else number(q.drift)


def drift_tip(q: QuotaView) -> str | None:
    """Why the drift is what it is: slots held minus open tasks the ledger knows."""
    sums = QCoreApplication.translate(
        "QuotasTableModel",
        "slots held minus open tasks the ledger knows: {used} − {open} = {drift}",
    ).format(used=number(q.used), open=number(q.open_in_ledger), drift=_drift(q))
    if q.drift > 0:
        why = QCoreApplication.translate("QuotasTableModel", "{n} slots are held that no open task explains (a finished or lost task "
                  "whose slot was not freed); the user may submit fewer tasks than the limit. "
                  "Reconcile frees them.").format(n=number(q.drift))  # fmt: skip
    elif q.drift < 0:
        why = QCoreApplication.translate(
            "QuotasTableModel",
            "{n} open tasks hold no slot (a slot lost in the broker); the user may "
            "have more tasks than the limit. Reconcile takes their slots again.",
        ).format(n=number(-q.drift))
    else:
        why = QCoreApplication.translate(
            "QuotasTableModel", "The slots held are the user's open tasks."
        )
    return f"{why}\n{sums}"


def _drift_colour(q: QuotaView) -> Any:
    if q.drift == 0:
        return None
    return QColor(WARN if q.drift > 0 else BAD)


COL_USER, COL_USAGE, COL_QUEUED, COL_RUNNING, COL_DRIFT = range(5)


class QuotasTableModel(KeyedTableModel[QuotaView]):
    CONTEXT = "QuotasTableModel"
    COLUMNS: tuple[Column[QuotaView], ...] = (
        Column(QT_TRANSLATE_NOOP("QuotasTableModel", "User"), lambda q: q.user),
        Column(
            QT_TRANSLATE_NOOP("QuotasTableModel", "Used / limit"),
            _usage,
            lambda q: (q.saturation, q.used),
            tooltip=_usage_tip,
            values=(
                Value(QT_TRANSLATE_NOOP("QuotasTableModel", "Used"), lambda q: q.used),
                Value(QT_TRANSLATE_NOOP("QuotasTableModel", "Limit"), lambda q: q.limit),
            ),
        ),
        Column(
            QT_TRANSLATE_NOOP("QuotasTableModel", "Queued"),
            lambda q: _count(q.queued, q.counted_all),
            lambda q: q.queued if q.queued is not None else -1,
            align_right=True,
            tooltip=lambda q: QCoreApplication.translate(
                "QuotasTableModel",
                "Open tasks waiting: sent, received by a worker, or to be tried again",
            ),  # fmt: skip
            values=(Value(QT_TRANSLATE_NOOP("QuotasTableModel", "Queued"), lambda q: q.queued),),
        ),
        Column(
            QT_TRANSLATE_NOOP("QuotasTableModel", "Running"),
            lambda q: _count(q.running, q.counted_all),
            lambda q: q.running if q.running is not None else -1,
            align_right=True,
            values=(Value(QT_TRANSLATE_NOOP("QuotasTableModel", "Running"), lambda q: q.running),),
        ),
        Column(
            QT_TRANSLATE_NOOP("QuotasTableModel", "Drift"),
            _drift,
            lambda q: q.drift,
            align_right=True,
            foreground=_drift_colour,
            tooltip=drift_tip,
            values=(Value(QT_TRANSLATE_NOOP("QuotasTableModel", "Drift"), lambda q: q.drift),),
        ),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda q: q.user, parent)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == SaturationRole and index.isValid() and index.row() < self.rowCount():
            return self.row_at(index.row()).saturation
        if role == Qt.ItemDataRole.FontRole and index.column() == COL_DRIFT and index.isValid():
            if 0 <= index.row() < self.rowCount() and self.row_at(index.row()).drift != 0:
                font = QFont()
                font.setBold(True)
                return font
        return super().data(index, role)
