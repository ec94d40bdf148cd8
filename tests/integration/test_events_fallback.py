"""Without the integration, the ledger is fed from Celery events and the result backend."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

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
