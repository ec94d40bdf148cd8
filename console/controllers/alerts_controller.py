"""The Alerts page's work: Alertmanager's alert groups and silences, read every
``REFRESH_S`` (and at once after a change), the critical alerts new to the console for
the desktop notifications, and an admin's silences (created, extended, expired through
the backend, which audits them).

Reading goes straight to Alertmanager, off the GUI thread's time. When it fails, what was
read last stays, the page is told how old it is, and the next read comes after a growing
pause (the refresh interval doubled per failure, at most ``max_backoff_s``); the first read
that succeeds brings the normal pace back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from console.controllers.tasks_controller import problem_text
from console.domain.clock import now as clock_now
from console.models.alerts import (
    AlertGroupView,
    AlertView,
    SilenceView,
    groups_from_api,
    silences_from_api,
)
from console.models.format import moment
from console.services.alertmanager_client import AlertmanagerClient, AlertmanagerError
from console.services.backend_client import BackendClient, BackendError
from console.services.silences_client import create_silence, expire_silence, extend_silence
from console.tasks import TaskOwner
from taskdeck_core.silence_types import (
    SilenceCreated,
    SilenceExpired,
    SilenceExtended,
    SilenceMatcher,
)

REFRESH_S = 10.0
MAX_BACKOFF_S = 120.0
# Codes of a change sent and not answered: the backend's Alertmanager did not answer it, or
# the backend did not (BackendClient's codes); it may have been made.
MAYBE_MADE = frozenset({"alertmanager_timeout", "timeout", "no_answer"})
T = TypeVar("T")


class AlertsController(QObject):
    groups_changed = Signal(list)  # list[AlertGroupView], as Alertmanager groups them
    silences_changed = Signal(list)  # list[SilenceView], expired ones included
    # A read failed: why, in words; when the data shown was read (0.0: never); seconds
    # until the next try.
    failed = Signal(str, float, float)
    read_ok = Signal(float)  # a read succeeded at this time: what is shown is current
    changed = Signal(str)  # a silence was changed: what the backend answered, in words
    critical_fired = Signal(object)  # AlertView: a critical alert firing anew

    def __init__(
        self,
        alertmanager: AlertmanagerClient,
        backend: BackendClient,
        refresh_s: float = REFRESH_S,
        max_backoff_s: float = MAX_BACKOFF_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.alertmanager = alertmanager
        self.backend = backend
        self.refresh_s = refresh_s
        self.max_backoff_s = max(refresh_s, max_backoff_s)
        self.groups: list[AlertGroupView] = []
        self.silences: list[SilenceView] = []
        self.read_at = 0.0  # when what is shown was read; 0.0: never
        self.failures = 0  # reads failed in a row
        self.notifications = True
        self._notified: set[str] = set()  # critical firings already told, while they last
        self._asked = 0
        self._shown = 0
        self._tasks = TaskOwner()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        self._started = False

    # -- reading ---------------------------------------------------------------------

    def start(self) -> None:
        """Read now, then every ``refresh_s`` (started once; a second call reads now)."""
        self._started = True
        self.refresh()

    def refresh(self) -> None:
        """Read again now, unless a read is under way."""
        if not self._tasks.running("read"):
            self._tasks.run(self.load(), key="read")

    def set_notifications(self, on: bool) -> None:
        """Whether critical alerts firing anew are announced (``critical_fired``)."""
        self.notifications = on

    def next_delay_s(self) -> float:
        if self.failures == 0:
            return self.refresh_s
        return min(self.max_backoff_s, self.refresh_s * 2 ** min(self.failures, 10))

    async def load(self) -> bool:
        """Read the groups and the silences now; True when both were read."""
        self._asked += 1
        asked = self._asked
        try:
            raw_groups, raw_silences = await asyncio.gather(
                self.alertmanager.groups(), self.alertmanager.silences()
            )
        except AlertmanagerError as exc:
            if asked > self._shown:
                self.failures += 1
                self._schedule()
                problem = QCoreApplication.translate(
                    "AlertsController", "Alertmanager is not reachable ({error})."
                ).format(error=exc)
                self.failed.emit(problem, self.read_at, self.next_delay_s())
            return False
        if asked < self._shown:
            return False  # a newer answer is on screen already
        self._shown = asked
        self.failures = 0
        self._schedule()
        self.read_at = clock_now()
        self.groups = groups_from_api(raw_groups)
        self.silences = silences_from_api(raw_silences)
        self.groups_changed.emit(self.groups)
        self.silences_changed.emit(self.silences)
        self.read_ok.emit(self.read_at)
        self._announce(self.groups)
        return True

    def _schedule(self) -> None:
        if self._started and not self._tasks.closed:
            self._timer.start(int(self.next_delay_s() * 1000))

    def _announce(self, groups: list[AlertGroupView]) -> None:
        """Each critical alert firing (neither silenced nor inhibited) is announced once per
        firing: not again while it fires, again when it fires anew after it resolved."""
        present: set[str] = set()
        for group in groups:
            for alert in group.alerts:
                present.add(alert.key)
                if alert.severity != "critical" or alert.state != "active":
                    continue
                if alert.key in self._notified:
                    continue
                self._notified.add(alert.key)
                if self.notifications:
                    self.critical_fired.emit(alert)
        self._notified &= present  # a firing gone (resolved) is forgotten

    def alert(self, key: str) -> AlertView | None:
        return next((a for g in self.groups for a in g.alerts if a.key == key), None)

    # -- changes (admin, through the backend) -------------------------------------------

    async def create(
        self, matchers: list[SilenceMatcher], ends_at: datetime, comment: str
    ) -> SilenceCreated:
        """Create a silence; BackendError when the backend refuses (nothing created) or
        cannot tell whether it was created (``maybe_made``: the silences are read again)."""
        answer = await self._changing(create_silence(self.backend, matchers, ends_at, comment))
        self.changed.emit(created_text(answer))
        self._reread()
        return answer

    async def extend(self, silence_id: str, ends_at: datetime, reason: str) -> SilenceExtended:
        """Give a silence a new end; BackendError when the backend refuses."""
        answer = await self._changing(extend_silence(self.backend, silence_id, ends_at, reason))
        self.changed.emit(extended_text(answer))
        self._reread()
        return answer

    async def expire(self, silence_id: str, reason: str) -> SilenceExpired:
        """End a silence now; BackendError when the backend refuses."""
        answer = await self._changing(expire_silence(self.backend, silence_id, reason))
        self.changed.emit(expired_text(answer))
        self._reread()
        return answer

    async def _changing(self, call: Awaitable[T]) -> T:
        """Await a change; when it may have been made without an answer, read again."""
        try:
            return await call
        except BackendError as exc:
            if maybe_made(exc):
                self._reread()
            raise

    def _reread(self) -> None:
        self._tasks.run(self.load())  # at once, even while a timed read is under way

    async def aclose(self) -> None:
        """Stop reading; a read under way is cancelled and reports nothing."""
        self._timer.stop()
        await self._tasks.aclose()


def _when(at: datetime) -> str:
    return moment(at.timestamp())


def maybe_made(exc: BackendError) -> bool:
    """The change was sent to Alertmanager, which did not say whether it made it."""
    return exc.code in MAYBE_MADE or exc.status == 504


def created_text(answer: SilenceCreated) -> str:
    return QCoreApplication.translate("AlertsController", "Silence {id} created by {user}, in force until {end}; audit entry {audit}.").format(
        id=answer.silence_id, user=answer.created_by, end=_when(answer.ends_at),
        audit=answer.audit_id,
    )  # fmt: skip


def extended_text(answer: SilenceExtended) -> str:
    if answer.silence_id == answer.previous_id:
        return QCoreApplication.translate(
            "AlertsController", "Silence {id} extended until {end}; audit entry {audit}."
        ).format(id=answer.silence_id, end=_when(answer.ends_at), audit=answer.audit_id)
    return QCoreApplication.translate("AlertsController", "Silence extended until {end}: {id} now in force (replacing {previous}); "
              "audit entry {audit}.").format(
        end=_when(answer.ends_at), id=answer.silence_id, previous=answer.previous_id,
        audit=answer.audit_id,
    )  # fmt: skip


def expired_text(answer: SilenceExpired) -> str:
    return QCoreApplication.translate(
        "AlertsController", "Silence {id} expired; audit entry {audit}."
    ).format(id=answer.silence_id, audit=answer.audit_id)


def refusal_text(exc: BackendError) -> str:
    """Why the backend refused a silence change, in words; nothing was changed."""
    if exc.code == "alertmanager_not_configured":
        return QCoreApplication.translate("AlertsController", "The backend has no Alertmanager configured, so it cannot change silences "
                  "({detail}); nothing was changed.").format(detail=exc.detail)  # fmt: skip
    if maybe_made(exc):
        who = (
            QCoreApplication.translate("AlertsController", "Alertmanager")
            if exc.code == "alertmanager_timeout"
            else QCoreApplication.translate("AlertsController", "The backend")
        )
        return QCoreApplication.translate("AlertsController", "{who} got the change but did not answer in time, so it may have been made: "
                  "the silences list is read again; look there before trying again "
                  "({detail}).").format(who=who, detail=exc.detail)  # fmt: skip
    if exc.code == "alertmanager_unavailable" or exc.status in (502, 503):
        return QCoreApplication.translate("AlertsController", "Alertmanager is not reachable from the backend; nothing was changed. "
                  "Try again once it is back ({detail}).").format(detail=exc.detail)  # fmt: skip
    if exc.status == 403:
        return QCoreApplication.translate("AlertsController", "Only an admin can create, extend or expire silences; the backend refused "
                  "this profile's token ({detail}). Nothing was changed.").format(
            detail=exc.detail)  # fmt: skip
    if exc.status in (400, 404, 409, 422):
        return QCoreApplication.translate(
            "AlertsController", "The backend refused it: {detail}. Nothing was changed."
        ).format(detail=exc.detail)
    if exc.status is None:
        return QCoreApplication.translate(
            "AlertsController", "The backend is not reachable ({detail}); nothing was changed."
        ).format(detail=exc.detail)
    return QCoreApplication.translate(
        "AlertsController", "The backend refused (HTTP {status}): {problem}. Nothing was changed."
    ).format(status=exc.status, problem=problem_text(exc))
