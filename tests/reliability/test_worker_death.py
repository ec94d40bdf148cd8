"""A whole worker (main process and pool) SIGKILLed mid-task and started again under the
same name: the backend tells the new process from the dead one, shows the dead one's task
as awaiting redelivery at the time the broker will deliver it again (when it was taken
plus the visibility timeout), frees its quota slot meanwhile, and takes the slot again
when the task is delivered again, runs and succeeds. A worker without acks_late loses
such a task for good: it is marked lost, saying why."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from taskdeck_dev.procs import ManagedProcess, free_port, group_members
from taskdeck_dev.stack import redis_url, running_backend, start_redis, start_worker
from taskdeck_worker.tasks import data_sync
from tests.conftest import DATA_SYNC_SYSTEM, ROOMY
from tests.helpers import api, wait_for
from tests.stock import StockConfig, add_acl_user, start_stock_worker, stock_app
from tests.stock_system import RAN_KEY

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

VISIBILITY_TIMEOUT_S = 12  # the workers' (TASKDECK_VISIBILITY_TIMEOUT_S): short, for a test
RUN_S = 5.0  # how long the task runs, each time it runs
WATCH = {"TASKDECK_BROKER_WATCH_S": "0.3", "TASKDECK_LOST_CONFIRM_S": "0.5"}


def file_lasting(seconds_at_speed_1: tuple[float, float]) -> tuple[str, float]:
    """A file id whose sync takes between the given seconds at workload speed 1 (the
    workload's durations are drawn from the file id), and that duration."""
    for n in range(10_000):
        file_id = f"F-{n:05d}"
        rng = data_sync._attempt_rng(file_id, 0)
        seconds = data_sync._sleep_for(rng) * data_sync.settings.workload_speed
        if seconds_at_speed_1[0] <= seconds <= seconds_at_speed_1[1]:
            return file_id, seconds
    raise AssertionError("no file id of that duration")


def kill_whole(worker: ManagedProcess) -> None:
    """SIGKILL the worker's main process and its pool at once (its process group)."""
    members = group_members(worker.pid)
    assert len(members) >= 2, members  # the main process and its pool
    os.killpg(worker.pid, signal.SIGKILL)
    wait_for(lambda: not group_members(worker.pid), 10, "the whole worker to die")
    worker.stop()  # reaps it


def unacked_taken_at(client: redis.Redis, task_id: str) -> float:
    """When a worker took ``task_id``'s message, as kombu keeps it: its unacked entry's
    delivery tag, scored in unacked_index."""
    entries: Any = client.hgetall("unacked")
    tags = [tag for tag, payload in entries.items() if task_id.encode() in payload]
    assert len(tags) == 1, f"{task_id} is not held unacknowledged: {entries}"
    score = client.zscore("unacked_index", tags[0])
    assert score is not None
    return float(score)


def events(task: dict[str, Any]) -> list[str]:
    return [h["event"] for h in task["history"]]


def used_slots(client: httpx.Client, user: str) -> int:
    rows = client.get("/api/v1/quotas").json()
    return next((int(r["used"]) for r in rows if r["user"] == user), 0)


@dataclass
class Stack:
    run_dir: Path
    url: str
    backend: httpx.Client


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    run_dir = tmp_path_factory.mktemp("worker_death")
    port = free_port()
    server = start_redis(run_dir, port)
    try:
        with running_backend(run_dir, redis_url(port), {**ROOMY, **WATCH}) as backend:
            with api(backend.url, "admin") as client:
                yield Stack(run_dir, redis_url(port), client)
    finally:
        server.stop()


def test_a_killed_workers_task_awaits_redelivery_then_runs_again_and_keeps_its_slot_right(
    stack: Stack,
) -> None:
    file_id, seconds = file_lasting((1.0, 1.5))
    env = {"TASKDECK_WORKLOAD_SPEED": str(seconds / RUN_S), "TASKDECK_WORKLOAD_FAILURE_RATE": "0",
           "TASKDECK_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S)}  # fmt: skip
    client, broker = stack.backend, redis.Redis.from_url(stack.url)
    worker = start_worker(stack.run_dir, stack.url, "victim", concurrency=1, env=env)
    try:

        def knows_timeout() -> bool:  # the worker told the backend (asked 0, 10, 30 s in)
            workers = client.get("/api/v1/workers").json()
            return any(w["hostname"] == "victim@taskdeck"
                       and w["visibility_timeout_s"] == VISIBILITY_TIMEOUT_S for w in workers)  # fmt: skip

        wait_for(knows_timeout, 40, "the backend to know the worker's visibility timeout")
        reply = client.post("/api/v1/tasks", json={"name": "data_sync.sync_single_file",
                                                   "args": [file_id, "vera"], "user": "vera"})  # fmt: skip
        assert reply.status_code == 202, reply.text
        task_id = reply.json()["task_id"]
        url = f"/api/v1/tasks/{task_id}"
        wait_for(lambda: client.get(url).json()["state"] == "STARTED", 20, "the task to start")
        assert used_slots(client, "vera") == 1

        due = unacked_taken_at(broker, task_id) + VISIBILITY_TIMEOUT_S
        old_pid = worker.pid
        kill_whole(worker)
        worker = start_worker(stack.run_dir, stack.url, "victim", concurrency=1, env=env)
        assert worker.pid != old_pid

        wait_for(lambda: client.get(url).json()["redelivery_at"] is not None, 10,
                 "the task to be shown awaiting redelivery", 0.1)  # fmt: skip
        task = client.get(url).json()
        assert time.time() < due  # seen before the broker delivers it again
        assert task["state"] == "STARTED" and task["worker_pid"] == old_pid
        assert task["redelivery_at"] == pytest.approx(due, abs=0.01)
        reason = task["redelivery_reason"]
        assert "victim@taskdeck was started again" in reason and str(worker.pid) in reason
        assert time.strftime("%H:%M:%S", time.localtime(due)) in reason
        assert events(task)[-1] == "awaiting_redelivery"
        assert used_slots(client, "vera") == 0  # free while it is not running
        [row] = [
            w for w in client.get("/api/v1/workers").json() if w["hostname"] == "victim@taskdeck"
        ]
        assert (row["pid"], row["awaiting_redelivery"]) == (worker.pid, 1)
        assert row["redelivery_at"] == pytest.approx(due, abs=0.01)
        redelivery = client.get("/api/v1/environment").json()["redelivery"]
        assert (redelivery["visibility_timeout_s"], redelivery["source"]) == (12, "workers")

        # The broker delivers it again once past the visibility timeout; it runs again on
        # the new process, with its slot taken again, and succeeds.
        def received_again() -> dict[str, Any] | None:
            seen = client.get(url).json()
            return seen if events(seen).count("received") == 2 else None

        wait_for(received_again, VISIBILITY_TIMEOUT_S + 15, "the task to be delivered again")
        again = received_again()
        assert again is not None and again["redelivery_at"] is None
        assert again["worker_pid"] == worker.pid
        second = [h["at"] for h in again["history"] if h["event"] == "received"][1]
        assert second >= due - 0.01  # not before the visibility timeout
        wait_for(lambda: used_slots(client, "vera") == 1, RUN_S, "the slot to be taken again")
        assert client.get(url).json()["state"] != "SUCCESS"  # while it runs
        wait_for(lambda: client.get(url).json()["state"] == "SUCCESS", RUN_S + 15,
                 "the redelivered task to succeed")  # fmt: skip
        done = client.get(url).json()
        assert events(done) == ["published", "received", "started", "awaiting_redelivery",
                                "received", "started", "succeeded"]  # fmt: skip
        assert done["worker_pid"] == worker.pid and done["result"]["file_id"] == file_id
        wait_for(lambda: used_slots(client, "vera") == 0, 10, "the slot to be freed at its end")
    finally:
        worker.stop()
        broker.close()


def test_a_task_started_on_a_worker_without_acks_late_is_lost_with_it(tmp_path: Path) -> None:
    config = StockConfig()
    port = free_port()
    server = start_redis(tmp_path, port)
    url = add_acl_user(port)
    env = {**{k: v for k, v in ROOMY.items() if k not in DATA_SYNC_SYSTEM}, **WATCH}
    app = stock_app(url, config)
    worker: ManagedProcess | None = None
    try:
        with running_backend(tmp_path, url, env) as backend, api(backend.url, "viewer") as client:
            worker = start_stock_worker(tmp_path, url, config)

            def heard() -> bool:
                workers = client.get("/api/v1/workers").json()
                return any(w["hostname"] == "stock@erp" and w["online"] for w in workers)

            wait_for(heard, 30, "the backend to hear the stock worker", 0.2)
            task_id = str(app.send_task("erp.sync", args=["R-1"], kwargs={"pause_s": 60},
                                        queue="erp_sync").id)  # fmt: skip
            url_ = f"/api/v1/tasks/{task_id}"

            def started() -> bool:
                reply = client.get(url_)
                return reply.status_code == 200 and reply.json()["state"] == "STARTED"

            wait_for(started, 20, "the stock task to start")
            old_pid = worker.pid
            kill_whole(worker)
            worker = start_stock_worker(tmp_path, url, config)

            wait_for(lambda: client.get(url_).json()["lost_at"] is not None, 15,
                     "the task to be marked lost", 0.1)  # fmt: skip
            task = client.get(url_).json()
            assert task["state"] == "STARTED" and task["worker_pid"] == old_pid
            assert task["redelivery_at"] is None
            assert "stock@erp was started again" in task["lost_reason"]
            assert "acks_late" in task["lost_reason"]
            assert (
                client.get("/api/v1/tasks", params={"lost": "true"}).json()["items"][0]["task_id"]
                == task_id
            )
            db = redis.Redis.from_url(url)
            try:  # as the reason says: its message is gone from the broker
                assert not db.hlen("unacked")
                assert not any(db.llen(key) for key in config.lists("erp_sync"))
                ran: Any = db.lrange(RAN_KEY, 0, -1)
                assert [r.decode() for r in ran] == [task_id]
            finally:
                db.close()
    finally:
        if worker is not None:
            worker.stop()
        app.close()
        server.stop()
