"""Quotas, rate limits and anomalies against a real Redis, real workers and the backend."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import start_worker
from tests.conftest import FAST_WORKLOAD, TOKENS_ENV, Server
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration

SYNC = "data_sync.sync_single_file"
WINDOW_S = 4
TIERS = (
    '{"normal": {"default": 50, "data_sync": 6, "auth": 5},'
    ' "premium": {"default": 50, "data_sync": 200, "auth": 5},'
    ' "admin": {"default": 500, "data_sync": 500, "auth": 50}}'
)


@pytest.fixture(scope="module")
def backend_env() -> dict[str, str]:
    """This module's ``backend`` (tests/conftest.py): small limits and a short window."""
    return {
        "TASKDECK_TOKENS": TOKENS_ENV,
        "TASKDECK_RATELIMIT_TIERS": TIERS,
        "TASKDECK_USER_TIERS": "quota-user:premium,slow-user:premium,steady-a:premium,"
        "steady-b:premium,steady-c:premium,mallory:normal",
        "TASKDECK_RATELIMIT_WINDOW_S": str(WINDOW_S),
        "TASKDECK_RATELIMIT_BUCKET_S": "1",
        "TASKDECK_WORKER_TIMEOUT_S": "4",
        "TASKDECK_QUOTA_DEFAULT": "10",
    }


@pytest.fixture
def admin(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url, "admin") as client:
        yield client


def submit(client: httpx.Client, user: str, **extra: Any) -> httpx.Response:
    return client.post(
        "/api/v1/tasks",
        json={"name": SYNC, "args": [f"f-{uuid.uuid4().hex[:8]}", user], "queue": "data_sync",
              "user": user, **extra},
    )  # fmt: skip


def quota_of(client: httpx.Client, user: str) -> dict[str, Any]:
    rows = client.get("/api/v1/quotas").json()
    return next((r for r in rows if r["user"] == user), {"used": 0, "drift": 0, "limit": None})


def test_fifty_concurrent_submissions_with_limit_ten_admit_exactly_ten(backend: Server) -> None:
    # No worker runs: every admitted task stays queued and holds its slot.
    def one(_n: int) -> httpx.Response:
        with api(backend.url, "support") as client:
            return submit(client, "quota-user")

    with ThreadPoolExecutor(50) as pool:
        replies = list(pool.map(one, range(50)))
    codes = sorted(r.status_code for r in replies)
    assert codes.count(202) == 10 and codes.count(429) == 40
    refused = next(r for r in replies if r.status_code == 429)
    body = refused.json()
    assert body["error"] == "quota_exceeded" and (body["used"], body["limit"]) == (10, 10)
    assert "quota-user" in body["detail"]
    for header in (
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "Retry-After",
    ):
        assert header in refused.headers
    assert (
        refused.headers["X-RateLimit-Limit"] == "10"
        and refused.headers["X-RateLimit-Remaining"] == "0"
    )
    with api(backend.url, "admin") as client:
        assert quota_of(client, "quota-user")["used"] == 10


def test_rate_limit_headers_follow_the_window(admin: httpx.Client) -> None:
    with api(admin.base_url.__str__(), "support") as support:
        user = "mallory"  # normal tier: 6 submissions per window
        first = time.monotonic()
        remaining = []
        for _ in range(6):
            reply = submit(support, user)
            assert reply.status_code == 202, reply.text
            assert reply.headers["X-RateLimit-Limit"] == "6"
            remaining.append(int(reply.headers["X-RateLimit-Remaining"]))
        assert remaining == [5, 4, 3, 2, 1, 0]
        refused = submit(support, user)
        assert refused.status_code == 429
        body = refused.json()
        assert (
            body["error"] == "rate_limited"
            and body["tier"] == "normal"
            and body["key"] == "user:mallory"
        )
        retry_after = int(refused.headers["Retry-After"])
        assert refused.headers["X-RateLimit-Reset"] == refused.headers["Retry-After"]
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        elapsed = time.monotonic() - first
        # The oldest request leaves the window WINDOW_S after it was made.
        assert 1 <= retry_after <= math.ceil(WINDOW_S - elapsed) + 1
        time.sleep(retry_after)  # the wait the server asked for, not a guess
        again = submit(support, user)
        assert again.status_code == 202, again.text
        events = admin.get("/api/v1/ratelimits/events", params={"limit": 50}).json()
        assert any(e["key"] == "user:mallory" and e["endpoint"] == "data_sync" for e in events)


