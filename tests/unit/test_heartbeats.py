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
