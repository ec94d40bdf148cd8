"""Worker health from Celery's own heartbeats, received on a thread of its own."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from celery import Celery

log = logging.getLogger("taskdeck.workers")


@dataclass
class WorkerInfo:
    hostname: str
    last_heartbeat: float  # time.time() when the last heartbeat arrived
    active: int = 0
    processed: int = 0
    loadavg: tuple[float, ...] = ()
    sw_ver: str | None = None
    pool: str | None = None
    concurrency: int | None = None
    offline_reported: bool = False

    def public(self, now: float, timeout_s: float) -> dict[str, Any]:
        age = max(0.0, now - self.last_heartbeat)
        data = asdict(self)
        data.pop("offline_reported")
        data["last_heartbeat_age_s"] = round(age, 1)
        data["online"] = not self.offline_reported and age <= timeout_s
        return data


class WorkerMonitor:
    """Keeps the latest heartbeat of every worker; asks each new one for its pool once."""

    def __init__(
        self,
        app: Celery,
        timeout_s: float,
        task_sink: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.app = app
        self.task_sink = task_sink
        self.timeout_s = timeout_s
        self._workers: dict[str, WorkerInfo] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = False
        self.connected_since: float | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="worker-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def watching_for(self, seconds: float) -> bool:
        """Connected for at least ``seconds``: a worker not heard from by now is really gone."""
        return (
            self.connected
            and self.connected_since is not None
            and (time.time() - self.connected_since >= seconds)
        )

    def snapshot(self) -> list[dict[str, Any]]:
        now = time.time()
        with self._lock:
            return [
                w.public(now, self.timeout_s)
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
            info = self._workers.get(hostname)
            if info is None:
                info = self._workers[hostname] = WorkerInfo(hostname, time.time())
                new = True
            info.last_heartbeat = time.time()
            info.offline_reported = kind == "worker-offline"
            info.active = int(event.get("active") or 0)
            info.processed = int(event.get("processed") or 0)
            info.loadavg = tuple(event.get("loadavg") or ())
            info.sw_ver = event.get("sw_ver") or info.sw_ver
        if new:
            threading.Thread(target=self._ask_pool, args=(hostname,), daemon=True).start()

    def _ask_pool(self, hostname: str) -> None:
        try:
            stats = self.app.control.inspect(destination=[hostname], timeout=2.0).stats() or {}
        except Exception as exc:  # noqa: BLE001 - pool details are optional
            log.info("workers: no stats from %s: %s", hostname, exc)
            return
        pool = (stats.get(hostname) or {}).get("pool") or {}
        with self._lock:
            info = self._workers.get(hostname)
            if info is not None:
                impl = str(pool.get("implementation", ""))
                # "celery.concurrency.prefork:TaskPool" -> "prefork"
                info.pool = impl.split(":", 1)[0].rsplit(".", 1)[-1] or None
                info.concurrency = pool.get("max-concurrency")

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with self.app.connection() as conn:
                    receiver = self.app.events.Receiver(conn, handlers={"*": self._on_event})
                    steps = receiver.itercapture(limit=None, timeout=1.0, wakeup=False)
                    self.connected = True
                    self.connected_since = self.connected_since or time.time()
                    self.last_error = None
                    backoff = 0.5
                    while not self._stop.is_set():
                        try:
                            next(steps)
                        except TimeoutError:
                            continue
            except StopIteration:
                pass
            except Exception as exc:  # noqa: BLE001 - reconnect with backoff
                self.connected = False
                self.connected_since = None
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 15.0)
        self.connected = False
