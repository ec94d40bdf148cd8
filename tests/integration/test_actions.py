"""Cancel, priority, retry and bulk jobs against real Redis, real prefork workers and the backend.

This module has its own broker and backend, and starts and stops its worker
per test, so a test can hold work in the queue while no worker runs.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from celery import Celery

from taskdeck_core.transport import priority_list_names
from taskdeck_dev.procs import ManagedProcess
from taskdeck_dev.stack import start_worker
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import FAST_WORKLOAD, Server
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration

SYNC = "data_sync.sync_single_file"
BATCH = "data_sync.sync_batch"


class Workers:
    """Starts and stops this module's single worker (1 process, so run order is visible)."""

    def __init__(self, stack_dir: Path, broker: Server) -> None:
        self.stack_dir = stack_dir
        self.broker = broker
        self.proc: ManagedProcess | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.proc = start_worker(
            self.stack_dir, self.broker.url, f"actions{self.starts}", concurrency=1,
            env=FAST_WORKLOAD,
        )  # fmt: skip

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop(timeout=30)
            self.proc = None


@pytest.fixture
def workers(stack_dir: Path, broker: Server) -> Iterator[Workers]:
    control = Workers(stack_dir, broker)
    yield control
    control.stop()


@pytest.fixture
def admin(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url, "admin") as client:
        yield client


@pytest.fixture
def rdb(broker: Server) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(broker.url)
    yield client
    client.close()


def submit(
    client: httpx.Client, file_id: str, priority: int = 5, kwargs: dict[str, Any] | None = None
) -> str:
    body = {"name": SYNC, "args": [file_id, "alice"], "kwargs": kwargs or {}, "queue": "data_sync",
            "priority": priority, "user": "alice"}  # fmt: skip
    reply = client.post("/api/v1/tasks", json=body)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["task_id"])


def task(client: httpx.Client, task_id: str) -> dict[str, Any]:
    reply = client.get(f"/api/v1/tasks/{task_id}")
    return reply.json() if reply.status_code == 200 else {}


def events(record: dict[str, Any]) -> list[str]:
    return [h["event"] for h in record.get("history", [])]


def in_ledger(client: httpx.Client, task_id: str, state: str | None = None) -> bool:
    record = task(client, task_id)
    return bool(record) and (state is None or record["state"] == state)


def audit_count(client: httpx.Client) -> int:
    return len(client.get("/api/v1/audit", params={"limit": 1000}).json()["items"])