def test_an_anomaly_for_a_key_hammering_and_none_for_steady_users(admin: httpx.Client) -> None:
    with api(admin.base_url.__str__(), "support") as support:
        steady = ["steady-a", "steady-b", "steady-c"]
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:  # well under their limits, every half second
            for user in steady:
                assert submit(support, user).status_code in (202, 429)
            time.sleep(0.5)
        hammered = 0
        end = time.monotonic() + 4
        while time.monotonic() < end:  # far over the normal tier's 6 per window
            if submit(support, "hammer-user").status_code == 429:
                hammered += 1
        assert hammered > 20

        def found() -> list[dict[str, Any]]:
            return [a for a in admin.get("/api/v1/ratelimits/anomalies").json()
                    if a["kind"] == "key_rejections" and a["subject"] == "user:hammer-user"]  # fmt: skip

        wait_for(found, 10, "the hammering key's anomaly")
        anomaly = found()[0]
        assert anomaly["score"] >= 4
        assert sum(anomaly["evidence"]["rejections_per_bucket"]) > 0
        assert anomaly["first_seen"] <= anomaly["last_seen"]
        subjects = {a["subject"] for a in admin.get("/api/v1/ratelimits/anomalies").json()}
        assert not subjects & {f"user:{u}" for u in steady}
        stats = admin.get("/api/v1/ratelimits/stats", params={"window": 30}).json()
        assert stats["endpoints"]["data_sync"]["rejected"] >= hammered


