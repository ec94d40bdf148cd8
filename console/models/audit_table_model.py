"""The audit log as a table: one row per change, newest first, in the order pages arrive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, Qt
from PySide6.QtGui import QBrush, QColor

from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import number
from console.models.keyed_table_model import Column, Index, KeyedTableModel
from console.models.outcomes import outcome_label
from console.views.colours import BAD, NEUTRAL, OK, WARN
from taskdeck_core.api_types import AuditEntry

__all__ = [
    "EntryRole",
    "AuditEntry",
    "AuditTableModel",
    "action_text",
    "outcome_text",
    "task_ids",
    "targets_text",
]

CONTEXT = "AuditTableModel"
EntryRole = Qt.ItemDataRole.UserRole + 10  # the row's AuditEntry
SHOWN_IDS = 3  # task ids a row names; the rest are counted
STATUS_COLOURS = {"ok": QColor(OK), "failed": QColor(BAD), "partial": QColor(WARN),
                  "unknown": QColor(WARN), "pending": QColor(NEUTRAL)}  # fmt: skip
STATUS_TEXT = {
    "ok": QT_TRANSLATE_NOOP("AuditTableModel", "ok"),
    "failed": QT_TRANSLATE_NOOP("AuditTableModel", "failed"),
    "partial": QT_TRANSLATE_NOOP("AuditTableModel", "partial"),
    # Sent, and no answer said whether it was done (a silence Alertmanager may have made).
    "unknown": QT_TRANSLATE_NOOP("AuditTableModel", "unknown"),
    "pending": QT_TRANSLATE_NOOP("AuditTableModel", "pending"),
}
# Each action in words; the code stays in the tooltip and the filter.
ACTION_TEXT = {
    "cancel": QT_TRANSLATE_NOOP("AuditTableModel", "Cancel"),
    "retry": QT_TRANSLATE_NOOP("AuditTableModel", "Retry"),
    "priority": QT_TRANSLATE_NOOP("AuditTableModel", "Priority change"),
    "bulk_cancel": QT_TRANSLATE_NOOP("AuditTableModel", "Bulk cancel"),
    "bulk_retry": QT_TRANSLATE_NOOP("AuditTableModel", "Bulk retry"),
    "bulk_priority": QT_TRANSLATE_NOOP("AuditTableModel", "Bulk priority change"),
    "quota_limit": QT_TRANSLATE_NOOP("AuditTableModel", "Quota limit"),
    "quota_reconcile": QT_TRANSLATE_NOOP("AuditTableModel", "Quota reconciled"),
    "quota_default": QT_TRANSLATE_NOOP("AuditTableModel", "Default quota limit"),
    "worker_control": QT_TRANSLATE_NOOP("AuditTableModel", "Worker control"),
    "silence_create": QT_TRANSLATE_NOOP("AuditTableModel", "Silence created"),
    "silence_extend": QT_TRANSLATE_NOOP("AuditTableModel", "Silence extended"),
    "silence_expire": QT_TRANSLATE_NOOP("AuditTableModel", "Silence expired"),
}
# A worker control command in words (backend/api/schemas.py WorkerCommand).
COMMAND_TEXT = {
    "pool_grow": QT_TRANSLATE_NOOP("AuditTableModel", "Grow pool"),
    "pool_shrink": QT_TRANSLATE_NOOP("AuditTableModel", "Shrink pool"),
    "autoscale": QT_TRANSLATE_NOOP("AuditTableModel", "Autoscale"),
    "rate_limit": QT_TRANSLATE_NOOP("AuditTableModel", "Rate limit"),
    "time_limit": QT_TRANSLATE_NOOP("AuditTableModel", "Time limit"),
    "add_consumer": QT_TRANSLATE_NOOP("AuditTableModel", "Consume from queue"),
    "cancel_consumer": QT_TRANSLATE_NOOP("AuditTableModel", "Stop consuming from queue"),
    "shutdown": QT_TRANSLATE_NOOP("AuditTableModel", "Shut down"),
}
SILENCE_ACTIONS = frozenset({"silence_create", "silence_extend", "silence_expire"})
SHORT_ID = 8  # characters of a silence id shown
# What an action's targets are, when they are not tasks: users (a quota), the default
# limit, workers, or a silence (its id, or the matchers of one being created).
USER_ACTIONS = frozenset({"quota_limit", "quota_reconcile"})
TARGET_KINDS = {
    **dict.fromkeys(USER_ACTIONS, QT_TRANSLATE_NOOP("AuditTableModel", "user {targets}")),
    "quota_default": QT_TRANSLATE_NOOP("AuditTableModel", "the default quota limit"),
    "worker_control": QT_TRANSLATE_NOOP("AuditTableModel", "worker {targets}"),
    "silence_create": QT_TRANSLATE_NOOP("AuditTableModel", "silence of {targets}"),
    "silence_extend": QT_TRANSLATE_NOOP("AuditTableModel", "silence {targets}"),
    "silence_expire": QT_TRANSLATE_NOOP("AuditTableModel", "silence {targets}"),
}
# Actions on tasks: only their targets are task ids.
TASK_ACTIONS = frozenset({"cancel", "retry", "priority", "bulk_cancel", "bulk_retry",
                          "bulk_priority"})  # fmt: skip


def action_name(code: str) -> str:
    """An audited action's name in the user's language (its code when it has none)."""
    words = ACTION_TEXT.get(code)
    return QCoreApplication.translate("AuditTableModel", words) if words else code


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
    return ", ".join(parts) or QCoreApplication.translate("AuditTableModel", "all tasks")


def action_text(entry: AuditEntry) -> str:
    """The action in words (its code when it has none)."""
    words = ACTION_TEXT.get(entry.action)
    return QCoreApplication.translate("AuditTableModel", words) if words else entry.action


def command_text(entry: AuditEntry) -> str:
    """A worker control's command and its arguments, e.g. "Shrink pool, n=1"; "" if unknown."""
    request = entry.request if isinstance(entry.request, dict) else {}
    command = request.get("command")
    if not command:
        return ""
    words = COMMAND_TEXT.get(str(command))
    text = QCoreApplication.translate("AuditTableModel", words) if words else str(command)
    arguments = request.get("arguments")
    if isinstance(arguments, dict):
        text += "".join(f", {k}={v}" for k, v in arguments.items() if v is not None)
    return text


