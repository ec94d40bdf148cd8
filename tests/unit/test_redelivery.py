"""Which worker process is gone, and when the broker delivers its tasks again."""

from __future__ import annotations

from backend.services.ledger_rows import HeldTask
from backend.services.redelivery import gone_why, visibility_timeout
from backend.services.workers import reported_visibility_timeout
from taskdeck_core.api_types import WorkerInfo

TASK = HeldTask("t1", "alice", "STARTED", "data_sync", "w1@h", 10, 1000.0)


def worker(pid: int | None, started_at: float | None, status: str = "online",
           vt: float | None = None) -> WorkerInfo:  # fmt: skip
    return WorkerInfo(hostname="w1@h", status=status, online=status != "offline",  # type: ignore[arg-type]
                      last_heartbeat=1100.0, last_heartbeat_age_s=1.0, pid=pid,
                      started_at=started_at, visibility_timeout_s=vt)  # fmt: skip


def test_a_worker_started_again_under_the_same_name_is_not_the_one_that_took_the_task() -> None:
    why = gone_why(TASK, worker(11, 1050.0), sure=False)
    assert why is not None and "started again" in why and "11" in why and "10" in why
    # The same process, or another one heard from only before the task's record (the
    # task was taken by the newer one, whose first event is still on its way): not gone.
    assert gone_why(TASK, worker(10, 900.0), sure=True) is None
    assert gone_why(TASK, worker(11, 990.0), sure=False) is None
    # A process unknown on either side: only the name's liveness can tell.
    assert gone_why(TASK._replace(worker_pid=None), worker(11, 1050.0), sure=True) is None
    assert gone_why(TASK, worker(None, None), sure=True) is None


def test_an_offline_or_unheard_worker_is_gone_once_the_monitor_is_sure() -> None:
    assert gone_why(TASK, worker(10, 900.0, status="offline"), sure=False) is None
    why = gone_why(TASK, worker(10, 900.0, status="offline"), sure=True)
    assert why is not None and "offline" in why
    assert gone_why(TASK, None, sure=False) is None
    assert "not been heard from" in (gone_why(TASK, None, sure=True) or "")
    assert gone_why(TASK, worker(10, 900.0, status="stale"), sure=True) is None


def test_the_visibility_timeout_is_the_shortest_a_live_worker_reported() -> None:
    live = [worker(1, 1.0, vt=2400.0), worker(2, 1.0, vt=15.0), worker(3, 1.0, "offline", 5.0)]
    got = visibility_timeout(live, configured=100.0)
    assert (got.visibility_timeout_s, got.source) == (15.0, "workers")
    got = visibility_timeout([worker(1, 1.0)], configured=100.0)
    assert (got.visibility_timeout_s, got.source) == (100.0, "configured")
    got = visibility_timeout([])
    assert (got.visibility_timeout_s, got.source) == (3600.0, "assumed")
    assert "kombu's default" in got.detail


def test_a_worker_reports_its_visibility_timeout_in_its_stats() -> None:
    options = {"broker": {"transport_options": {"visibility_timeout": 2400, "sep": ":"}}}
    assert reported_visibility_timeout(options) == 2400.0
    assert reported_visibility_timeout({"broker": {"transport_options": {}}}) == 3600.0
    assert reported_visibility_timeout({"broker": {}}) is None
    assert reported_visibility_timeout({}) is None
