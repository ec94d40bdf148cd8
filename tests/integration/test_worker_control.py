"""POST /api/v1/workers/control against a real broker, backend and worker.

The module has its own broker and backend and one idle prefork worker (3 processes) that
the tests change: its pool, a task type's rate limit, its queues; then it is stopped
(SIGSTOP) to show a worker that does not reply, and at last shut down by the command.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from taskdeck_dev.procs import ManagedProcess
from taskdeck_dev.stack import start_worker
from tests.conftest import Server
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration
WORKER = "ctlworker@taskdeck"
CONTROL = "/api/v1/workers/control"
SYNC = "data_sync.sync_single_file"


@pytest.fixture(scope="module")
def worker(stack_dir: Path, broker: Server) -> Iterator[ManagedProcess]:
    proc = start_worker(stack_dir, broker.url, "ctlworker", concurrency=3)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def admin(backend: Server, worker: ManagedProcess) -> Iterator[httpx.Client]:
    with api(backend.url, "admin") as c:

        def heard() -> bool:
            return any(w["hostname"] == WORKER for w in c.get("/api/v1/workers").json())

        wait_for(heard, 30, "the backend to hear of the worker")
        yield c


def detail(client: httpx.Client) -> dict[str, Any]:
    reply = client.get(f"/api/v1/workers/{WORKER}/detail")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def control(client: httpx.Client, command: str, **arguments: Any) -> httpx.Response:
    body = {"workers": [WORKER], "command": command, "reason": "tuning the test worker",
            **arguments}  # fmt: skip
    return client.post(CONTROL, json=body)


def listed_concurrency(client: httpx.Client) -> int | None:
    row = next(w for w in client.get("/api/v1/workers").json() if w["hostname"] == WORKER)
    value: int | None = row["concurrency"]
    return value


def test_pool_shrink_is_seen_in_the_workers_own_stats(admin: httpx.Client) -> None:
    assert detail(admin)["concurrency"] == 3
    reply = control(admin, "pool_shrink", n=1)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["command"] == "pool_shrink" and body["arguments"] == {"n": 1}
    assert body["replies"] == [{"hostname": WORKER, "ok": True, "message": "pool will shrink"}]
    assert body["no_reply"] == [] and body["audit_id"] > 0
    wait_for(lambda: detail(admin)["concurrency"] == 2, 10, "the detail to show 2 processes")
    assert len(detail(admin)["processes"]) == 2
    # The heartbeat snapshot asks the pool again on the worker's next heartbeats.
    wait_for(lambda: listed_concurrency(admin) == 2, 15, "GET /workers to show 2 processes")


def test_a_shrink_that_would_leave_no_process_is_refused_and_not_sent(
    admin: httpx.Client,
) -> None:
    before = detail(admin)["processes"]
    assert len(before) == 2
    reply = control(admin, "pool_shrink", n=2)
    assert reply.status_code == 422, reply.text
    said = reply.json()["detail"]
    assert f"'{WORKER}' runs 2 processes (by its stats just now)" in said
    assert "it may shrink by at most 1" in said and "Nothing was sent" in said
    assert detail(admin)["processes"] == before  # nothing stopped


def test_support_and_viewer_are_refused_and_nothing_changes(backend: Server) -> None:
    for role in ("support", "viewer"):
        with api(backend.url, role) as c:
            reply = control(c, "pool_grow", n=2)
            assert reply.status_code == 403, reply.text
            assert reply.json()["error"] == "forbidden"
    with api(backend.url, "viewer") as c:
        assert detail(c)["concurrency"] == 2


def test_rate_limit_on_a_task_type_is_answered_ok(admin: httpx.Client) -> None:
    reply = control(admin, "rate_limit", task_name=SYNC, rate="10/m")
    assert reply.status_code == 200, reply.text
    assert reply.json()["replies"] == [
        {"hostname": WORKER, "ok": True, "message": "new rate limit set successfully"}
    ]
    reply = control(admin, "rate_limit", task_name="no.such_task", rate="5/s")
    assert reply.status_code == 200, reply.text
    assert reply.json()["replies"] == [{"hostname": WORKER, "ok": False, "message": "unknown task"}]


def test_the_detail_gives_task_names_and_their_limits_as_the_worker_holds_them(
    admin: httpx.Client,
) -> None:
    reply = control(admin, "time_limit", task_name=SYNC, soft=1200, hard=1500)
    assert reply.status_code == 200 and reply.json()["replies"][0]["ok"], reply.text
    got = detail(admin)
    assert got["registered"] == ["data_sync.sync_batch", SYNC]  # names only
    assert got["limits"] == {
        "data_sync.sync_batch": {"rate_limit": None, "soft_time_limit": 1500.0,
                                 "time_limit": 1800.0},
        SYNC: {"rate_limit": "10/m", "soft_time_limit": 1200.0, "time_limit": 1500.0},
    }  # fmt: skip


def test_autoscale_on_a_worker_without_it_is_refused_in_plain_words(
    admin: httpx.Client,
) -> None:
    assert detail(admin)["autoscaler"] is False
    reply = control(admin, "autoscale", max=3, min=1)
    assert reply.status_code == 200, reply.text
    assert reply.json()["replies"] == [
        {"hostname": WORKER, "ok": False, "message": "Autoscale not enabled"}
    ]


def test_a_queue_consumed_then_no_longer(admin: httpx.Client) -> None:
    reply = control(admin, "add_consumer", queue="ctl_extra")
    assert reply.status_code == 200 and reply.json()["replies"][0]["ok"], reply.text
    wait_for(lambda: "ctl_extra" in detail(admin)["queues"], 10, "the worker to consume ctl_extra")
    reply = control(admin, "cancel_consumer", queue="ctl_extra")
    assert reply.status_code == 200 and reply.json()["replies"][0]["ok"], reply.text
    wait_for(lambda: "ctl_extra" not in detail(admin)["queues"], 10, "ctl_extra to be dropped")
    assert "data_sync" in detail(admin)["queues"]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"command": "pool_shrink", "n": 0}, "n: Input should be greater than or equal to 1"),
        ({"command": "rate_limit", "task_name": SYNC, "rate": "fast"}, '"10/m"'),
        ({"command": "time_limit", "task_name": SYNC, "soft": 20, "hard": 10},
         "soft limit (20 s) must be less than the hard one (10 s)"),
        ({"command": "pool_grow", "n": 1, "reason": "  "}, "a reason is required"),
        ({"command": "pool_grow", "n": 1, "queue": "x"}, "pool_grow takes n; not queue"),
        ({"command": "autoscale", "max": 2, "min": 3}, "min (3) is more than its max (2)"),
        ({"command": "pool_grow"}, "pool_grow needs n"),
    ],
)  # fmt: skip
def test_bad_bodies_are_refused_with_a_clear_message(
    admin: httpx.Client, extra: dict[str, Any], said: str
) -> None:
    body = {"workers": [WORKER], "reason": "why not", **extra}
    reply = admin.post(CONTROL, json=body)
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"] == "invalid_request"
    assert said in reply.json()["detail"]


def test_an_unknown_worker_is_named(admin: httpx.Client) -> None:
    body = {"workers": [WORKER, "ghost@nowhere"], "command": "pool_grow", "n": 1,
            "reason": "why not"}  # fmt: skip
    reply = admin.post(CONTROL, json=body)
    assert reply.status_code == 404, reply.text
    assert "'ghost@nowhere'" in reply.json()["detail"]
    assert detail(admin)["concurrency"] == 2  # not sent to the known one either


def test_the_audit_log_has_who_why_and_the_replies(admin: httpx.Client) -> None:
    page = admin.get("/api/v1/audit", params={"action": "worker_control"}).json()
    shrink = next(e for e in page["items"] if e["request"]["command"] == "pool_shrink")
    assert shrink["user"] == "admin-user" and shrink["role"] == "admin"
    assert shrink["reason"] == "tuning the test worker" and shrink["status"] == "ok"
    assert shrink["targets"] == [WORKER]
    assert shrink["request"]["arguments"] == {"n": 1} and shrink["request"]["workers"] == [WORKER]
    assert shrink["outcome"]["replies"][0]["ok"] is True and shrink["outcome"]["no_reply"] == []
    refused = [e for e in page["items"] if e["user"] != "admin-user"]
    assert refused == []  # a 403 changes nothing and records nothing


def test_a_worker_that_does_not_reply_is_listed_within_the_timeout(
    admin: httpx.Client, worker: ManagedProcess
) -> None:
    os.kill(worker.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        reply = control(admin, "rate_limit", task_name=SYNC, rate="0")
        took = time.monotonic() - started
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["replies"] == [] and body["no_reply"] == [WORKER]
    assert body["timeout_s"] <= took < body["timeout_s"] + 1.5
    entry = admin.get("/api/v1/audit", params={"action": "worker_control"}).json()["items"][0]
    assert entry["id"] == body["audit_id"] and entry["status"] == "partial"


def test_shutdown_is_sent_and_the_worker_goes_offline(
    admin: httpx.Client, worker: ManagedProcess
) -> None:
    wait_for(lambda: detail(admin)["replied"], 10, "the worker to answer again after SIGCONT")
    reply = control(admin, "shutdown")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["sent"] == [WORKER] and body["replies"] == [] and body["no_reply"] == []
    assert "heartbeats stopping" in body["note"]
    wait_for(lambda: not worker.alive(), 15, "the worker to exit")

    def offline() -> bool:
        rows = admin.get("/api/v1/workers").json()
        return any(w["hostname"] == WORKER and not w["online"] for w in rows)

    wait_for(offline, 10, "the backend to see the worker offline")
    reply = control(admin, "pool_grow", n=1)
    assert reply.status_code == 409, reply.text
    assert "'ctlworker@taskdeck' is offline since" in reply.json()["detail"]
