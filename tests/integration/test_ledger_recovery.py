"""The ledger misses no task when the backend is SIGKILLed in the middle of a run."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import httpx
import pytest

from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import start_backend, start_redis, start_worker
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import FAST_WORKLOAD, ROOMY
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration

RUN = 2000


def states(client: httpx.Client, user: str) -> Counter[str]:
    seen: Counter[str] = Counter()
    cursor = None
    while True:
        params: dict[str, str | int] = {"user": user, "limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/tasks", params=params).json()
        seen.update(item["state"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return seen


def test_backend_killed_mid_run_misses_no_task(tmp_path: Path) -> None:
    redis_proc = start_redis(tmp_path, free_port())
    broker = f"redis://127.0.0.1:{redis_proc.argv[redis_proc.argv.index('--port') + 1]}/0"
    worker = start_worker(tmp_path, broker, "recovery", concurrency=2,
                          env={**FAST_WORKLOAD, "TASKDECK_WORKLOAD_SPEED": "1000"})  # fmt: skip
    env = {**ROOMY, "TASKDECK_INSTANCE": "ledger-test"}
    port = free_port()
    backend = start_backend(tmp_path, port, broker, env=env)
    producer = create_celery(WorkerSettings(broker_url=broker), results=False)
    url = f"http://127.0.0.1:{port}"
    try:
        with api(url) as client:
            sent = []
            for n in range(RUN):
                result = producer.send_task(
                    "data_sync.sync_single_file", args=[f"f-{n}", "recovery"],
                    queue="data_sync", headers={"taskdeck_user": "recovery"},
                )  # fmt: skip
                sent.append(result.id)
                if n == RUN // 4:
                    wait_for(
                        lambda: client.get("/health").json()["ledger"]["records"] > 200, 30,
                        "the ledger to ingest a first part",
                    )  # fmt: skip
                    os.killpg(backend.pid, signal.SIGKILL)
                    wait_for(lambda: not backend.alive(), 10, "the backend to die")
            # Tasks go on running and recording while the backend is down.
            backend = start_backend(tmp_path, port, broker, env=env)

            def all_done() -> bool:
                return states(client, "recovery").get("SUCCESS", 0) == RUN

            wait_for(all_done, 120, f"all {RUN} tasks to reach the ledger as SUCCESS", interval=0.5)
            seen = states(client, "recovery")
            assert sum(seen.values()) == RUN
            health = client.get("/health").json()
            assert health["ledger"]["source"] == "lifecycle-stream"
            assert health["ledger"]["lag"] == 0
    finally:
        producer.close()
        backend.stop()
        worker.stop()
        redis_proc.stop()
