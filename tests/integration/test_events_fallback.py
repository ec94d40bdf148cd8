"""Without the integration, the ledger is fed from Celery events and the result backend."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import redis_url, start_backend, start_redis, start_worker
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import FAST_WORKLOAD, ROOMY
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration

BURST = 600  # tasks sent while the backend is paused
PAUSE_S = 3.0


def test_ledger_falls_back_to_events_and_keeps_whole_arguments(tmp_path: Path) -> None:
    port = free_port()
    redis_proc = start_redis(tmp_path, port)
    broker = redis_url(port)
    plain = {**FAST_WORKLOAD, "TASKDECK_INTEGRATION": "0"}
    worker = start_worker(tmp_path, broker, "plain", concurrency=1, env=plain)
    backend_port = free_port()
    backend = start_backend(tmp_path, backend_port, broker, env=ROOMY)
    producer = create_celery(WorkerSettings(broker_url=broker, integration=False), results=False)
    try:
        with api(f"http://127.0.0.1:{backend_port}") as client:
            files = [f"long-file-name-{n:04d}-{'y' * 30}" for n in range(40)]
            ok = producer.send_task(
                "data_sync.sync_batch", args=[files, "erin"], queue="data_sync"
            ).id
            bad = producer.send_task(
                "data_sync.sync_single_file", args=["f-1", "erin"],
                kwargs={"unexpected": 1}, queue="data_sync",
            ).id  # fmt: skip

            def state(task_id: str) -> str | None:
                reply = client.get(f"/api/v1/tasks/{task_id}")
                return reply.json()["state"] if reply.status_code == 200 else None

            wait_for(lambda: state(ok) == "SUCCESS" and state(bad) == "FAILURE", 30, "ledger")
            assert client.get("/health").json()["ledger"]["source"] == "celery-events"
            record = client.get(f"/api/v1/tasks/{ok}").json()
            assert record["args"] == [files, "erin"]  # whole, from the result backend
            assert record["result"]["files"] == 40
            failed = client.get(f"/api/v1/tasks/{bad}").json()
            assert failed["exc_type"] == "TypeError" and "unexpected" in failed["exc_message"]
            assert "Traceback" in failed["traceback"]
            reply = client.post(f"/api/v1/tasks/{ok}/retry", json={"reason": "re-run"})
            assert reply.status_code == 200, reply.text
            new_id = reply.json()["new_task_id"]
            wait_for(lambda: state(new_id) == "SUCCESS", 30, "the retry to run")
    finally:
        producer.close()
        backend.stop()
        worker.stop()
        redis_proc.stop()


def test_a_paused_backend_applies_every_event_buffered_while_it_slept(tmp_path: Path) -> None:
    """A long GC or a slow disk pauses the backend; the events sent meanwhile are not lost."""
    port = free_port()
    redis_proc = start_redis(tmp_path, port)
    broker = redis_url(port)
    plain = {**FAST_WORKLOAD, "TASKDECK_INTEGRATION": "0"}
    worker = start_worker(tmp_path, broker, "plain", concurrency=4, env=plain)
    backend_port = free_port()
    backend = start_backend(tmp_path, backend_port, broker, env=ROOMY)
    producer = create_celery(WorkerSettings(broker_url=broker, integration=False), results=False)
    paused = False
    try:
        with api(f"http://127.0.0.1:{backend_port}") as client:
            warm = producer.send_task(
                "data_sync.sync_single_file", args=["warm-up", "erin"], queue="data_sync"
            ).id
            wait_for(lambda: client.get(f"/api/v1/tasks/{warm}").status_code == 200, 30, "ledger")
            os.kill(backend.pid, signal.SIGSTOP)
            paused = True
            ids = {
                producer.send_task(
                    "data_sync.sync_single_file", args=[f"f-{n}", "erin"], queue="data_sync"
                ).id
                for n in range(BURST)
            }
            time.sleep(PAUSE_S)  # the pause itself is what is tested
            os.kill(backend.pid, signal.SIGCONT)
            paused = False

            def missing() -> set[str]:
                seen: set[str] = set()
                cursor: str | None = None
                while True:
                    params = {"state": "SUCCESS", "limit": "1000"}
                    if cursor:
                        params["cursor"] = cursor
                    page = client.get("/api/v1/tasks", params=params).json()
                    seen.update(item["task_id"] for item in page["items"])
                    cursor = page["next_cursor"]
                    if not cursor:
                        return ids - seen

            last: list[set[str]] = []

            def all_there() -> bool:
                last.append(missing())
                return not last[-1]

            try:
                wait_for(all_there, 60, "the burst", 1.0)
            except AssertionError:
                raise AssertionError(
                    f"{len(last[-1])} of {BURST} tasks sent during the pause are not in the ledger "
                    f"as succeeded; one of them: {client.get(f'/api/v1/tasks/{min(last[-1])}').text}"
                ) from None
    finally:
        if paused:
            os.kill(backend.pid, signal.SIGCONT)
        producer.close()
        backend.stop()
        worker.stop()
        redis_proc.stop()


def _sums(url: str) -> dict[str, float]:
    """Each metric family's total over its series, from /metrics (open to the tests)."""
    reply = httpx.get(f"{url}/metrics", timeout=10)
    assert reply.status_code == 200, reply.text
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


