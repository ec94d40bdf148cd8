from console.domain.live import LiveState
from taskdeck_core.workers import OFFLINE_AFTER_S, STALE_AFTER_S, Liveness


def heartbeat(
    host: str, active: int = 1, processed: int = 5, kind: str = "worker-heartbeat"
) -> dict[str, object]:
    return {
        "type": kind,
        "hostname": host,
        "active": active,
        "processed": processed,
        "loadavg": [0.5, 0.4, 0.3],
    }


def test_a_worker_turns_stale_then_offline_without_heartbeats() -> None:
    state = LiveState()
    state.apply_events([heartbeat("w1@h")], now=1000.0)
    assert [w.status for w in state.workers(1000.0 + 1)] == ["online"]
    assert [w.status for w in state.workers(1000.0 + STALE_AFTER_S + 1)] == ["stale"]
    offline = state.workers(1000.0 + OFFLINE_AFTER_S + 1)[0]
    assert offline.status == "offline" and offline.active == 0
    state.apply_events([heartbeat("w1@h", active=2)], now=1100.0)
    assert state.workers(1100.0)[0].status == "online"


def test_worker_offline_event_is_immediate() -> None:
    state = LiveState()
    state.apply_events([heartbeat("w1@h"), heartbeat("w1@h", kind="worker-offline")], now=5.0)
    assert state.workers(5.0)[0].status == "offline"


def test_task_events_drive_running_and_failures_in_five_minutes() -> None:
    state = LiveState()
    state.set_depths({"data_sync": {10: 2, 5: 3}, "default": {5: 1}})
    events = [
        {"type": "task-received", "uuid": "a"}, {"type": "task-started", "uuid": "a"},
        {"type": "task-started", "uuid": "b"}, {"type": "task-failed", "uuid": "b"},
        {"type": "task-started", "uuid": "c"}, {"type": "task-succeeded", "uuid": "c"},
    ]  # fmt: skip
    state.apply_events(events, now=100.0)
    counts = state.counts(100.0)
    assert (counts.queued, counts.running, counts.failed_5m, counts.succeeded_5m) == (6, 1, 1, 1)
    assert counts.failure_rate == 0.5
    later = state.counts(100.0 + 301)
    assert (later.failed_5m, later.succeeded_5m, later.failure_rate) == (0, 0, None)


def test_depth_updates_keep_details_from_the_backend() -> None:
    state = LiveState()
    state.set_depths({"data_sync": {5: 1}})
    state.set_queue_details("data_sync", oldest_age_s=12.5)
    state.set_depths({"data_sync": {5: 4}})
    queue = state.queues["data_sync"]
    assert queue.depth == 4 and queue.oldest_age_s == 12.5


def test_the_console_ages_workers_by_the_shared_liveness_rule() -> None:
    state = LiveState(liveness=Liveness(stale_after_s=2.0, offline_after_s=5.0))
    state.apply_events([heartbeat("w1@h")], now=100.0)
    statuses = [state.workers(100.0 + age)[0].status for age in (1.0, 3.0, 6.0)]
    assert statuses == ["online", "stale", "offline"]
    assert statuses == [Liveness(2.0, 5.0).status(age) for age in (1.0, 3.0, 6.0)]
