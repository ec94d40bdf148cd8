"""Keeps the connection state of the four services current."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from console.controllers.timers import every
from console.domain.service_status import ServiceKind, ServiceStatus
from console.services.probes import Prober
from console.tasks import TaskOwner

POLL_INTERVAL_MS = 2000
# A failing service is checked again at least this often: seen back within about 10 s of
# its return (this, one timer interval and one check), however long it was down.
MAX_BACKOFF_S = 5.0
STALE_LIMIT_S = 60.0


class ConnectionsController(QObject):
    """Probes each service on a timer, backing off from one that fails.

    ``status_changed`` is emitted only when a service's status differs from the
    last one emitted.
    """

    status_changed = Signal(object)  # ServiceStatus

    def __init__(
        self, prober: Prober, targets: dict[ServiceKind, str], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._prober = prober
        self._status = {kind: ServiceStatus.initial(kind, targets[kind]) for kind in ServiceKind}
        self._failures = dict.fromkeys(ServiceKind, 0)
        self._next_due = dict.fromkeys(ServiceKind, 0.0)
        self._tasks = TaskOwner()
        self._timer = every(self, POLL_INTERVAL_MS, self.refresh)

    def status(self, kind: ServiceKind) -> ServiceStatus:
        return self._status[kind]

    def start(self) -> None:
        self._timer.start()
        self.refresh(force=True)

    async def aclose(self) -> None:
        """Stop probing; probes under way are cancelled and report nothing."""
        self._timer.stop()
        await self._tasks.aclose()

    def refresh(self, force: bool = False) -> None:
        """Start a probe of every service that is due and not already being probed."""
        now = time.monotonic()
        for kind in ServiceKind:
            self._age(kind)
            if force or now >= self._next_due[kind]:
                self._tasks.run(self._probe(kind), key=kind)

    def _age(self, kind: ServiceKind) -> None:
        """A service that stopped answering is shown down for as long as it has been, also
        between the checks its back-off spaces out (not the time at the last check)."""
        aged = self._status[kind].aged(time.time(), STALE_LIMIT_S)
        if aged != self._status[kind]:
            self._status[kind] = aged
            self.status_changed.emit(aged)

    async def _probe(self, kind: ServiceKind) -> None:
        result = await self._prober.probe(kind)
        if result.ok:
            self._failures[kind] = 0
            delay = 0.0
        else:
            self._failures[kind] += 1
            delay = min(POLL_INTERVAL_MS / 1000 * 2 ** self._failures[kind], MAX_BACKOFF_S)
        self._next_due[kind] = time.monotonic() + delay
        new = self._status[kind].updated(result, STALE_LIMIT_S)
        if new != self._status[kind]:
            self._status[kind] = new
            self.status_changed.emit(new)
