"""The audit log as a table: one row per change, newest first, in the order pages arrive."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, Qt
from PySide6.QtGui import QBrush, QColor

from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import number
from console.models.keyed_table_model import Column, Index, KeyedTableModel
from console.views.colours import BAD, NEUTRAL, OK, WARN
from taskdeck_core.api_types import AuditEntry

__all__ = ["EntryRole", "AuditEntry", "AuditTableModel", "task_ids", "targets_text"]

CONTEXT = "AuditTableModel"
EntryRole = Qt.ItemDataRole.UserRole + 10  # the row's AuditEntry
SHOWN_IDS = 3  # task ids a row names; the rest are counted
STATUS_COLOURS = {"ok": QColor(OK), "failed": QColor(BAD), "partial": QColor(WARN),
                  "pending": QColor(NEUTRAL)}  # fmt: skip
STATUS_TEXT = {
    "ok": QT_TRANSLATE_NOOP(CONTEXT, "ok"),
    "failed": QT_TRANSLATE_NOOP(CONTEXT, "failed"),
    "partial": QT_TRANSLATE_NOOP(CONTEXT, "partial"),
    "pending": QT_TRANSLATE_NOOP(CONTEXT, "pending"),
}
# What an action's targets are, when they are not tasks: users (a quota), the default
# limit, workers, or a silence (its id, or the matchers of one being created).
USER_ACTIONS = frozenset({"quota_limit", "quota_reconcile"})
TARGET_KINDS = {
    **dict.fromkeys(USER_ACTIONS, QT_TRANSLATE_NOOP(CONTEXT, "user {targets}")),
    "quota_default": QT_TRANSLATE_NOOP(CONTEXT, "the default quota limit"),
    "worker_control": QT_TRANSLATE_NOOP(CONTEXT, "worker {targets}"),
    "silence_create": QT_TRANSLATE_NOOP(CONTEXT, "silence of {targets}"),
    "silence_extend": QT_TRANSLATE_NOOP(CONTEXT, "silence {targets}"),
    "silence_expire": QT_TRANSLATE_NOOP(CONTEXT, "silence {targets}"),
}
# Actions on tasks: only their targets are task ids.
TASK_ACTIONS = frozenset({"cancel", "retry", "priority", "bulk_cancel", "bulk_retry",
                          "bulk_priority"})  # fmt: skip


def _tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def when(epoch: float | None) -> str:
    """Local date and time, to the second."""
    if epoch is None:
        return "—"
    moment = QDateTime.fromMSecsSinceEpoch(round(epoch * 1000))
    return QLocale().toString(moment, "yyyy-MM-dd HH:mm:ss")


def task_ids(entry: AuditEntry) -> list[str]:
    """The tasks an entry names one by one (none for a bulk job over a filter or a quota)."""
    if entry.action not in TASK_ACTIONS or not isinstance(entry.targets, list):
        return []
    return [str(t) for t in entry.targets]


def _filter_text(selection: Any) -> str:
    if not isinstance(selection, dict):
        return str(selection)
    parts = []
    for key, value in selection.items():
        if value is None or value == "":
            continue
        shown = (
            when(value) if key in ("since", "until") and isinstance(value, int | float) else value
        )
        parts.append(f"{key}={shown}")
    return ", ".join(parts) or _tr("all tasks")


def targets_text(entry: AuditEntry) -> str:
    """What the entry acted on: how many tasks and the first ids, the filter, or the user."""
    if entry.action not in TASK_ACTIONS:
        named = entry.targets if isinstance(entry.targets, list) else [entry.targets]
        targets = ", ".join(map(str, named)) or "—"
        kind = TARGET_KINDS.get(entry.action)
        return _tr(kind).format(targets=targets) if kind else targets
    count = entry.target_count
    tasks = _tr("1 task") if count == 1 else _tr("{n} tasks").format(n=number(count))
    if isinstance(entry.targets, dict) and "filter" in entry.targets:
        return _tr("{tasks} matching {filter}").format(
            tasks=tasks, filter=_filter_text(entry.targets["filter"])
        )
    ids = task_ids(entry)
    if not ids:
        return tasks
    shown = ", ".join(i[:8] for i in ids[:SHOWN_IDS])
    rest = count - min(len(ids), SHOWN_IDS)
    if rest > 0:
        shown += " " + _tr("and {n} more").format(n=number(rest))
    return f"{tasks}: {shown}"


def _targets_tip(entry: AuditEntry) -> str | None:
    ids = task_ids(entry)
    return "\n".join(ids[:20]) if ids else targets_text(entry)


def _who(entry: AuditEntry) -> str:
    return f"{entry.user} ({entry.role})" if entry.role else entry.user


def _status(entry: AuditEntry) -> str:
    return _tr(STATUS_TEXT.get(entry.status, entry.status))


def outcome_text(entry: AuditEntry) -> str:
    """The outcome in a few words, as the backend recorded it."""
    outcome = entry.outcome
    if outcome is None:
        return _tr("in progress") if entry.status == "pending" else "—"
    if not isinstance(outcome, dict):
        return str(outcome)
    if "error" in outcome:
        return str(outcome["error"])
    if "outcomes" in outcome:  # a bulk job
        counts = outcome.get("outcomes") or {}
        parts = [
            f"{number(n)} {str(o).replace('_', ' ')}"
            for o, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
        text = _tr("{done} of {total} done").format(
            done=number(outcome.get("done")), total=number(outcome.get("total"))
        )
        if outcome.get("failed"):
            text += ", " + _tr("{n} failed").format(n=number(outcome["failed"]))
        return f"{text}: {', '.join(parts)}" if parts else text
    if "outcome" in outcome:  # one task
        text = str(outcome["outcome"]).replace("_", " ")
        if outcome.get("new_task_id"):
            text += " " + _tr("as {id}").format(id=str(outcome["new_task_id"])[:8])
        if outcome.get("detail"):
            text += f" ({outcome['detail']})"
        return text
    if "limit" in outcome:  # a quota's limit
        return _tr("limit {limit} (was {previous})").format(
            limit=outcome.get("limit"), previous=outcome.get("previous_limit", "—")
        )
    if "released" in outcome:  # a quota reconciled
        return _tr("released {released}, added {added}; {used} in use").format(
            released=outcome.get("released"), added=outcome.get("added"), used=outcome.get("used")
        )
    return ", ".join(f"{k}={v}" for k, v in outcome.items())


class AuditTableModel(KeyedTableModel[AuditEntry]):
    CONTEXT = CONTEXT
    COLUMNS: tuple[Column[AuditEntry], ...] = (
        Column("Time", lambda e: when(e.at), lambda e: e.at),
        Column("Who", _who),
        Column("Action", lambda e: e.action),
        Column("Targets", targets_text, lambda e: e.target_count, tooltip=_targets_tip),
        Column("Reason", lambda e: e.reason, tooltip=lambda e: e.reason),
        Column("Status", _status,
               foreground=lambda e: QBrush(STATUS_COLOURS.get(e.status, QColor(NEUTRAL)))),
        Column("Outcome", outcome_text, tooltip=outcome_text),
        Column("Job", lambda e: f"{e.job_id[:8]}…" if e.job_id else "—",
               tooltip=lambda e: e.job_id),
    )  # fmt: skip

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda e: str(e.id), parent)

    def append(self, entries: Sequence[AuditEntry]) -> None:
        """A further page: its entries after those shown (an entry shown already is updated)."""
        for entry in entries:
            self.put(entry)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == EntryRole:
            if not index.isValid() or not 0 <= index.row() < self.rowCount():
                return None
            return self.row_at(index.row())
        return super().data(index, role)
