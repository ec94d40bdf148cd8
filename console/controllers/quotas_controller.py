"""The Quotas page's work: every user's slots, limit and drift, their open tasks waiting
and running, the selected user's trend, and the admin's changes (limit, reconcile).

Everything is asked of the backend off the GUI thread's time (one coroutine per request,
through a TaskOwner). The rows are read again every ``REFRESH_S``, and at once after a
change; an answer older than one already shown is dropped. Waiting and running counts
come from the ledger's open tasks (GET /api/v1/tasks per open state, not lost), as
QuotaRow carries only the slots used.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QCoreApplication, QObject, Signal

from console.controllers.tasks_controller import problem_text
from console.controllers.timers import every
from console.controllers.trend_controller import TrendController
from console.models.format import number
from console.models.quotas_table_model import QuotaView
from console.services.backend_client import BackendClient, BackendError
from console.services.prometheus_reader import MetricsSource
from console.services.quotas_client import (
    RUNNING_STATES,
    open_tasks,
    quota_default,
    quotas,
    reconcile_quota,
    set_quota_default,
    set_quota_limit,
)
from console.tasks import TaskOwner
from taskdeck_core.api_types import (
    QuotaDefault,
    QuotaDefaultChanged,
    QuotaLimitChanged,
    QuotaReconciled,
    QuotaRow,
    TaskSummary,
)

REFRESH_S = 5.0
# The slots a user holds over the last hour (docs/metrics.md: gauge, label ``user``).
QUOTA_TREND = "sum(taskdeck_quota_used{{user={value}}})"  # one series, named as the user


class QuotasController(QObject):
    rows_changed = Signal(list)  # list[QuotaView], by user
    failed = Signal(str)  # a read failed: why, in words
    changed = Signal(str)  # a change was made: what the backend answered, in words
    default_changed = Signal(object)  # QuotaDefault, or None when it could not be read

    def __init__(
        self,
        backend: BackendClient,
        prometheus: MetricsSource | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.trend = TrendController(prometheus, QUOTA_TREND, self)
        self.rows: list[QuotaView] = []
        self.default: QuotaDefault | None = None
        self._open: dict[str, list[TaskSummary]] = {}
        self._asked = 0  # reads started
        self._shown = 0  # the newest read whose answer is on screen
        self._tasks = TaskOwner()
        self._timer = every(self, int(REFRESH_S * 1000), self.refresh)

    # -- reading ---------------------------------------------------------------------

    def start(self) -> None:
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Read the rows again, unless a read is under way."""
        if not self._tasks.running("rows"):
            self._tasks.run(self.load(), key="rows")

    def open_tasks_of(self, user: str) -> list[TaskSummary]:
        """``user``'s open tasks as last read (they hold slots), newest first."""
        return list(self._open.get(user, []))

    async def load(self) -> list[QuotaView] | None:
        """Read the rows and the open tasks now; the rows shown, or None if it failed."""
        self._asked += 1
        asked = self._asked
        try:
            rows = await quotas(self.backend)
        except BackendError as exc:
            if asked > self._shown:
                self.failed.emit(
                    QCoreApplication.translate("QuotasController", "Quotas: {problem}").format(
                        problem=problem_text(exc)
                    )
                )
            return None
        opened: list[TaskSummary] | None
        try:
            opened, complete = await open_tasks(self.backend)
        except BackendError as exc:
            opened, complete = None, False
            problem = problem_text(exc)
        default: QuotaDefault | None
        try:
            default = await quota_default(self.backend)
        except BackendError:
            default = None  # an older backend, or a failure the rows' next read will say
        if asked < self._shown:
            return None  # a newer answer is on screen already
        self._shown = asked
        self.default = default
        self.default_changed.emit(default)
        views = self._views(rows, opened, complete)
        self.rows = views
        self.rows_changed.emit(views)
        if opened is None:
            self.failed.emit(QCoreApplication.translate("QuotasController", "Open tasks: {problem}; queued and running are not known.")
                             .format(problem=problem))  # fmt: skip
        return views

    def _views(
        self, rows: list[QuotaRow], opened: list[TaskSummary] | None, complete: bool
    ) -> list[QuotaView]:
        if opened is None:
            self._open = {}
            return [QuotaView(r.user, r.used, r.limit, r.drift) for r in rows]
        by_user: dict[str, list[TaskSummary]] = {}
        for task in sorted(opened, key=lambda t: -t.created_at):
            by_user.setdefault(task.user or "", []).append(task)
        self._open = by_user
        running: Counter[str] = Counter()
        queued: Counter[str] = Counter()
        for task in opened:
            (running if task.state in RUNNING_STATES else queued)[task.user or ""] += 1
        return [
            QuotaView(r.user, r.used, r.limit, r.drift, queued[r.user], running[r.user], complete)
            for r in rows
        ]

    # -- changes (admin) ---------------------------------------------------------------

    async def set_limit(self, user: str, limit: int, reason: str) -> QuotaLimitChanged:
        """Set ``user``'s limit; BackendError when the backend refuses (nothing changed)."""
        answer = await set_quota_limit(self.backend, user, limit, reason)
        self.changed.emit(limit_text(answer))
        self._reread()
        return answer

    async def set_default(self, limit: int, reason: str) -> QuotaDefaultChanged:
        """Set the default limit; BackendError when the backend refuses (nothing changed)."""
        answer = await set_quota_default(self.backend, limit, reason)
        self.changed.emit(default_text(answer))
        self._reread()
        return answer

    async def reconcile(self, user: str, reason: str) -> QuotaReconciled:
        """Make ``user``'s slots their open tasks; BackendError when the backend refuses."""
        answer = await reconcile_quota(self.backend, user, reason)
        self.changed.emit(reconcile_text(answer))
        self._reread()
        return answer

    def _reread(self) -> None:
        self._tasks.run(self.load())  # at once, even while a timed read is under way

    async def aclose(self) -> None:
        """Stop reading; a read under way is cancelled and reports nothing."""
        self._timer.stop()
        await self._tasks.aclose()
        await self.trend.aclose()


def limit_text(answer: QuotaLimitChanged) -> str:
    return QCoreApplication.translate("QuotasController", "{user}'s limit is now {limit} (was {previous}); audit entry {audit}.").format(
        user=answer.user, limit=number(answer.limit), previous=number(answer.previous_limit),
        audit=answer.audit_id,
    )  # fmt: skip


def default_text(answer: QuotaDefaultChanged) -> str:
    return QCoreApplication.translate(
        "QuotasController",
        "The default limit is now {limit} (was {previous}); audit entry {audit}.",
    ).format(
        limit=number(answer.limit), previous=number(answer.previous_limit), audit=answer.audit_id
    )


def reconcile_text(answer: QuotaReconciled) -> str:
    return QCoreApplication.translate("QuotasController", "{user} reconciled: {released} slots freed, {added} taken again; {used} used, "
              "drift {drift}; audit entry {audit}.").format(
        user=answer.user, released=number(answer.released), added=number(answer.added),
        used=number(answer.used), drift=number(answer.drift), audit=answer.audit_id,
    )  # fmt: skip
