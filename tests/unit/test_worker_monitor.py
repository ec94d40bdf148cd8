"""The backend's worker monitor asks a worker for its pool a bounded number of times per
start, never in a loop."""

from __future__ import annotations

import pytest
from celery import Celery

from backend.services import workers
from backend.services.workers import WorkerMonitor


class CountingMonitor(WorkerMonitor):
    """Records the pool requests it would send (no broker; nothing answers them)."""

    def __init__(self, clock: list[float]) -> None:
        super().__init__(Celery(set_as_current=False), timeout_s=30.0)
        self.clock = clock
        self.requests: list[tuple[str, float]] = []

    def _ask_pool(self, hostname: str) -> None:
        self.requests.append((hostname, self.clock[0]))


def test_an_unanswered_pool_request_is_tried_three_times_then_not_until_the_next_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monitor = CountingMonitor(clock)
    monkeypatch.setattr(workers.time, "time", lambda: clock[0])
    monkeypatch.setattr(workers.threading, "Thread", _Inline)
    # An hour of heartbeats, every 2 s, from a worker that never answers the request.
    for _ in range(1800):
        monitor._on_event({"type": "worker-heartbeat", "hostname": "w1@erp", "active": 0})
        clock[0] += 2.0
    # At its first sight, 10 s later and 20 s after that; then never in the hour.
    assert monitor.requests == [("w1@erp", 1000.0), ("w1@erp", 1010.0), ("w1@erp", 1030.0)]
    # It restarts: asked again at once.
    monitor._on_event({"type": "worker-online", "hostname": "w1@erp"})
    monitor._on_event({"type": "worker-heartbeat", "hostname": "w1@erp", "active": 0})
    assert monitor.requests[3:] == [("w1@erp", clock[0])]
    # A second worker is asked on its own first appearance.
    monitor._on_event({"type": "worker-heartbeat", "hostname": "w2@erp", "active": 0})
    assert monitor.requests[-1][0] == "w2@erp" and monitor.asked == 5


class _Inline:
    """A thread that runs its target at start, so the test sees each request at once."""

    def __init__(self, target: object, args: tuple[object, ...] = (), daemon: bool = True) -> None:
        self.target, self.args = target, args

    def start(self) -> None:
        self.target(*self.args)  # type: ignore[operator]