def targets_text(entry: AuditEntry) -> str:
    """What the entry acted on: how many tasks and the first ids, the filter, or the user
    (a worker control's command first)."""
    if entry.action not in TASK_ACTIONS:
        named = entry.targets if isinstance(entry.targets, list) else [entry.targets]
        targets = ", ".join(map(str, named)) or "—"
        kind = TARGET_KINDS.get(entry.action)
        text = (
            QCoreApplication.translate("AuditTableModel", kind).format(targets=targets)
            if kind
            else targets
        )
        command = command_text(entry) if entry.action == "worker_control" else ""
        return (
            QCoreApplication.translate("AuditTableModel", "{command} on {targets}").format(
                command=command, targets=text
            )
            if command
            else text
        )
    count = entry.target_count
    tasks = (
        QCoreApplication.translate("AuditTableModel", "1 task")
        if count == 1
        else QCoreApplication.translate("AuditTableModel", "{n} tasks").format(n=number(count))
    )
    if isinstance(entry.targets, dict) and "filter" in entry.targets:
        return QCoreApplication.translate("AuditTableModel", "{tasks} matching {filter}").format(
            tasks=tasks, filter=_filter_text(entry.targets["filter"])
        )
    ids = task_ids(entry)
    if not ids:
        return tasks
    shown = ", ".join(i[:8] for i in ids[:SHOWN_IDS])
    rest = count - min(len(ids), SHOWN_IDS)
    if rest > 0:
        shown += " " + QCoreApplication.translate("AuditTableModel", "and {n} more").format(
            n=number(rest)
        )
    return f"{tasks}: {shown}"


def _targets_tip(entry: AuditEntry) -> str | None:
    ids = task_ids(entry)
    return "\n".join(ids[:20]) if ids else targets_text(entry)


def _who(entry: AuditEntry) -> str:
    return f"{entry.user} ({entry.role})" if entry.role else entry.user


def _status(entry: AuditEntry) -> str:
    return QCoreApplication.translate(
        "AuditTableModel", STATUS_TEXT.get(entry.status, entry.status)
    )


def _workers_text(outcome: dict[str, Any]) -> str:
    """A worker control's replies counted: "2 did it, 1 refused, 1 did not reply"."""
    replies = [r for r in outcome.get("replies") or [] if isinstance(r, dict)]
    done = sum(1 for r in replies if r.get("ok"))
    parts = []
    if done or not replies:
        parts.append(
            QCoreApplication.translate("AuditTableModel", "{n} did it").format(n=number(done))
        )
    if len(replies) > done:
        parts.append(
            QCoreApplication.translate("AuditTableModel", "{n} refused").format(
                n=number(len(replies) - done)
            )
        )
    silent = len(outcome.get("no_reply") or [])
    if silent:
        parts.append(
            QCoreApplication.translate("AuditTableModel", "{n} did not reply").format(
                n=number(silent)
            )
        )
    text = ", ".join(parts)
    return f"{text} ({outcome['note']})" if outcome.get("note") else text


