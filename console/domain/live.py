"""Live state of the Celery system as the console sees it: queues, workers, task counts.

Pure logic: the broker reader feeds it depths and batches of Celery events;
the controllers read it. Times are epoch seconds passed in, so tests control
the clock.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field, replace
from typing import Any

from taskdeck_core.api_types import WorkerInfo
from taskdeck_core.heartbeats import Heartbeats
from taskdeck_core.workers import DEFAULT_LIVENESS, Liveness

FAILED_WINDOW_S = 300.0
MAX_TRACKED_TASKS = 50_000  # running/received tasks remembered, oldest dropped first


@dataclass(frozen=True)
class QueueInfo:
    name: str
    depth: int
    depth_by_priority: dict[int, int]  # user priority 10 ... 1 -> waiting messages
    oldest_age_s: float | None = None
    rate_in: float | None = None  # messages per second, from Prometheus
    rate_out: float | None = None
    consumers: int | None = None


@dataclass
class LiveCounts:
    queued: int = 0
    running: int = 0
    failed_5m: int = 0
    succeeded_5m: int = 0

    @property
    def failure_rate(self) -> float | None:
        total = self.failed_5m + self.succeeded_5m
        return self.failed_5m / total if total else None


@dataclass
class LiveState:
    """Everything the live pages show; updated by depth readings and event batches."""

    queues: dict[str, QueueInfo] = field(default_factory=dict)
    _workers: dict[str, Heartbeats] = field(default_factory=dict)
    _running: collections.OrderedDict[str, float] = field(default_factory=collections.OrderedDict)
    # Finished tasks per second: [second, succeeded, failed], oldest first.
    _finished: collections.deque[list[int]] = field(default_factory=collections.deque)
    events_applied: int = 0
    liveness: Liveness = DEFAULT_LIVENESS  # when a quiet worker is stale, and offline

    def set_depths(self, depths: dict[str, dict[int, int]]) -> None:
        for name, by_priority in depths.items():
            old = self.queues.get(name)
            info = QueueInfo(name, sum(by_priority.values()), dict(by_priority))
            if old is not None:
                info = replace(old, depth=info.depth, depth_by_priority=info.depth_by_priority)
            self.queues[name] = info

    def set_queue_details(self, name: str, **details: Any) -> None:
        if name in self.queues:
            self.queues[name] = replace(self.queues[name], **details)

    def apply_events(self, events: list[dict[str, Any]], now: float) -> None:
        for event in events:
            kind = str(event.get("type", ""))
            if kind.startswith("worker-"):
                self._worker_event(kind, event, now)
            elif kind.startswith("task-"):
                self._task_event(kind, event, now)
        self.events_applied += len(events)
        cutoff = now - FAILED_WINDOW_S
        while self._finished and self._finished[0][0] < cutoff:
            self._finished.popleft()

    def _worker_event(self, kind: str, event: dict[str, Any], now: float) -> None:
        hostname = event.get("hostname")
        if not hostname:
            return
        worker = self._workers.get(hostname)
        if worker is None:
            worker = self._workers[hostname] = Heartbeats(hostname, now)
        worker.apply(kind, event, now)

    def _task_event(self, kind: str, event: dict[str, Any], now: float) -> None:
        task_id = str(event.get("uuid") or "")
        if not task_id:
            return
        if kind in ("task-received", "task-started"):
            self._running[task_id] = now
            self._running.move_to_end(task_id)
            while len(self._running) > MAX_TRACKED_TASKS:
                self._running.popitem(last=False)
        elif kind in (
            "task-succeeded",
            "task-failed",
            "task-revoked",
            "task-rejected",
            "task-retried",
        ):
            self._running.pop(task_id, None)
            if kind in ("task-succeeded", "task-failed"):
                second = int(now)
                if not self._finished or self._finished[-1][0] != second:
                    self._finished.append([second, 0, 0])
                self._finished[-1][2 if kind == "task-failed" else 1] += 1

    def set_worker_details(self, hostname: str, pool: str | None, concurrency: int | None) -> None:
        worker = self._workers.get(hostname)
        if worker is not None:
            worker.set_pool(pool, concurrency)

    def workers(self, now: float) -> list[WorkerInfo]:
        return [
            w.info(now, self.liveness)
            for w in sorted(self._workers.values(), key=lambda w: w.hostname)
        ]

    def counts(self, now: float) -> LiveCounts:
        cutoff = now - FAILED_WINDOW_S
        failed = sum(b[2] for b in self._finished if b[0] >= cutoff)
        succeeded = sum(b[1] for b in self._finished if b[0] >= cutoff)
        return LiveCounts(
            queued=sum(q.depth for q in self.queues.values()),
            running=len(self._running),
            failed_5m=failed,
            succeeded_5m=succeeded,
        )
