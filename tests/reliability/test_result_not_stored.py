"""A task whose work succeeded while its result could not be stored (the worker's result
backend is a read-only replica, as after a failover that left its URL on a replica; the
broker works): the ledger says the work succeeded and the result was not stored, with the
backend's error, and a retry, which would run the work twice, is refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from taskdeck_dev.procs import LOOPBACK, ManagedProcess, free_port, require_binary, start_process
from taskdeck_dev.stack import redis_argv, redis_url, running_backend, start_redis, start_worker
from tests.conftest import FAST_WORKLOAD, ROOMY
from tests.helpers import api, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


@dataclass
class Stack:
    run_dir: Path
    broker_url: str
    replica_url: str
    backend: httpx.Client


def start_replica(run_dir: Path, port: int, master_port: int) -> ManagedProcess:
    """A redis-server replicating the broker: it refuses every write (replica-read-only)."""
    data = run_dir / "replica"
    data.mkdir(parents=True, exist_ok=True)
    argv = redis_argv(require_binary("redis-server"), data, port, aof=False)
    proc = start_process("replica", [*argv, "--replicaof", LOOPBACK, str(master_port)],
                         run_dir / "logs" / "replica.log")  # fmt: skip
    client = redis.Redis(host=LOOPBACK, port=port, socket_timeout=1)

    def in_sync() -> bool:
        try:
            info: Any = client.info("replication")
        except redis.RedisError:
            return False
        return info.get("role") == "slave" and info.get("master_link_status") == "up"

    try:
        wait_for(in_sync, 20, "the replica to follow the broker", 0.1)
    except BaseException:
        proc.stop()
        raise
    finally:
        client.close()
    return proc


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    run_dir = tmp_path_factory.mktemp("result_not_stored")
    port, replica_port = free_port(), free_port()
    broker = start_redis(run_dir, port)
    replica: ManagedProcess | None = None
    worker: ManagedProcess | None = None
    try:
        replica = start_replica(run_dir, replica_port, port)
        env = {**FAST_WORKLOAD, "TASKDECK_RESULT_BACKEND": redis_url(replica_port)}
        worker = start_worker(run_dir, redis_url(port), "storeless", concurrency=1, env=env)
        with running_backend(run_dir, redis_url(port), ROOMY) as backend:
            with api(backend.url, "support") as client:
                yield Stack(run_dir, redis_url(port), redis_url(replica_port), client)
    finally:
        for proc in (worker, replica, broker):
            if proc is not None:
                proc.stop()


def test_work_that_succeeded_without_its_result_stored_is_a_success_not_retried(
    stack: Stack,
) -> None:
    client = stack.backend
    body = {"name": "data_sync.sync_single_file", "args": ["F-00042", "rosa"], "user": "rosa"}
    reply = client.post("/api/v1/tasks", json=body)
    assert reply.status_code == 202, reply.text
    task_id = reply.json()["task_id"]
    url = f"/api/v1/tasks/{task_id}"
    final = {"SUCCESS", "FAILURE", "REVOKED", "REJECTED"}
    wait_for(lambda: client.get(url).json()["state"] in final, 20, "the task to end")
    task = client.get(url).json()
    assert task["state"] == "SUCCESS", task
    assert task["result"]["file_id"] == "F-00042"  # the work's own result, from the worker
    assert task["result_stored"] is False
    assert "ReadOnlyError" in task["result_error"] and "read only replica" in task["result_error"]
    assert task["exc_type"] is None and task["traceback"] is None
    # Celery's result backend indeed holds no result of it.
    for store in (stack.replica_url, stack.broker_url):
        results = redis.Redis.from_url(store)
        try:
            assert not results.exists(f"celery-task-meta-{task_id}")
        finally:
            results.close()
    # A retry would run the work a second time: refused, saying why.
    retried = client.post(f"{url}/retry", json={"reason": "the customer saw an error"})
    assert retried.status_code == 409, retried.text
    assert retried.json()["error"] == "not_retryable"
    assert "run the work a second time" in retried.json()["detail"]
    # Not counted as a failure, and its quota slot is free.
    assert client.get("/api/v1/failures/groups").json() == []
    rows = client.get("/api/v1/quotas").json()
    assert next(r["used"] for r in rows if r["user"] == "rosa") == 0
