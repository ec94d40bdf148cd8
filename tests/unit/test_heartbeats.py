"""One heartbeat record for the backend's worker monitor and the console's live state."""

from console.domain.live import LiveState
from taskdeck_core.heartbeats import Heartbeats
from taskdeck_core.workers import Liveness

BEAT = {"type": "worker-heartbeat", "active": 3, "processed": 40, "loadavg": [0.5, 0.25, 0.1],
        "sw_ver": "5.7.0"}  # fmt: skip


def test_a_heartbeat_is_read_into_the_public_worker() -> None:
    record = Heartbeats("w1@h", 100.0)
    record.apply("worker-heartbeat", BEAT, now=100.0)
    info = record.info(now=104.0, liveness=Liveness(10, 30))
    assert (info.status, info.online, info.active, info.processed) == ("online", True, 3, 40)
    assert info.loadavg == (0.5, 0.25, 0.1) and info.sw_ver == "5.7.0"
    assert info.last_heartbeat_age_s == 4.0


def test_an_offline_announcement_keeps_the_count_and_runs_nothing() -> None:
    record = Heartbeats("w1@h", 100.0)
    record.apply("worker-heartbeat", BEAT, now=100.0)
    record.apply("worker-offline", {"type": "worker-offline"}, now=101.0)
    info = record.info(now=101.0, liveness=Liveness(10, 30))
    assert (info.status, info.online, info.active, info.processed) == ("offline", False, 0, 40)


def test_the_console_shows_what_the_shared_record_says() -> None:
    state = LiveState(liveness=Liveness(5, 20))
    state.apply_events([{**BEAT, "hostname": "w1@h"}], now=100.0)
    record = Heartbeats("w1@h", 100.0)
    record.apply("worker-heartbeat", BEAT, now=100.0)
    for now in (101.0, 106.0, 121.0):
        assert state.workers(now) == [record.info(now, Liveness(5, 20))]
    assert [w.status for w in state.workers(121.0)] == ["offline"]


def test_a_worker_started_again_under_its_name_is_told_by_its_main_process() -> None:
    record = Heartbeats("w1@h", 100.0)
    record.apply("worker-heartbeat", {**BEAT, "pid": 10, "timestamp": 99.5}, now=100.0)
    assert (record.facts.pid, record.facts.started_at) == (10, 99.5)
    record.apply("worker-heartbeat", {**BEAT, "pid": 10, "timestamp": 102.0}, now=102.0)
    assert record.facts.started_at == 99.5  # the same process
    # Killed, and started again: its online event names another process, from its start.
    record.apply("worker-online", {"type": "worker-online", "pid": 11, "timestamp": 150.0},
                 now=150.2)  # fmt: skip
    info = record.info(now=151.0, liveness=Liveness(10, 30))
    assert (info.pid, info.started_at, info.status, info.processed) == (11, 150.0, "online", 0)
    # An event without a usable time: when it arrived.
    record.apply("worker-heartbeat", {**BEAT, "pid": 12, "timestamp": "x"}, now=160.0)
    assert (record.facts.pid, record.facts.started_at) == (12, 160.0)


def test_the_console_keeps_what_only_the_backend_knows_of_a_worker() -> None:
    from taskdeck_core.api_types import WorkerInfo

    state = LiveState(liveness=Liveness(5, 20))
    state.apply_events([{**BEAT, "hostname": "w1@h", "pid": 11}], now=100.0)
    told = WorkerInfo(hostname="w1@h", status="online", online=True, last_heartbeat=95.0,
                      last_heartbeat_age_s=5.0, pid=11, awaiting_redelivery=2,
                      redelivery_at=2500.0)  # fmt: skip
    state.seed_workers([told], now=100.0)  # older than the console's own heartbeat
    [info] = state.workers(101.0)
    assert (info.awaiting_redelivery, info.redelivery_at, info.active) == (2, 2500.0, 3)
    state.seed_workers([told.model_copy(update={"awaiting_redelivery": 0,
                                                "redelivery_at": None})], now=102.0)  # fmt: skip
    assert state.workers(102.0)[0].awaiting_redelivery == 0
