"""The backend when what it depends on fails: the broker stopped.

What must hold: a call that needs the broker answers 503 (``{error, detail}`` with a
Retry-After), what needs none still answers (signing in, /me, 401 for a wrong token,
still rate limited), and /health says the broker is down.

The broker is a real redis-server, stopped and started again on its port and data.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from taskdeck_dev.procs import ManagedProcess, free_port
from taskdeck_dev.stack import redis_url, start_backend, start_redis, start_worker
from tests.conftest import FAST_WORKLOAD, ROOMY
from tests.helpers import api, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

SYNC = "data_sync.sync_single_file"
AUTH_LIMIT = 4  # failed authentications per address and window
# Roomy limits, but few failed authentications, to see that limit kept without Redis.
ROOMY_LIMITS = {"default": 100000, "data_sync": 100000, "auth": 100000}
TIERS = json.dumps(
    {"anonymous": {**ROOMY_LIMITS, "auth": AUTH_LIMIT}, "admin": ROOMY_LIMITS,
     "normal": ROOMY_LIMITS}
)  # fmt: skip


@dataclass
class Stack:
    run_dir: Path
    redis_port: int
    redis: ManagedProcess
    backend: ManagedProcess
    url: str

    @property
    def backend_log(self) -> Path:
        return self.run_dir / "logs" / "backend.log"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    run_dir = tmp_path_factory.mktemp("dependency_faults")
    redis_port = free_port()
    broker = redis_url(redis_port)
    redis_proc = start_redis(run_dir, redis_port)
    procs: list[ManagedProcess] = []
    try:
        procs.append(start_worker(run_dir, broker, "faults", concurrency=2, env=FAST_WORKLOAD))
        port = free_port()
        env = {**ROOMY, "TASKDECK_RATELIMIT_TIERS": TIERS}
        procs.append(start_backend(run_dir, port, broker, env=env))
        built = Stack(run_dir, redis_port, redis_proc, procs[-1], f"http://127.0.0.1:{port}")
        yield built
        redis_proc = built.redis  # a test may have started it again
    finally:
        for proc in reversed(procs):
            proc.stop()
        redis_proc.stop()


@pytest.fixture
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with api(stack.url, "admin") as client:
        yield client


@contextlib.contextmanager
def broker_stopped(stack: Stack) -> Iterator[None]:
    """redis-server stopped, then started again on its port and its data."""
    stack.redis.stop()
    try:
        yield
    finally:
        stack.redis = start_redis(stack.run_dir, stack.redis_port)


def submit(client: httpx.Client, user: str) -> httpx.Response:
    return client.post(
        "/api/v1/tasks",
        json={"name": SYNC, "args": [f"f-{uuid.uuid4().hex[:8]}", user], "user": user},
    )


def state(client: httpx.Client, task_id: str) -> str | None:
    reply = client.get(f"/api/v1/tasks/{task_id}")
    return reply.json()["state"] if reply.status_code == 200 else None


def finished(client: httpx.Client, user: str) -> str:
    """A task of ``user`` that ran and succeeded; its id."""
    reply = submit(client, user)
    assert reply.status_code == 202, reply.text
    task_id: str = reply.json()["task_id"]
    wait_for(lambda: state(client, task_id) == "SUCCESS", 20, "a task to succeed")
    return task_id


def unavailable(reply: httpx.Response, code: str, what: str) -> None:
    """A 503 in the one error shape, saying what is unavailable and when to try again."""
    assert reply.status_code == 503, f"{reply.request.method} {reply.request.url}: {reply.text}"
    body = reply.json()
    assert set(body) == {"error", "detail"} and body["error"] == code, body
    assert what in body["detail"] and "try again in" in body["detail"].lower(), body
    assert int(reply.headers["Retry-After"]) > 0


def health(url: str) -> dict[str, Any]:
    reply = httpx.get(f"{url}/health", timeout=10)
    assert reply.status_code == 200
    answer: dict[str, Any] = reply.json()
    return answer


def test_broker_down_answers_503_where_needed_and_signing_in_goes_on(
    stack: Stack, admin: httpx.Client
) -> None:
    done = finished(admin, "erin")
    with broker_stopped(stack):
        unavailable(submit(admin, "erin"), "broker_unavailable", "broker")
        unknown = str(uuid.uuid4())
        reason = {"reason": "ticket 11"}
        unavailable(
            admin.post(f"/api/v1/tasks/{unknown}/cancel", json=reason),
            "broker_unavailable",
            "broker",
        )
        unavailable(
            admin.post(f"/api/v1/tasks/{done}/retry", json=reason), "broker_unavailable", "broker"
        )
        unavailable(admin.get("/api/v1/quotas"), "broker_unavailable", "broker")
        unavailable(admin.get("/api/v1/queues"), "broker_unavailable", "broker")
        # What needs no broker answers: the ledger, who the caller is.
        assert state(admin, done) == "SUCCESS"
        me = admin.get("/api/v1/me")
        assert me.status_code == 200 and me.json() == {"user": "admin-user", "role": "admin"}
        assert int(me.headers["X-RateLimit-Remaining"]) > 0
        with httpx.Client(base_url=stack.url, timeout=10) as anonymous:
            wrong = anonymous.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
            assert wrong.status_code == 401, wrong.text
            assert wrong.json()["error"] == "unauthenticated"
            assert wrong.headers["WWW-Authenticate"] == "Bearer"
            bare = anonymous.get("/api/v1/tasks")
            assert bare.status_code == 401 and "Bearer" in bare.json()["detail"], bare.text
            # Failed authentications are still limited, in the backend's own memory.
            answers = [
                anonymous.get("/api/v1/me", headers={"Authorization": "Bearer guess"}).status_code
                for _ in range(AUTH_LIMIT - 1)
            ]
            assert answers == [401] * (AUTH_LIMIT - 2) + [429], answers
        said = health(stack.url)
        assert said["status"] == "degraded" and not said["dependencies"]["broker"]["up"]
    with api(stack.url, "viewer") as viewer:
        wait_for(lambda: viewer.get("/api/v1/queues").status_code == 200, 10, "queues again")
