"""redis-server killed (SIGKILL) and restarted on the same port and data dir: with AOF no
accepted task is missing; a task the broker still loses (a message gone behind TaskDeck's
back, or a Redis run without AOF) is marked lost, counted in /health and /metrics, and can
be retried; quota slots a restart rolled back or left behind are repaired both ways. No
worker runs, so every accepted task must still wait in the broker."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from backend.services.broker import BrokerQueues
from backend.services.quotas import OPEN_PREFIX, OWNER_KEY
from taskdeck_dev.procs import ManagedProcess, free_port
from taskdeck_dev.stack import redis_url, running_backend, start_redis
from tests.conftest import ROOMY
from tests.helpers import Submitters, api, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

SYNC = "data_sync.sync_single_file"
QUEUE = "data_sync"
# Look at the broker often and confirm a loss soon; quotas are reconciled only after a check.
WATCH = {**ROOMY, "TASKDECK_BROKER_WATCH_S": "0.2", "TASKDECK_LOST_CONFIRM_S": "0.5",
         "TASKDECK_QUOTA_RECONCILE_S": "3600"}  # fmt: skip


@dataclass
class Stack:
    """A redis-server of its own, restartable on the same port and data dir, and a backend."""

    run_dir: Path
    port: int
    server: ManagedProcess
    backend_url: str = ""
    aof: bool = True

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(redis_url(self.port))

    def kill_and_restart_redis(self) -> float:
        """SIGKILL redis-server and start it again on the same port and data; returns when."""
        os.kill(self.server.pid, signal.SIGKILL)
        wait_for(lambda: not self.server.alive(), 5, "redis-server to die")
        self.server.stop()  # reaps it
        at = time.time()
        self.server = start_redis(self.run_dir, self.port, aof=self.aof)
        return at

    def waiting_ids(self) -> set[str]:
        client = self.client()
        try:
            return BrokerQueues(client).waiting_ids(QUEUE)
        finally:
            client.close()


@contextlib.contextmanager
def running_stack(run_dir: Path, aof: bool = True) -> Iterator[Stack]:
    port = free_port()
    stack = Stack(run_dir, port, start_redis(run_dir, port, aof=aof), aof=aof)
    try:
        with running_backend(run_dir, redis_url(port), WATCH) as backend:
            stack.backend_url = backend.url
            wait_for(lambda: lost_tasks(stack)["last_check_at"], 20, "the first broker check")
            yield stack
    finally:
        stack.server.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("broker_restart")) as s:
        yield s


def lost_tasks(stack: Stack) -> dict[str, Any]:
    body = httpx.get(f"{stack.backend_url}/health", timeout=10).json()
    return dict(body["lost_tasks"] or {})


def checked_after(stack: Stack, restarts: int, at: float) -> dict[str, Any] | None:
    """/health's lost_tasks once the backend has seen the restart and checked after it."""
    seen = lost_tasks(stack)
    done = (
        seen["broker_restarts"] == restarts
        and (seen["last_check_at"] or 0) > at
        and not seen["checking"]
    )
    return seen if done else None


def submit(client: httpx.Client, user: str) -> str:
    body = {"name": SYNC, "args": [f"f-{uuid.uuid4().hex[:8]}", user], "user": user}
    reply = client.post("/api/v1/tasks", json=body)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["task_id"])


