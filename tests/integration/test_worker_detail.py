"""GET /api/v1/workers/{hostname}/detail against a real broker, backend and workers.

The module has its own broker and backend, a slow worker on ``data_sync`` (concurrency 1,
prefetching 4 messages; a task runs for 10 s or more) and an idle one on ``default``.
A task with a countdown is held by the worker that took it, and shows in its detail
only; tasks sent while the slow worker is busy show as reserved there.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from celery import Celery

from taskdeck_dev.procs import ManagedProcess
from taskdeck_dev.stack import start_worker
from tests.conftest import FAST_WORKLOAD, Server
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration
SYNC = "data_sync.sync_single_file"
SLOW = {**FAST_WORKLOAD, "TASKDECK_WORKLOAD_SPEED": "0.02"}  # a task runs for 10 s or more
BUSY = "detailbusy@taskdeck"
IDLE = "detailidle@taskdeck"
PREFETCH = 4


@pytest.fixture(scope="module")
def busy_worker(stack_dir: Path, broker: Server) -> Iterator[ManagedProcess]:
    proc = start_worker(stack_dir, broker.url, "detailbusy", concurrency=1, queues="data_sync",
                        env=SLOW, prefetch_multiplier=PREFETCH)  # fmt: skip
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def idle_worker(stack_dir: Path, broker: Server) -> Iterator[ManagedProcess]:
    proc = start_worker(stack_dir, broker.url, "detailidle", concurrency=1, queues="default")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def client(
    backend: Server, busy_worker: ManagedProcess, idle_worker: ManagedProcess
) -> Iterator[httpx.Client]:
    with api(backend.url, "viewer") as c:

        def heard() -> bool:
            names = {w["hostname"] for w in c.get("/api/v1/workers").json()}
            return {BUSY, IDLE} <= names

        wait_for(heard, 30, "the backend to hear of both workers")
        yield c


def detail(client: httpx.Client, hostname: str) -> dict[str, Any]:
    started = time.monotonic()
    reply = client.get(f"/api/v1/workers/{hostname}/detail")
    took = time.monotonic() - started
    assert reply.status_code == 200, reply.text
    assert took < 1.5, f"the detail took {took:.2f} s"
    body: dict[str, Any] = reply.json()
    return body


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["task_id"] for item in items}


def send(producer: Celery, **options: Any) -> str:
    return str(producer.send_task(SYNC, args=[f"f-{uuid.uuid4().hex[:8]}", "alice"],
                                  queue="data_sync", **options).id)  # fmt: skip


def test_a_countdown_task_is_scheduled_on_the_worker_that_took_it_only(
    client: httpx.Client, producer: Celery
) -> None:
    task_id = send(producer, countdown=60)
    wait_for(lambda: task_id in ids(detail(client, BUSY)["scheduled"]), 15,
             "the countdown task in the busy worker's scheduled list")  # fmt: skip
    busy = detail(client, BUSY)
    (held,) = [t for t in busy["scheduled"] if t["task_id"] == task_id]
    assert held["name"] == SYNC and held["eta"] and "alice" in held["args"]
    assert busy["replied"] is True and busy["status"] == "online"
    # Celery widens the prefetch window by one for each task it holds until its eta.
    assert busy["prefetch_count"] == PREFETCH + len(busy["scheduled"])
    assert busy["concurrency"] == 1
    assert busy["pool"] == "prefork" and busy["queues"] == ["data_sync"]
    assert SYNC in busy["registered"] and busy["totals"]["registered"] == len(busy["registered"])
    assert busy["sw_ver"]
    idle = detail(client, IDLE)
    assert idle["replied"] is True and idle["queues"] == ["default"]
    assert task_id not in ids(idle["scheduled"]) and idle["scheduled"] == []


def test_tasks_sent_to_a_busy_worker_are_reserved_there(
    client: httpx.Client, producer: Celery
) -> None:
    running = send(producer)
    wait_for(lambda: ids(detail(client, BUSY)["active"]) == {running}, 20,
             "the first task to run")  # fmt: skip
    # The one process is busy for 10 s or more: the next messages wait in the worker,
    # as many as its prefetch window has room for; the rest stay in the queue.
    waiting = [send(producer) for _ in range(PREFETCH + 1)]
    expected = set(waiting[: PREFETCH - 1])
    wait_for(lambda: ids(detail(client, BUSY)["reserved"]) == expected, 15,
             f"the busy worker to reserve {sorted(expected)}")  # fmt: skip
    busy = detail(client, BUSY)
    assert ids(busy["active"]) == {running}
    assert busy["active"][0]["worker_pid"] in busy["processes"]
    assert busy["totals"]["reserved"] == PREFETCH - 1
    assert ids(detail(client, IDLE)["reserved"]) == set()


def test_an_unknown_worker_is_not_found(client: httpx.Client) -> None:
    reply = client.get("/api/v1/workers/nobody@nowhere/detail")
    assert reply.status_code == 404, reply.text
    assert reply.json()["error"] == "not_found" and "nobody@nowhere" in reply.json()["detail"]


def test_a_stopped_worker_is_down_since_its_last_heartbeat_and_not_asked(
    client: httpx.Client, idle_worker: ManagedProcess
) -> None:
    idle_worker.stop()

    def offline() -> dict[str, Any] | None:
        rows = client.get("/api/v1/workers").json()
        return next((w for w in rows if w["hostname"] == IDLE and not w["online"]), None)

    wait_for(offline, 30, "the backend to see the idle worker offline")
    started = time.monotonic()
    gone = detail(client, IDLE)
    assert time.monotonic() - started < 0.5  # not asked: no wait for an answer
    assert gone["replied"] is False and gone["status"] == "offline"
    assert gone["down_since"] == pytest.approx(offline()["last_heartbeat"])  # type: ignore[index]
    assert "offline" in gone["detail"]
    assert gone["scheduled"] == [] and gone["active"] == []
