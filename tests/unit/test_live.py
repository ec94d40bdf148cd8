from typing import Any

from console.domain.live import FAILED_WINDOW_S, LiveState
from taskdeck_core.api_types import FinishedBucket, TaskStats, WorkerInfo
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


def stats(as_of: float, *buckets: tuple[float, int, int]) -> TaskStats:
    items = [FinishedBucket(start=t, succeeded=s, failed=f) for t, s, f in buckets]
    return TaskStats(as_of=as_of, window_s=FAILED_WINDOW_S, buckets=items,
                     succeeded=sum(b.succeeded for b in items),
                     failed=sum(b.failed for b in items))  # fmt: skip


def test_no_figure_before_its_source_answers() -> None:
    counts = LiveState().counts(100.0)
    assert (counts.queued, counts.running, counts.failed_5m, counts.failure_rate) == (
        None, None, None, None)  # fmt: skip


def test_failures_start_from_the_ledger_and_events_move_them_in_five_minutes() -> None:
    state = LiveState()
    state.set_depths({"data_sync": {10: 2, 5: 3}, "default": {5: 1}}, now=100.0)
    # Before the ledger answers, events alone are no figure.
    state.apply_events([{"type": "task-failed", "uuid": "x", "timestamp": 99.5}], now=100.0)
    assert state.counts(100.0).failed_5m is None
    # The ledger: 3 failed and 9 succeeded up to 100.0 (including x, which it saw too).
    state.seed_finished(stats(100.0, (20.0, 5, 1), (99.0, 4, 2)), now=100.2)
    counts = state.counts(100.2)
    assert (counts.queued, counts.failed_5m, counts.succeeded_5m) == (6, 3, 9)
    assert counts.failure_rate == 0.25 and counts.finished_at == 100.0
    # Later events add; one of a second the ledger already counted does not.
    state.apply_events([
        {"type": "task-failed", "uuid": "a", "timestamp": 101.0},
        {"type": "task-succeeded", "uuid": "b", "timestamp": 101.2},
        {"type": "task-failed", "uuid": "c", "timestamp": 100.0},
        {"type": "task-retried", "uuid": "d", "timestamp": 101.3},
    ], now=101.5)  # fmt: skip
    assert (state.counts(101.5).failed_5m, state.counts(101.5).succeeded_5m) == (4, 10)
    # The next count from the ledger replaces what events said of its time.
    state.seed_finished(stats(102.0, (20.0, 5, 1), (99.0, 4, 2), (101.0, 1, 1)), now=102.0)
    assert (state.counts(102.0).failed_5m, state.counts(102.0).succeeded_5m) == (4, 10)
    # The window moves on: what finished at 20 s leaves it after 320 s.
    later = state.counts(20.0 + FAILED_WINDOW_S + 1)
    assert (later.failed_5m, later.succeeded_5m) == (3, 5)
    gone = state.counts(200.0 + FAILED_WINDOW_S)
    assert (gone.failed_5m, gone.succeeded_5m, gone.failure_rate) == (0, 0, None)


def test_running_is_what_the_workers_run_not_what_they_received() -> None:
    state = LiveState()
    events: list[dict[str, Any]] = [
        heartbeat("w1@h", active=2), heartbeat("w2@h", active=1),
        {"type": "task-received", "uuid": "a"}, {"type": "task-received", "uuid": "b"},
        {"type": "task-received", "uuid": "c"}, {"type": "task-started", "uuid": "a"},
    ]  # fmt: skip
    state.apply_events(events, now=100.0)
    assert state.counts(100.0).running == 3
    assert state.counts(100.0).running_at == 100.0
    state.apply_events([heartbeat("w2@h", active=1, kind="worker-offline")], now=101.0)
    assert state.counts(101.0).running == 2  # a dead worker runs nothing


def test_every_worker_the_backend_knows_is_shown_the_dead_with_their_last_word() -> None:
    state = LiveState()
    state.apply_events([heartbeat("w1@h", active=1)], now=1000.0)
    known = [
        WorkerInfo(hostname="dead@h", status="offline", online=False, last_heartbeat=700.0,
                   last_heartbeat_age_s=300.0, active=4, processed=9, pool="prefork"),
        WorkerInfo(hostname="w1@h", status="online", online=True, last_heartbeat=990.0,
                   last_heartbeat_age_s=10.0, active=7, pool="prefork", concurrency=2),
    ]  # fmt: skip
    state.seed_workers(known, now=1000.0)
    shown = {w.hostname: w for w in state.workers(1000.0)}
    assert shown["dead@h"].status == "offline" and shown["dead@h"].active == 0
    assert shown["dead@h"].last_heartbeat_age_s == 300.0 and shown["dead@h"].processed == 9
    # Heard here more recently than the backend: its own word stays, with the backend's pool.
    assert shown["w1@h"].active == 1 and shown["w1@h"].pool == "prefork"
    assert state.counts(1000.0).running == 1


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


def test_an_empty_queue_has_no_oldest_message_whatever_an_earlier_answer_said() -> None:
    state = LiveState()
    state.set_depths({"default": {5: 2}})
    state.set_queue_details("default", oldest_age_s=12.5)
    state.set_depths({"default": {5: 0}})  # the broker, read after the backend's answer
    assert state.queues["default"].oldest_age_s is None
    state.set_queue_details("default", oldest_age_s=3.0)  # an answer from before it emptied
    assert state.queues["default"].oldest_age_s is None


def test_the_oldest_message_ages_with_the_clock_between_answers_of_the_backend() -> None:
    state = LiveState()
    state.set_depths({"data_sync": {5: 3}}, now=100.0)
    state.set_queue_details("data_sync", now=100.0, oldest_age_s=12.0)
    state.set_depths({"data_sync": {5: 3}}, now=104.0)
    assert state.queues["data_sync"].oldest_age_s == 16.0


def test_once_messages_are_taken_the_oldest_is_unknown_until_the_backend_answers_again() -> None:
    state = LiveState()
    state.set_depths({"data_sync": {5: 3}}, now=100.0)
    state.set_queue_details("data_sync", now=100.0, oldest_age_s=12.0)
    state.set_depths({"data_sync": {5: 4}}, now=102.0)  # one more published: still there
    assert state.queues["data_sync"].oldest_age_s == 14.0
    state.set_depths({"data_sync": {5: 3}}, now=104.0)  # taken: perhaps the oldest too
    assert state.queues["data_sync"].oldest_age_s is None
    state.set_queue_details("data_sync", now=105.0, oldest_age_s=2.0)
    assert state.queues["data_sync"].oldest_age_s == 2.0