def test_cancelled_while_queued_never_runs(
    admin: httpx.Client, workers: Workers, rdb: redis.Redis
) -> None:
    victim = submit(admin, f"f-victim-{uuid.uuid4().hex[:6]}")
    wait_for(lambda: in_ledger(admin, victim, "PENDING"), 10, "the task in the ledger")
    reply = admin.post(f"/api/v1/tasks/{victim}/cancel", json={"reason": "customer withdrew"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["outcome"] == "removed_from_queue"
    assert sum(int(rdb.llen(k)) for k in priority_list_names("data_sync")) == 0
    marker = submit(admin, "f-marker-1")
    workers.start()
    wait_for(lambda: in_ledger(admin, marker, "SUCCESS"), 30, "the marker task to run")
    record = task(admin, victim)
    assert record["state"] == "REVOKED"
    assert "started" not in events(record)


@pytest.fixture
def producer(broker: Server) -> Iterator[Celery]:
    """A producer with the integration installed, for tasks the API does not submit (ETA)."""
    app = create_celery(WorkerSettings(broker_url=broker.url), results=False)
    yield app
    app.close()


def submit_eta(producer: Celery, file_id: str, countdown: float) -> str:
    result = producer.send_task(
        SYNC, args=[file_id, "alice"], queue="data_sync", countdown=countdown,
        headers={"taskdeck_user": "alice"},
    )  # fmt: skip
    return str(result.id)


def held_by_the_worker(admin: httpx.Client, workers: Workers, producer: Celery, kind: str) -> str:
    """Starts the worker and gives it a task with an ETA to hold; returns the task's id."""
    workers.start()
    victim = submit_eta(producer, f"f-{kind}-{uuid.uuid4().hex[:6]}", countdown=6)
    wait_for(lambda: in_ledger(admin, victim, "RECEIVED"), 15, "the worker to hold the task")
    return victim


def assert_never_started(admin: httpx.Client, producer: Celery, victim: str, marker: str) -> None:
    """Once a task sent after ``victim`` has run, ``victim`` is revoked and never started."""
    marker_id = submit_eta(producer, marker, countdown=8)
    wait_for(lambda: in_ledger(admin, marker_id, "SUCCESS"), 40, "the marker task to run")
    record = task(admin, victim)
    assert "started" not in events(record) and record["state"] == "REVOKED"


def test_cancel_while_the_only_worker_is_stopped_holds_after_restart(
    admin: httpx.Client, workers: Workers, producer: Celery
) -> None:
    victim = held_by_the_worker(admin, workers, producer, "eta")
    workers.stop()  # warm shutdown: the held message goes back to the broker
    reply = admin.post(f"/api/v1/tasks/{victim}/cancel", json={"reason": "duplicate upload"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["outcome"] in ("removed_from_queue", "revoked")
    workers.start()
    assert_never_started(admin, producer, victim, "f-marker-2")


def test_cancel_survives_a_worker_restart_that_forgets_revokes(
    admin: httpx.Client, workers: Workers, producer: Celery
) -> None:
    victim = held_by_the_worker(admin, workers, producer, "held")
    reply = admin.post(f"/api/v1/tasks/{victim}/cancel", json={"reason": "wrong file"})
    assert reply.status_code == 200 and reply.json()["outcome"] == "revoked"
    # A restart loses the worker's in-memory revokes; the message comes back from
    # the broker, and only the durable cancelled set stops it.
    workers.stop()
    workers.start()
    assert_never_started(admin, producer, victim, "f-marker-3")


def test_reprioritised_task_overtakes_and_runs_once(admin: httpx.Client, workers: Workers) -> None:
    before = [submit(admin, f"f-first-{n}", priority=5) for n in range(5)]
    late = submit(admin, "f-late", priority=5)
    wait_for(lambda: in_ledger(admin, late, "PENDING"), 10, "the late task in the ledger")
    reply = admin.post(f"/api/v1/tasks/{late}/priority", json={"priority": 9, "reason": "VIP"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["outcome"] == "moved"
    messages = admin.get("/api/v1/queues/data_sync/messages").json()
    assert messages["items"][0]["task_id"] == late and messages["items"][0]["priority"] == 9
    assert messages["total"] == 6
    workers.start()
    everyone = [late, *before]
    wait_for(lambda: all(in_ledger(admin, t, "SUCCESS") for t in everyone), 60, "all tasks to run")
    starts = {t: task(admin, t)["started_at"] for t in everyone}
    assert all(starts[late] < starts[t] for t in before)
    assert events(task(admin, late)).count("started") == 1


def test_priority_of_a_finished_task_is_refused(admin: httpx.Client, workers: Workers) -> None:
    workers.start()
    done = submit(admin, "f-done")
    wait_for(lambda: in_ledger(admin, done, "SUCCESS"), 30, "the task to run")
    reply = admin.post(f"/api/v1/tasks/{done}/priority", json={"priority": 9, "reason": "late"})
    assert reply.status_code == 409
    assert reply.json()["error"] == "not_queued" and "SUCCESS" in reply.json()["detail"]


def test_retry_sends_large_arguments_back_whole(admin: httpx.Client, workers: Workers) -> None:
    workers.start()
    files = [f"erp-export-{n:04d}-{'x' * 24}" for n in range(60)]
    assert len(repr(files)) > 1024  # longer than Celery's argsrepr
    reply = admin.post(
        "/api/v1/tasks",
        json={"name": BATCH, "args": [files, "bob"], "queue": "data_sync", "user": "bob"},
    )
    original = reply.json()["task_id"]
    wait_for(lambda: in_ledger(admin, original, "SUCCESS"), 60, "the batch to run")
    reply = admin.post(f"/api/v1/tasks/{original}/retry", json={"reason": "re-sync", "priority": 8})
    assert reply.status_code == 200, reply.text
    new_id = reply.json()["new_task_id"]
    wait_for(lambda: in_ledger(admin, new_id, "SUCCESS"), 60, "the retry to run")
    retried = task(admin, new_id)
    assert retried["args"] == [files, "bob"]
    assert retried["result"]["files"] == 60
    assert retried["retry_of"] == original and retried["priority"] == 8
    assert [r["task_id"] for r in task(admin, original)["retried_as"]] == [new_id]


def test_bulk_retry_twice_with_one_key_retries_each_task_once(
    admin: httpx.Client, workers: Workers
) -> None:
    workers.start()
    marker = uuid.uuid4().hex[:8]
    failed = [submit(admin, f"f-bad-{marker}-{n}", kwargs={"bogus": n}) for n in range(3)]
    wait_for(lambda: all(in_ledger(admin, t, "FAILURE") for t in failed), 30, "the failures")
    body = {"action": "retry", "task_ids": failed, "reason": "file store back",
            "idempotency_key": f"retry-{marker}"}  # fmt: skip
    first = admin.post("/api/v1/actions/bulk", json=body)
    second = admin.post("/api/v1/actions/bulk", json=body)
    assert first.status_code == second.status_code == 202
    assert first.json()["job_id"] == second.json()["job_id"]
    job_id = first.json()["job_id"]
    wait_for(
        lambda: admin.get(f"/api/v1/actions/bulk/{job_id}").json()["state"] == "done", 30, "job"
    )
    job = admin.get(f"/api/v1/actions/bulk/{job_id}").json()
    assert (job["total"], job["done"], job["failed"]) == (3, 3, 0)
    wait_for(lambda: all(task(admin, t)["retried_as"] for t in failed), 15, "retries in ledger")
    assert all(len(task(admin, t)["retried_as"]) == 1 for t in failed)
    # The same key with another request is refused.
    other = admin.post("/api/v1/actions/bulk", json={**body, "task_ids": failed[:1]})
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"


def test_bulk_by_failure_group_dry_run_counts(admin: httpx.Client, workers: Workers) -> None:
    workers.start()
    marker = uuid.uuid4().hex[:8]
    failed = [submit(admin, f"f-grp-{marker}-{n}", kwargs={"bogus": 1}) for n in range(4)]
    wait_for(lambda: all(in_ledger(admin, t, "FAILURE") for t in failed), 30, "the failures")
    groups = admin.get("/api/v1/failures/groups", params={"name": SYNC}).json()
    group = next(g for g in groups if g["exc_type"] == "TypeError")
    assert group["count"] >= 4 and "alice" in group["users"]
    assert "<str>" in group["message"]  # the keyword name is normalised away
    reply = admin.post(
        "/api/v1/actions/bulk",
        json={"action": "retry", "filter": {"failure_group": group["signature"]},
              "reason": "check", "idempotency_key": f"dry-{marker}", "dry_run": True},
    )  # fmt: skip
    assert reply.status_code == 200 and reply.json()["total"] == group["count"]


def bulk_priority(url: str, ids: list[str], priority: int, key: str) -> httpx.Response:
    with api(url, "admin") as client:
        return client.post("/api/v1/actions/bulk", json={
            "action": "priority", "task_ids": ids, "priority": priority, "reason": "VIP customer",
            "idempotency_key": key})  # fmt: skip


def job_done(admin: httpx.Client, job_id: str) -> bool:
    return bool(admin.get(f"/api/v1/actions/bulk/{job_id}").json()["state"] == "done")


def test_identical_bulk_requests_at_the_same_moment_get_one_job(
    admin: httpx.Client, backend: Server
) -> None:
    waiting = [submit(admin, f"f-same-{n}") for n in range(3)]
    wait_for(lambda: all(in_ledger(admin, t, "PENDING") for t in waiting), 10, "the tasks")
    keys = []
    for round_ in range(4):
        key = f"same-moment-{uuid.uuid4().hex}"
        keys.append(key)
        start = threading.Barrier(8)

        def fire(
            start: threading.Barrier, key: str = key, priority: int = 6 + round_
        ) -> httpx.Response:
            start.wait()
            return bulk_priority(backend.url, waiting, priority, key)

        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(fire, [start] * 8))
        assert [r.status_code for r in replies] == [202] * 8, [r.text for r in replies]
        assert len({r.json()["job_id"] for r in replies}) == 1
        job_id = str(replies[0].json()["job_id"])
        wait_for(functools.partial(job_done, admin, job_id), 15, "the job")
    entries = admin.get("/api/v1/audit", params={"limit": 1000}).json()["items"]
    ours = [e for e in entries if e["request"].get("idempotency_key") in keys]
    assert [e["status"] for e in ours] == ["ok"] * len(keys)
    assert not [e for e in entries if e["status"] == "pending"]


def test_a_move_is_in_the_ledger_and_a_later_retry_keeps_it(
    admin: httpx.Client, workers: Workers
) -> None:
    moved = submit(admin, f"f-move-{uuid.uuid4().hex[:6]}", priority=5)
    by_bulk = submit(admin, f"f-move-{uuid.uuid4().hex[:6]}", priority=5)
    wait_for(lambda: in_ledger(admin, by_bulk, "PENDING"), 10, "the tasks in the ledger")
    reply = admin.post(f"/api/v1/tasks/{moved}/priority", json={"priority": 9, "reason": "VIP"})
    assert reply.status_code == 200 and reply.json()["outcome"] == "moved"
    record = task(admin, moved)
    assert record["priority"] == 9 and "priority_changed" in events(record)
    reply = bulk_priority(str(admin.base_url), [by_bulk], 2, f"move-{uuid.uuid4().hex}")
    wait_for(lambda: job_done(admin, reply.json()["job_id"]), 15, "the job")
    record = task(admin, by_bulk)
    assert record["priority"] == 2 and "priority_changed" in events(record)
    workers.start()
    wait_for(lambda: in_ledger(admin, moved, "SUCCESS"), 30, "the moved task to run")
    again = admin.post(f"/api/v1/tasks/{moved}/retry", json={"reason": "re-sync"}).json()
    wait_for(lambda: in_ledger(admin, again["new_task_id"]), 10, "the retry in the ledger")
    assert task(admin, again["new_task_id"])["priority"] == 9


def test_bulk_dry_run_announces_each_outcome_the_job_then_has(
    admin: httpx.Client, workers: Workers
) -> None:
    workers.start()
    marker = uuid.uuid4().hex[:8]
    failed = submit(admin, f"f-dry-{marker}", kwargs={"bogus": 1})
    wait_for(lambda: in_ledger(admin, failed, "FAILURE"), 30, "the failure")
    workers.stop()
    waiting = submit(admin, f"f-dry-wait-{marker}")
    wait_for(lambda: in_ledger(admin, waiting, "PENDING"), 10, "the waiting task")
    unknown = f"no-such-task-{marker}"
    ids = [failed, waiting, unknown]
    expected = {
        "priority": {"moved": 1, "not_queued": 1, "not_found": 1},
        "retry": {"retried": 1, "not_retryable": 1, "not_found": 1},
        "cancel": {"already_finished": 1, "removed_from_queue": 1, "not_found": 1},
    }
    for action, outcomes in expected.items():
        body = {"action": action, "task_ids": ids, "reason": "check first",
                "idempotency_key": f"dry-{action}-{marker}",
                **({"priority": 8} if action == "priority" else {})}  # fmt: skip
        dry = admin.post("/api/v1/actions/bulk", json={**body, "dry_run": True})
        assert dry.status_code == 200, dry.text
        assert dry.json()["outcomes"] == outcomes, action
        reply = admin.post("/api/v1/actions/bulk", json=body)
        assert reply.status_code == 202, reply.text
        job_id = reply.json()["job_id"]
        wait_for(functools.partial(job_done, admin, job_id), 15, f"the {action} job")
        assert admin.get(f"/api/v1/actions/bulk/{job_id}").json()["outcomes"] == outcomes
    # Nothing to act on at all is refused, as the single routes refuse an unknown task.
    reply = admin.post("/api/v1/actions/bulk", json={
        "action": "cancel", "task_ids": [unknown, f"{unknown}-2"], "reason": "typo",
        "idempotency_key": f"unknown-{marker}"})  # fmt: skip
    assert reply.status_code == 404 and reply.json()["error"] == "unknown_task"
