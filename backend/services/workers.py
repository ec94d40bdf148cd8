"""Worker health from Celery's own heartbeats, received on a thread of its own.

Every worker event carries the worker's main process id: a worker started again
under the same name is told from the one before by it (``WorkerFacts.pid`` and
``started_at``). Heartbeats do not say which pool a worker runs, nor its broker's
visibility timeout; those are asked of each worker once, when it first appears
or comes back online, with one bounded request in the system's own transport
format. A worker that does not answer is not asked
again until its next start: a request nobody answers is never repeated.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import Celery

from taskdeck_core.api_types import WorkerInfo
from taskdeck_core.events import CaptureOwner, EventCapture
from taskdeck_core.heartbeats import Heartbeats
from taskdeck_core.workers import STALE_AFTER_S, Liveness

log = logging.getLogger("taskdeck.workers")
POOL_TIMEOUT_S = 2.0
POOL_ASKS = 3  # requests per worker start, at most
POOL_RETRY_S = 10.0
# kombu's Redis transport's visibility timeout, for a worker whose options set none.
KOMBU_VISIBILITY_TIMEOUT_S = 3600.0


def reported_visibility_timeout(stats: dict[str, Any]) -> float | None:
    """The visibility timeout a worker's stats show (its broker's transport options)."""
    options = (stats.get("broker") or {}).get("transport_options")
    if not isinstance(options, dict):
        return None
    value = options.get("visibility_timeout")
    try:
        return float(value) if value is not None else KOMBU_VISIBILITY_TIMEOUT_S
    except (TypeError, ValueError):
        return None


def pool_size(pool: dict[str, Any]) -> int | None:
    """A pool's current number of processes: its process list (a prefork pool grown or
    shrunk keeps its first max-concurrency; an empty list is a pool of 0), else, for a pool
    that lists none, its max-concurrency."""
    processes = pool.get("processes")
    if isinstance(processes, list):
        return len(processes)
    size = pool.get("max-concurrency")
    return size if isinstance(size, int) and not isinstance(size, bool) else None


class WorkerMonitor(CaptureOwner):
    """Keeps the latest heartbeat of every worker; asks each new one for its pool once."""

    def __init__(
        self,
        app: Celery,
        timeout_s: float,
        task_sink: Callable[[dict[str, Any]], None] | None = None,
        prepare: Callable[[], object] | None = None,
    ) -> None:
        self.app = app
        self.task_sink = task_sink
        self.timeout_s = timeout_s
        # offline after the backend's worker timeout; stale at the shared default, or sooner
        self.liveness = Liveness(min(STALE_AFTER_S, timeout_s), timeout_s)
        self._workers: dict[str, Heartbeats] = {}
        self._lock = threading.Lock()
        self.asked = 0  # pool requests sent, over this monitor's life
        self._asks: dict[str, tuple[int, float]] = {}  # hostname -> (requests, last sent)
        self._rechecks: dict[str, int] = {}  # hostname -> heartbeats to ask the pool again on
        self._capture = EventCapture(app, self._on_event, "worker-monitor", prepare=prepare)

    def start(self) -> None:
        self._capture.start()

    def stop(self) -> None:
        self._capture.stop()

    def watching_for(self, seconds: float) -> bool:
        """Connected for at least ``seconds``: a worker not heard from by now is really gone."""
        since = self._capture.connected_since
        return self.connected and since is not None and time.time() - since >= seconds

    def recheck_pool(self, hostname: str, heartbeats: int = 3) -> None:
        """Ask ``hostname``'s pool again on its next ``heartbeats`` heartbeats: its size was
        changed, and a pool takes a moment to start or stop processes."""
        with self._lock:
            self._rechecks[hostname] = heartbeats

    def shut_down(self) -> set[str]:
        """The workers whose last event was their own worker-offline: shut down (warm or
        cold), not crashed; a warm one finishes the tasks it runs before it exits."""
        with self._lock:
            return {h for h, w in self._workers.items() if w.offline_reported}

    def snapshot(self) -> list[WorkerInfo]:
        now = time.time()
        with self._lock:
            return [
                w.info(now, self.liveness)
                for w in sorted(self._workers.values(), key=lambda w: w.hostname)
            ]

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type", "")
        hostname = event.get("hostname")
        if kind.startswith("task-") and self.task_sink is not None:
            self.task_sink(event)
            return
        if not kind.startswith("worker-") or not hostname:
            return
        new = False
        with self._lock:
            now = time.time()
            info = self._workers.get(hostname)
            if info is None:
                info = self._workers[hostname] = Heartbeats(hostname, now)
                new = True
            before = info.facts.pid
            info.apply(kind, event, now)
            restarted = before is not None and info.facts.pid != before
        # Ask a worker for its pool when it starts (its own worker-online event, or the
        # first event of another main process under its name); while it has not answered,
        # again after POOL_RETRY_S and twice that, then never until its next start.
        if new or kind == "worker-online" or restarted:
            self._asks[hostname] = (0, 0.0)
        tries, last = self._asks.get(hostname, (POOL_ASKS, 0.0))
        if info.facts.pool is None and tries < POOL_ASKS and now - last >= POOL_RETRY_S * tries:
            self._asks[hostname] = (tries + 1, now)
            self.asked += 1
            threading.Thread(target=self._ask_pool, args=(hostname,), daemon=True).start()
        elif kind == "worker-heartbeat" and self._rechecks.get(hostname, 0) > 0:
            with self._lock:
                self._rechecks[hostname] -= 1
            self.asked += 1
            threading.Thread(target=self._ask_pool, args=(hostname,), daemon=True).start()

    def _ask_pool(self, hostname: str) -> None:
        try:
            stats = (
                self.app.control.inspect(
                    destination=[hostname], timeout=POOL_TIMEOUT_S, limit=1
                ).stats()
                or {}
            )
        except Exception as exc:  # noqa: BLE001 - pool details are optional
            log.info("workers: no stats from %s: %s", hostname, exc)
            return
        mine = stats.get(hostname) or {}
        pool = mine.get("pool") or {}
        with self._lock:
            info = self._workers.get(hostname)
            if info is not None:
                impl = str(pool.get("implementation", ""))
                # "celery.concurrency.prefork:TaskPool" -> "prefork"
                info.set_pool(
                    impl.split(":", 1)[0].rsplit(".", 1)[-1] or None,
                    pool_size(pool),
                    reported_visibility_timeout(mine),
                )