def lost_metric(stack: Stack) -> float:
    text = httpx.get(f"{stack.backend_url}/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith("taskdeck_tasks_lost_total "))
    return float(line.split()[1])


def quota_of(client: httpx.Client, user: str) -> dict[str, Any]:
    rows = client.get("/api/v1/quotas").json()
    return next((r for r in rows if r["user"] == user), {"used": 0, "drift": 0})


def test_with_aof_a_sigkill_during_a_burst_of_submissions_loses_no_accepted_task(
    stack: Stack,
) -> None:
    restarts = lost_tasks(stack)["broker_restarts"]
    with Submitters(stack.backend_url, "burst", threads=6) as burst:
        wait_for(lambda: len(burst.accepted) >= 150, 30, "150 accepted submissions")
        at_kill = len(burst.accepted)
        killed_at = stack.kill_and_restart_redis()  # while the submitters keep going
        wait_for(lambda: len(burst.accepted) >= at_kill + 50, 30, "submissions accepted again")
    accepted = burst.ids
    assert len(set(accepted)) == len(accepted)
    waiting = stack.waiting_ids()
    missing = [t for t in accepted if t not in waiting]
    assert not missing, f"{len(missing)} of {len(accepted)} accepted tasks are gone from the broker"
    seen = None

    def checked() -> bool:
        nonlocal seen
        seen = checked_after(stack, restarts + 1, killed_at)
        return seen is not None

    wait_for(checked, 20, "the backend to check the waiting tasks after the restart")
    assert seen is not None and seen["lost"] == 0 and seen["broker_aof"] is True
    with api(stack.backend_url, "viewer") as viewer:
        listed: set[str] = set()
        cursor = None
        while True:
            params: dict[str, Any] = {"user": "burst", "limit": 1000}
            if cursor:
                params["cursor"] = cursor
            page = viewer.get("/api/v1/tasks", params=params).json()
            listed |= {t["task_id"] for t in page["items"] if t["state"] == "PENDING"}
            listed -= {t["task_id"] for t in page["items"] if t["lost_at"] is not None}
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert set(accepted) <= listed  # in the ledger, waiting, none marked lost


def test_a_task_the_broker_lost_is_marked_lost_counted_and_retryable(stack: Stack) -> None:
    with api(stack.backend_url, "support") as support:
        ids = [submit(support, "lena") for _ in range(3)]
        victim = ids[1]
        client = stack.client()
        try:  # the loss Redis can still cause, behind TaskDeck's back
            assert BrokerQueues(client).remove(QUEUE, [victim])
        finally:
            client.close()
        before, counted = lost_tasks(stack), lost_metric(stack)
        killed_at = stack.kill_and_restart_redis()
        seen: dict[str, Any] | None = None

        def marked() -> bool:
            nonlocal seen
            seen = checked_after(stack, before["broker_restarts"] + 1, killed_at)
            return seen is not None and seen["lost"] == before["lost"] + 1

        wait_for(marked, 20, "the lost task to be marked")
        assert seen is not None and seen["last_lost_at"] >= killed_at
        task = support.get(f"/api/v1/tasks/{victim}").json()
        assert task["state"] == "PENDING" and task["lost_at"] >= killed_at
        assert "restarted" in task["lost_reason"]
        assert [h["event"] for h in task["history"]] == ["published", "lost"]
        for other in (ids[0], ids[2]):
            assert support.get(f"/api/v1/tasks/{other}").json()["lost_at"] is None
        listed = support.get("/api/v1/tasks", params={"lost": "true", "user": "lena"}).json()
        assert [t["task_id"] for t in listed["items"]] == [victim]
        assert lost_metric(stack) == counted + 1
        # Its quota slot is free: the user's slots are the two tasks still waiting.
        row = quota_of(support, "lena")
        assert (row["used"], row["drift"]) == (2, 0)
        retried = support.post(f"/api/v1/tasks/{victim}/retry", json={"reason": "lost by Redis"})
        assert retried.status_code == 200, retried.text
        new_id = retried.json()["new_task_id"]
        assert new_id in stack.waiting_ids()


def test_quota_slots_a_restart_rolled_back_or_left_behind_are_repaired(stack: Stack) -> None:
    with api(stack.backend_url, "admin") as admin:
        ids = [submit(admin, "carol") for _ in range(4)]
        cancelled = ids[3]
        reply = admin.post(f"/api/v1/tasks/{cancelled}/cancel", json={"reason": "not needed"})
        assert reply.status_code == 200, reply.text
        assert quota_of(admin, "carol")["used"] == 3
        # What a broker rolled back to an older state does to the slots: two taken since
        # are gone, and the cancelled task's slot, freed since, is back.
        client = stack.client()
        try:
            client.srem(OPEN_PREFIX + "carol", ids[0], ids[1])
            client.hdel(OWNER_KEY, ids[0], ids[1])
            client.sadd(OPEN_PREFIX + "carol", cancelled)
            client.hset(OWNER_KEY, cancelled, "carol")
        finally:
            client.close()
        assert (quota_of(admin, "carol")["used"], quota_of(admin, "carol")["drift"]) == (2, -1)
        stack.kill_and_restart_redis()

        def repaired() -> bool:
            row = quota_of(admin, "carol")
            return (row["used"], row["drift"]) == (3, 0)

        wait_for(repaired, 20, "carol's slots to be repaired")
        client = stack.client()
        try:
            members: Any = client.smembers(OPEN_PREFIX + "carol")
            slots = {m.decode() for m in members}
        finally:
            client.close()
        assert slots == set(ids[:3])


def test_a_redis_without_aof_loses_what_it_accepted_and_every_loss_is_marked(
    tmp_path: Path,
) -> None:
    with running_stack(tmp_path, aof=False) as stack:
        with api(stack.backend_url, "support") as support:
            ids = [submit(support, "nora") for _ in range(40)]
            assert set(ids) <= stack.waiting_ids()
            restarts = lost_tasks(stack)["broker_restarts"]
            killed_at = stack.kill_and_restart_redis()
            assert not stack.waiting_ids() & set(ids)  # no snapshot since: all gone
            seen: dict[str, Any] | None = None

            def marked() -> bool:
                nonlocal seen
                seen = checked_after(stack, restarts + 1, killed_at)
                return seen is not None and seen["lost"] == len(ids)

            wait_for(marked, 20, "every lost task to be marked")
            assert seen is not None and seen["broker_aof"] is False
            assert lost_metric(stack) == len(ids)
            metrics = httpx.get(f"{stack.backend_url}/metrics", timeout=10).text
            assert "taskdeck_broker_aof_enabled 0.0" in metrics
            listed = support.get("/api/v1/tasks", params={"lost": "true", "limit": 100}).json()
            assert {t["task_id"] for t in listed["items"]} == set(ids)
            assert "without AOF" in listed["items"][0]["lost_reason"]
            row = quota_of(support, "nora")
            assert (row["used"], row["drift"]) == (0, 0)
            # Accepted after the restart: waiting, and not lost.
            fresh = submit(support, "nora")
            assert support.get(f"/api/v1/tasks/{fresh}").json()["lost_at"] is None
            assert fresh in stack.waiting_ids()
