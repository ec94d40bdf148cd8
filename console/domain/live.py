"""Live state of the Celery system as the console sees it: queues, workers, task counts.

Pure logic: the broker reader feeds it depths and batches of Celery events;
the controllers read it. Times are epoch seconds passed in, so tests control
the clock.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field, replace
from typing import Any

from taskdeck_core.api_types import TaskStats, WorkerFacts, WorkerInfo
from taskdeck_core.heartbeats import Heartbeats
from taskdeck_core.workers import DEFAULT_LIVENESS, Liveness

FAILED_WINDOW_S = 300.0
FACT_FIELDS = set(WorkerFacts.model_fields)
# What only the backend knows of a worker (from its ledger): taken from every answer.
BACKEND_FACTS = {"awaiting_redelivery", "redelivery_at"}


@dataclass(frozen=True)
class QueueInfo:
    name: str
    depth: int
    depth_by_priority: dict[int, int]  # user priority 10 ... 1 -> waiting messages
    oldest_age_s: float | None = None
    rate_in: float | None = None  # messages per second, from Prometheus
    rate_out: float | None = None
    consumers: int | None = None


@dataclass(frozen=True)
class LiveCounts:
    """The Overview's figures; None where the source has not answered yet (no figure is
    better than a figure seeded from nothing). Each ``*_at`` is when its source last
    confirmed it (epoch seconds)."""

    queued: int | None = None
    running: int | None = None  # tasks started and not finished, as the workers report
    failed_5m: int | None = None
    succeeded_5m: int | None = None
    queued_at: float | None = None  # the last broker reading
    running_at: float | None = None  # the oldest heartbeat the figure rests on
    finished_at: float | None = None  # the last count from the ledger
    finished_problem: str | None = None  # why the last count could not be had

    @property
    def failure_rate(self) -> float | None:
        if self.failed_5m is None or self.succeeded_5m is None:
            return None
        total = self.failed_5m + self.succeeded_5m
        return self.failed_5m / total if total else None


@dataclass
class LiveState:
    """Everything the live pages show: seeded from the sources of truth (the ledger's
    counts, the backend's workers, the broker's depths), then moved by Celery events."""

    queues: dict[str, QueueInfo] = field(default_factory=dict)
    _workers: dict[str, Heartbeats] = field(default_factory=dict)
    # queue -> (its oldest message's publish time, the depth when the backend said so)
    _oldest_at: dict[str, tuple[float, int]] = field(default_factory=dict)
    # Finished tasks per second: [second, succeeded, failed], oldest first.
    _finished: collections.deque[list[int]] = field(default_factory=collections.deque)
    events_applied: int = 0
    liveness: Liveness = DEFAULT_LIVENESS  # when a quiet worker is stale, and offline
    depths_at: float | None = None
    finished_synced_at: float | None = None  # when the ledger last gave the window's counts
    workers_seen_at: float | None = None  # the backend's list, or a heartbeat, last arrived
    finished_problem: str | None = None  # why the ledger's last count could not be had

    def set_depths(self, depths: dict[str, dict[int, int]], now: float | None = None) -> None:
        """The broker's depths at ``now``; the oldest message's age moves on with the clock."""
        for name, by_priority in depths.items():
            old = self.queues.get(name)
            info = QueueInfo(name, sum(by_priority.values()), dict(by_priority))
            if old is not None:
                info = replace(old, depth=info.depth, depth_by_priority=info.depth_by_priority)
            oldest_at, answered_depth = self._oldest_at.get(name, (None, 0))
            if info.depth == 0 or info.depth < answered_depth:
                # Nothing waits, or some were taken since the backend's answer (perhaps the
                # oldest): unknown until its next answer, rather than an age that may be wrong.
                self._oldest_at.pop(name, None)
                info = replace(info, oldest_age_s=None)
            elif oldest_at is not None and now is not None:
                info = replace(info, oldest_age_s=max(0.0, now - oldest_at))
                self._oldest_at[name] = (oldest_at, info.depth)  # any drop from here: taken
            self.queues[name] = info
        if now is not None:
            self.depths_at = now

    def set_queue_details(self, name: str, now: float | None = None, **details: Any) -> None:
        """The backend's figures for a queue; an ``oldest_age_s`` is as of ``now``."""
        if name in self.queues:
            info = replace(self.queues[name], **details)
            if info.depth == 0:  # the broker's depth is newer than the backend's answer
                info = replace(info, oldest_age_s=None)
            elif now is not None and info.oldest_age_s is not None:
                self._oldest_at[name] = (now - info.oldest_age_s, info.depth)
            self.queues[name] = info

    def apply_events(self, events: list[dict[str, Any]], now: float) -> None:
        for event in events:
            kind = str(event.get("type", ""))
            if kind.startswith("worker-"):
                self._worker_event(kind, event, now)
            elif kind in ("task-succeeded", "task-failed"):
                self._finished_event(kind, event, now)
        self.events_applied += len(events)
        self._expire(now)

    def _expire(self, now: float) -> None:
        cutoff = now - FAILED_WINDOW_S
        while self._finished and self._finished[0][0] <= cutoff:
            self._finished.popleft()

    def _worker_event(self, kind: str, event: dict[str, Any], now: float) -> None:
        hostname = event.get("hostname")
        if not hostname:
            return
        worker = self._workers.get(hostname)
        if worker is None:
            worker = self._workers[hostname] = Heartbeats(hostname, now)
        worker.apply(kind, event, now)
        self.workers_seen_at = now

    def _finished_event(self, kind: str, event: dict[str, Any], now: float) -> None:
        """Counted in the second the worker reports (the ledger's clock for the same task)."""
        stamp = event.get("timestamp")
        second = int(stamp) if isinstance(stamp, int | float) and stamp > 0 else int(now)
        if self.finished_synced_at is not None and second <= int(self.finished_synced_at):
            return  # inside what the ledger already counted
        at = len(self._finished)
        while at > 0 and self._finished[at - 1][0] > second:
            at -= 1
        if at > 0 and self._finished[at - 1][0] == second:
            bucket = self._finished[at - 1]
        else:
            bucket = [second, 0, 0]
            self._finished.insert(at, bucket)
        bucket[2 if kind == "task-failed" else 1] += 1

    def seed_finished(self, stats: TaskStats, now: float) -> None:
        """The ledger's per-second counts up to ``stats.as_of`` replace what events said of
        that time; events of later seconds stay on top."""
        cut = int(stats.as_of)
        later = [b for b in self._finished if b[0] > cut]
        seeded = [[int(b.start), b.succeeded, b.failed] for b in stats.buckets if b.start <= cut]
        self._finished = collections.deque(sorted(seeded + later))
        self.finished_synced_at = stats.as_of
        self._expire(now)

    def seed_workers(self, infos: list[WorkerInfo], now: float) -> None:
        """Every worker the backend knows, the dead ones included; a worker heard from
        more recently here keeps what it said last."""
        for info in infos:
            heard = now - info.last_heartbeat_age_s
            mine = self._workers.get(info.hostname)
            if mine is None or heard > mine.last_heartbeat:
                facts = WorkerFacts.model_validate(info.model_dump(include=FACT_FIELDS))
                self._workers[info.hostname] = Heartbeats(
                    info.hostname, heard, facts, offline_reported=info.status == "offline"
                )
            else:
                if mine.facts.pool is None and info.pool is not None:
                    mine.set_pool(info.pool, info.concurrency)
                mine.facts = mine.facts.model_copy(update=info.model_dump(include=BACKEND_FACTS))
        self.workers_seen_at = now

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
        self._expire(now)
        seeded = self.finished_synced_at is not None
        workers = self.workers(now)
        alive = [w for w in workers if w.status != "offline"]
        running_at = min(w.last_heartbeat for w in alive) if alive else self.workers_seen_at
        return LiveCounts(
            queued=sum(q.depth for q in self.queues.values())
            if self.depths_at is not None
            else None,
            running=sum(w.active for w in alive) if self.workers_seen_at is not None else None,
            failed_5m=sum(b[2] for b in self._finished) if seeded else None,
            succeeded_5m=sum(b[1] for b in self._finished) if seeded else None,
            queued_at=self.depths_at,
            running_at=running_at,
            finished_at=self.finished_synced_at,
            finished_problem=self.finished_problem,
        )