def _silence_text(entry: AuditEntry, outcome: dict[str, Any]) -> str:
    """A silence changed: "silence 5d1c2a3b until 2026-11-25 07:12:48"."""
    silence_id = str(outcome.get("silence_id", ""))[:SHORT_ID]
    if entry.action == "silence_expire":
        return QCoreApplication.translate("AuditTableModel", "silence {id} expired").format(
            id=silence_id
        )
    end = _epoch(outcome.get("ends_at"))
    text = QCoreApplication.translate("AuditTableModel", "silence {id} until {end}").format(
        id=silence_id, end=when(end)
    )
    previous = str(outcome.get("previous_id") or "")
    if previous and previous != outcome.get("silence_id"):
        text += " " + QCoreApplication.translate("AuditTableModel", "(replacing {id})").format(
            id=previous[:SHORT_ID]
        )
    return text


def _epoch(value: Any) -> float | None:
    """An ISO time (as the backend records it) as seconds since the epoch."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def outcome_text(entry: AuditEntry) -> str:
    """The outcome in a few words, as the backend recorded it."""
    outcome = entry.outcome
    if outcome is None:
        return (
            QCoreApplication.translate("AuditTableModel", "in progress")
            if entry.status == "pending"
            else "—"
        )
    if not isinstance(outcome, dict):
        return str(outcome)
    if "error" in outcome:
        if entry.status == "unknown":
            return QCoreApplication.translate(
                "AuditTableModel", "no answer, may have been done ({error})"
            ).format(error=outcome["error"])
        return str(outcome["error"])
    if entry.action == "worker_control" and "replies" in outcome:
        return _workers_text(outcome)
    if entry.action in SILENCE_ACTIONS and "silence_id" in outcome:
        return _silence_text(entry, outcome)
    if "outcomes" in outcome:  # a bulk job
        counts = outcome.get("outcomes") or {}
        parts = [
            f"{number(n)} {outcome_label(str(o))}"
            for o, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
        text = QCoreApplication.translate("AuditTableModel", "{done} of {total} done").format(
            done=number(outcome.get("done")), total=number(outcome.get("total"))
        )
        if outcome.get("failed"):
            text += ", " + QCoreApplication.translate("AuditTableModel", "{n} failed").format(
                n=number(outcome["failed"])
            )
        return f"{text}: {', '.join(parts)}" if parts else text
    if "outcome" in outcome:  # one task
        text = outcome_label(str(outcome["outcome"]))
        if outcome.get("new_task_id"):
            text += " " + QCoreApplication.translate("AuditTableModel", "as {id}").format(
                id=str(outcome["new_task_id"])[:8]
            )
        if outcome.get("detail"):
            text += f" ({outcome['detail']})"
        return text
    if "limit" in outcome:  # a quota's limit
        return QCoreApplication.translate(
            "AuditTableModel", "limit {limit} (was {previous})"
        ).format(limit=outcome.get("limit"), previous=outcome.get("previous_limit", "—"))
    if "released" in outcome:  # a quota reconciled
        return QCoreApplication.translate(
            "AuditTableModel", "released {released}, added {added}; {used} in use"
        ).format(
            released=outcome.get("released"), added=outcome.get("added"), used=outcome.get("used")
        )
    return ", ".join(f"{k}={v}" for k, v in outcome.items())


class AuditTableModel(KeyedTableModel[AuditEntry]):
    CONTEXT = CONTEXT
    COLUMNS: tuple[Column[AuditEntry], ...] = (
        Column(QT_TRANSLATE_NOOP("AuditTableModel", "Time"), lambda e: when(e.at), lambda e: e.at),
        Column(QT_TRANSLATE_NOOP("AuditTableModel", "Who"), _who),
        Column(QT_TRANSLATE_NOOP("AuditTableModel", "Action"), action_text, tooltip=lambda e: e.action),
        Column(QT_TRANSLATE_NOOP("AuditTableModel", "Targets"), targets_text, lambda e: e.target_count, tooltip=_targets_tip),
        Column(QT_TRANSLATE_NOOP("AuditTableModel", "Reason"), lambda e: e.reason, tooltip=lambda e: e.reason),
        Column(QT_TRANSLATE_NOOP("AuditTableModel", "Status"), _status,
               foreground=lambda e: QBrush(STATUS_COLOURS.get(e.status, QColor(NEUTRAL)))),
        Column(QT_TRANSLATE_NOOP("AuditTableModel", "Outcome"), outcome_text, tooltip=outcome_text),
        Column(QT_TRANSLATE_NOOP("AuditTableModel", "Job"), lambda e: f"{e.job_id[:8]}…" if e.job_id else "—",
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
