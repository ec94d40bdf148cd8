"""The backend killed in the middle of a bulk retry: the job resumes after a restart and
every failed task is retried exactly once, by the broker's own count."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
import redis

from taskdeck_core import lifecycle as lc
from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import start_backend, start_redis
from tests.bulk_fixture import failed_tasks, retries_waiting
from tests.conftest import ROOMY
from tests.helpers import api, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

FAILED = 6000
USER = "crash-user"


def test_a_bulk_retry_cut_by_a_backend_crash_resumes_and_retries_each_task_once(
    tmp_path: Path,
) -> None:
    port = free_port()
    redis_proc = start_redis(tmp_path, port)
    url = f"redis://127.0.0.1:{port}/0"
    db = redis.Redis.from_url(url)
    backend_port = free_port()
    backend = start_backend(tmp_path, backend_port, url, env=ROOMY)
    body = {"action": "retry", "filter": {"user": USER, "state": "FAILURE"},
            "reason": "file store back", "idempotency_key": "crash-retry-0001"}  # fmt: skip
    try:
        pipe = db.pipeline(transaction=False)
        for record in failed_tasks(FAILED, "crash", USER):
            pipe.xadd(lc.STREAM_KEY, record.to_fields())  # type: ignore[arg-type]
        pipe.execute()
        with api(f"http://127.0.0.1:{backend_port}") as client:

            def selected() -> int:
                reply = client.post("/api/v1/actions/bulk", json={**body, "dry_run": True})
                return int(reply.json().get("total", 0)) if reply.status_code == 200 else 0

            wait_for(lambda: selected() == FAILED, 60, "the failed tasks in the ledger", 0.2)
            job_id = client.post("/api/v1/actions/bulk", json=body).json()["job_id"]

            def done() -> int:
                return int(client.get(f"/api/v1/actions/bulk/{job_id}").json()["done"])

            wait_for(lambda: done() >= FAILED // 10, 60, "the job to be under way", 0.005)
            os.kill(backend.pid, signal.SIGKILL)
            at_crash = sum(retries_waiting(db).values())
        assert at_crash < FAILED, "the job ended before the crash: nothing was tested"
        backend.stop()
        backend = start_backend(tmp_path, backend_port, url, env=ROOMY)
        with api(f"http://127.0.0.1:{backend_port}") as client:

            def finished() -> dict[str, Any]:
                job: dict[str, Any] = client.get(f"/api/v1/actions/bulk/{job_id}").json()
                return job if job["state"] in ("done", "failed") else {}

            wait_for(finished, 90, "the job to resume and end", 0.2)
            job = finished()
            # The same request again answers the same job and sends nothing more.
            again = client.post("/api/v1/actions/bulk", json=body).json()
        assert job["state"] == "done" and job["done"] == FAILED and job["failed"] == 0, job
        assert again["job_id"] == job_id
        counts = retries_waiting(db)
        assert len(counts) == FAILED and set(counts.values()) == {1}, (
            f"{sum(counts.values())} retries for {len(counts)} tasks; twice: "
            f"{[t for t, n in counts.items() if n > 1][:5]}"
        )
    finally:
        backend.stop()
        db.close()
        redis_proc.stop()