def test_a_slot_is_freed_when_its_worker_is_killed_mid_task_and_the_task_awaits_redelivery(
    admin: httpx.Client, stack_dir: Path, broker: Server
) -> None:
    slow = {**FAST_WORKLOAD, "TASKDECK_WORKLOAD_SPEED": "0.02"}  # tasks take 10 s or more
    worker = start_worker(
        stack_dir, broker.url, "doomed", concurrency=1, queues="scheduled", env=slow
    )
    try:
        reply = submit(admin, "slow-user", queue="scheduled")
        task_id = reply.json()["task_id"]
        wait_for(
            lambda: admin.get(f"/api/v1/tasks/{task_id}").json().get("state") == "STARTED",
            30,
            "start",
        )
        assert quota_of(admin, "slow-user")["used"] == 1
        os.killpg(worker.pid, signal.SIGKILL)
        wait_for(lambda: not worker.alive(), 10, "the worker to die")

        def worker_offline() -> bool:
            return not any(w["online"] for w in admin.get("/api/v1/workers").json()
                           if w["hostname"] == "doomed@taskdeck")  # fmt: skip

        wait_for(worker_offline, 20, "the worker to be seen offline")
        # Its message waits in kombu's unacked hash: the task awaits redelivery, and its
        # slot is free until a worker receives it again.
        wait_for(lambda: admin.get(f"/api/v1/tasks/{task_id}").json().get("redelivery_at"),
                 20, "the task to be shown awaiting redelivery")  # fmt: skip
        row = quota_of(admin, "slow-user")
        assert (row["used"], row["drift"]) == (0, 0)
        reply = admin.post("/api/v1/quotas/slow-user/reconcile", json={"reason": "worker lost"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["released"] == 0
    finally:
        worker.stop()


def test_an_admin_changes_a_limit_and_bad_limits_change_nothing(
    backend: Server, admin: httpx.Client
) -> None:
    reply = admin.put("/api/v1/quotas/limit-user", json={"limit": 3, "reason": "trial account"})
    assert reply.status_code == 200 and reply.json()["previous_limit"] == 10
    assert quota_of(admin, "limit-user")["limit"] == 3
    audit = admin.get("/api/v1/audit", params={"limit": 1}).json()["items"][0]
    assert audit["action"] == "quota_limit" and audit["reason"] == "trial account"
    for body, mentions in (
        ({"limit": 0, "reason": "x"}, "limit"),
        ({"limit": -5, "reason": "x"}, "limit"),
        ({"limit": "ten", "reason": "x"}, "limit"),
        ({"limit": 2.5, "reason": "x"}, "limit"),
        ({"limit": 5, "reason": ""}, "reason"),
    ):
        reply = admin.put("/api/v1/quotas/limit-user", json=body)
        assert reply.status_code == 422, body
        assert mentions in reply.json()["detail"]
    for odd in ("bad user", "x;drop", "a" * 150, "ünïcode"):
        reply = admin.put(f"/api/v1/quotas/{odd}", json={"limit": 5, "reason": "x"})
        assert reply.status_code == 422 and "user" in reply.json()["detail"]
    with api(backend.url, "support") as support:
        reply = support.put("/api/v1/quotas/limit-user", json={"limit": 50, "reason": "x"})
        assert reply.status_code == 403
    assert quota_of(admin, "limit-user")["limit"] == 3


def test_an_admin_changes_the_default_limit_for_users_without_their_own(
    backend: Server, admin: httpx.Client
) -> None:
    assert admin.get("/api/v1/quota-default").json() == {"limit": 10, "setting": 10,
                                                         "changed": False}  # fmt: skip
    admin.put("/api/v1/quotas/own-limit", json={"limit": 4, "reason": "kept"})
    try:
        reply = admin.put("/api/v1/quota-default", json={"limit": 2, "reason": "busy day"})
        assert reply.status_code == 200 and reply.json()["previous_limit"] == 10
        assert admin.get("/api/v1/quota-default").json()["changed"] is True
        audit = admin.get("/api/v1/audit", params={"limit": 1}).json()["items"][0]
        assert (audit["action"], audit["reason"]) == ("quota_default", "busy day")
        # No worker runs: each admitted task keeps its slot.
        codes = [submit(admin, "default-user").status_code for _ in range(3)]
        assert codes == [202, 202, 429]
        assert quota_of(admin, "default-user")["limit"] == 2
        codes = [submit(admin, "own-limit").status_code for _ in range(4)]
        assert codes == [202] * 4 and quota_of(admin, "own-limit")["limit"] == 4
        for body in ({"limit": 0, "reason": "x"}, {"limit": "ten", "reason": "x"},
                     {"limit": 3, "reason": " "}):  # fmt: skip
            assert admin.put("/api/v1/quota-default", json=body).status_code == 422, body
        with api(backend.url, "support") as support:
            body = {"limit": 50, "reason": "x"}
            assert support.put("/api/v1/quota-default", json=body).status_code == 403
        assert admin.get("/api/v1/quota-default").json()["limit"] == 2
    finally:
        admin.put("/api/v1/quota-default", json={"limit": 10, "reason": "back to normal"})


@pytest.mark.parametrize(
    ("env", "mentions"),
    [
        ({"TASKDECK_USER_TIERS": "alice:platinum"}, "platinum"),
        ({"TASKDECK_USER_TIERS": "alice"}, "user:tier"),
        ({"TASKDECK_RATELIMIT_TIERS": '{"normal": {"default": 0}}'}, "above 0"),
        ({"TASKDECK_RATELIMIT_TIERS": '{"normal": {"default": "many"}}'}, "whole number"),
        ({"TASKDECK_RATELIMIT_TIERS": '{"normal": {"uploads": 5}}'}, "uploads"),
        ({"TASKDECK_RATELIMIT_TIERS": "not json"}, "JSON"),
        ({"TASKDECK_QUOTA_DEFAULT": "-1"}, "TASKDECK_QUOTA_DEFAULT"),
    ],
)
def test_bad_limit_settings_stop_the_backend_with_one_line(
    tmp_path: Path, env: dict[str, str], mentions: str
) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "backend.main", "--port", str(free_port())],
        env={**os.environ, "TASKDECK_DATA_DIR": str(tmp_path), "TASKDECK_TOKENS": TOKENS_ENV,
             "TASKDECK_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0", **env},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and mentions in errors[0], out.stderr
    assert "Traceback" not in out.stderr