def _final_in_ledger(client: httpx.Client, ids: list[str]) -> int:
    done = 0
    for task_id in ids:
        reply = client.get(f"/api/v1/tasks/{task_id}")
        if reply.status_code == 200 and reply.json()["state"] in ("SUCCESS", "FAILURE"):
            done += 1
    return done


def test_sent_counts_the_publishes_seen_not_the_arguments_read_back(tmp_path: Path) -> None:
    """In the events fallback a finished task's whole arguments are read back from the
    result backend as a "published" record; that is no publish: celery_task_sent_total
    counts the task-sent events only (it counted each task twice)."""
    port = free_port()
    redis_proc = start_redis(tmp_path, port)
    broker = redis_url(port)
    worker = start_worker(tmp_path, broker, "plain", concurrency=2,
                          env={**FAST_WORKLOAD, "TASKDECK_INTEGRATION": "0"})  # fmt: skip
    backend_port = free_port()
    backend = start_backend(tmp_path, backend_port, broker, env=ROOMY)
    url = f"http://127.0.0.1:{backend_port}"
    producer = create_celery(WorkerSettings(broker_url=broker, integration=False), results=False)
    try:
        with api(url) as client:
            ids = [producer.send_task("data_sync.sync_single_file", args=[f"s-{n}", "erin"],
                                      queue="data_sync").id for n in range(30)]  # fmt: skip
            wait_for(lambda: _final_in_ledger(client, ids) == len(ids), 60, "every task final")
            record = client.get(f"/api/v1/tasks/{ids[0]}").json()
            assert record["args"] == ["s-0", "erin"]  # the read-back arguments still apply
            assert client.get("/health").json()["ledger"]["events_dropped"] == 0
        sums = _sums(url)
        assert sums["celery_task_sent_total"] == len(ids)
        assert sums["celery_task_succeeded_total"] == len(ids)
    finally:
        producer.close()
        backend.stop()
        worker.stop()
        redis_proc.stop()


def test_a_burst_beyond_the_buffer_is_counted_event_by_event(tmp_path: Path) -> None:
    """A buffer of 100 events and a burst of 400 tasks (some 1,600 events): every event
    is either applied or counted as dropped, in /health and in the metric, and a task the
    ledger does not hold as finished is one whose events were among those dropped."""
    port = free_port()
    redis_proc = start_redis(tmp_path, port)
    broker = redis_url(port)
    worker = start_worker(tmp_path, broker, "plain", concurrency=4,
                          env={**FAST_WORKLOAD, "TASKDECK_INTEGRATION": "0"})  # fmt: skip
    backend_port = free_port()
    backend = start_backend(tmp_path, backend_port, broker,
                            env={**ROOMY, "TASKDECK_EVENTS_BUFFER": "100"})  # fmt: skip
    url = f"http://127.0.0.1:{backend_port}"
    producer = create_celery(WorkerSettings(broker_url=broker, integration=False), results=False)
    results = redis.Redis.from_url(broker)
    try:
        with api(url) as client:
            wait_for(lambda: client.get("/health").json()["workers_monitor"]["connected"], 30,
                     "the backend's event receiver")  # fmt: skip
            ids = [producer.send_task("data_sync.sync_single_file", args=[f"b-{n}", "erin"],
                                      queue="data_sync").id for n in range(400)]  # fmt: skip

            def ran() -> int:  # as the result backend says: every task ran
                keys = [f"celery-task-meta-{t}" for t in ids]
                return sum(1 for raw in results.mget(keys) if raw)

            wait_for(lambda: ran() == len(ids), 90, "every task to run")

            def settled() -> dict[str, int] | None:
                first = client.get("/health").json()["ledger"]
                again = client.get("/health").json()["ledger"]
                # Every task's events in (4 per task at least: sent, received, started, done).
                if again["events_received"] < 4 * len(ids) or first != again:
                    return None
                return {k: again[k] for k in ("events_received", "events_dropped")}

            wait_for(lambda: settled() is not None, 60, "the events to settle")
            counts = settled()
            assert counts is not None
            dropped = counts["events_dropped"]
            assert dropped > 0  # the buffer was too small for the burst: the case under test
            health = client.get("/health").json()
            assert health["status"] == "degraded"
            assert any(f"{dropped} of {counts['events_received']} Celery task events were dropped"
                       in p for p in health["problems"])  # fmt: skip
            assert _sums(url)["taskdeck_ledger_events_dropped_total"] == dropped
            missing = len(ids) - _final_in_ledger(client, ids)
            assert missing <= dropped  # each task left unfinished lost an event, counted
    finally:
        results.close()
        producer.close()
        backend.stop()
        worker.stop()
        redis_proc.stop()
