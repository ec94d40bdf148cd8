"""The backend when what it depends on fails: the broker stopped, the ledger's disk that
takes no more writes, a data dir it cannot write at start.

What must hold: a call that needs the failed dependency answers 503 (``{error, detail}``
with a Retry-After), what needs none still answers (signing in, /me, 401 for a wrong
token, still rate limited); /health says degraded, and why, until the ledger is written
and fed again; quota slots free up as tasks finish though the ledger cannot record it;
nothing accepted is missing from the ledger afterwards.

The broker is a real redis-server, stopped and started again on its port and data. The
full disk is the backend's own file-size limit set to 0 from outside (``prlimit``, Linux):
every write to a file fails (SQLite: "disk I/O error") while reads go on, as on a full or
read-only disk, with no mount and no hook in the backend.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
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
from tests.process_watch import descendants

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

SYNC = "data_sync.sync_single_file"
AUTH_LIMIT = 4  # failed authentications per address and window
# Roomy limits, but few failed authentications, to see that limit kept without Redis.
ROOMY_LIMITS = {"default": 100000, "data_sync": 100000, "auth": 100000}
TIERS = json.dumps(
    {"anonymous": {**ROOMY_LIMITS, "auth": AUTH_LIMIT}, "admin": ROOMY_LIMITS,
     "normal": ROOMY_LIMITS}
)  # fmt: skip
needs_prlimit = pytest.mark.skipif(
    not hasattr(resource, "prlimit"), reason="sets another process's limits (Linux)"
)


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


@contextlib.contextmanager
def ledger_disk_full(stack: Stack) -> Iterator[None]:
    """No file write of the backend's succeeds, nor of its ingest helper's (their file-size
    limit is 0); reads do."""
    pids = [stack.backend.pid, *descendants(stack.backend.pid)]
    limits = {pid: resource.prlimit(pid, resource.RLIMIT_FSIZE) for pid in pids}
    for pid, (_soft, hard) in limits.items():
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, hard))
    try:
        yield
    finally:
        for pid, (soft, hard) in limits.items():
            with contextlib.suppress(ProcessLookupError):
                resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))


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
        assert any("broker" in p and "503" in p for p in said["problems"]), said["problems"]
    with api(stack.url, "viewer") as viewer:
        wait_for(lambda: viewer.get("/api/v1/queues").status_code == 200, 10, "queues again")


def test_health_is_degraded_until_the_ledger_is_fed_again_after_the_broker_returns(
    stack: Stack, admin: httpx.Client
) -> None:
    before = finished(admin, "frank")
    retrying = "ledger ingest: "
    seen = stack.backend_log.read_text().count(retrying)
    with broker_stopped(stack):
        # The ingest has failed twice and sleeps 2 s before its next attempt: the window in
        # which the broker is back and the ledger is still not fed.
        wait_for(
            lambda: stack.backend_log.read_text().count(retrying) >= seen + 2,
            15,
            "the ledger's ingest to fail twice",
        )
    answers = []

    def settled() -> bool:
        answers.append(health(stack.url))
        return answers[-1]["status"] == "ok"

    wait_for(settled, 20, "/health to say ok again", interval=0.1)
    first = answers[0]
    assert first["dependencies"]["broker"]["up"], first
    assert first["status"] == "degraded" and first["ledger"]["error"], first
    assert any("ingest" in p for p in first["problems"]), first["problems"]
    for said in answers[:-1]:
        assert said["status"] == "degraded" and said["problems"], said
    last = answers[-1]
    assert last["ledger"]["error"] is None and last["problems"] == [] and last["ledger"]["lag"] == 0
    after = finished(admin, "frank")  # fed again: a new task reaches the ledger
    assert state(admin, before) == "SUCCESS" and state(admin, after) == "SUCCESS"


@needs_prlimit
def test_a_full_ledger_disk_answers_503_for_changes_while_tasks_go_on_and_slots_free_up(
    stack: Stack, admin: httpx.Client
) -> None:
    done = finished(admin, "grace")
    quota = admin.put("/api/v1/quotas/grace", json={"limit": 2, "reason": "ticket 11"})
    assert quota.status_code == 200, quota.text
    accepted: list[str] = []
    with ledger_disk_full(stack):

        def cannot_write() -> bool:
            said = health(stack.url)
            return said["status"] == "degraded" and said["ledger"]["writable"] is False

        wait_for(cannot_write, 10, "/health to see that the ledger cannot write")
        said = health(stack.url)
        assert "cannot write" in said["dependencies"]["ledger"]["error"]
        assert any("cannot write" in p and "503" in p for p in said["problems"]), said
        reason = {"reason": "ticket 11"}
        unavailable(
            admin.post(f"/api/v1/tasks/{done}/retry", json=reason), "ledger_unavailable", "ledger"
        )
        unavailable(
            admin.put("/api/v1/quotas/grace", json={"limit": 3, **reason}),
            "ledger_unavailable",
            "ledger",
        )
        bulk = {"action": "retry", "task_ids": [done], "idempotency_key": uuid.uuid4().hex,
                **reason}  # fmt: skip
        unavailable(admin.post("/api/v1/actions/bulk", json=bulk), "ledger_unavailable", "ledger")
        # Submissions go on, over the quota of 2 as tasks finish: their slots are freed from
        # the broker's records, not after the ledger has them.
        for _ in range(6):

            def taken() -> bool:
                reply = submit(admin, "grace")
                assert reply.status_code in (202, 429), reply.text
                if reply.status_code == 202:
                    accepted.append(reply.json()["task_id"])
                return reply.status_code == 202

            wait_for(taken, 15, "a quota slot of grace to free up", interval=0.1)
        assert all(state(admin, t) is None for t in accepted)  # none of them recorded yet
    # Nothing was lost: every accepted task reaches the ledger once it can write again.
    wait_for(
        lambda: all(state(admin, t) == "SUCCESS" for t in accepted),
        20,
        "the tasks accepted meanwhile in the ledger",
    )
    wait_for(lambda: health(stack.url)["status"] == "ok", 10, "/health to say ok again")
    assert health(stack.url)["ledger"]["writable"] is True


BACKEND = [sys.executable, "-m", "backend.main"]


def _no_file_writes() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


@pytest.mark.parametrize("fault", ["a file in its place", "no byte can be written", "read-only"])
def test_a_data_dir_it_cannot_write_stops_the_start_with_one_line_naming_it(
    fault: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    preexec = None
    if fault == "a file in its place":
        data_dir.write_text("not a directory")
    elif fault == "no byte can be written":
        preexec = _no_file_writes
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only directory")
        data_dir.mkdir(mode=0o500)
    out = subprocess.run(
        [*BACKEND, "--port", str(free_port())],
        env=dict(os.environ, TASKDECK_DATA_DIR=str(data_dir), TASKDECK_TOKENS="a:admin:t"),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=preexec,  # noqa: PLW1509 - sets a limit only, before exec
    )
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("taskdeck-backend: error: cannot write to ")
    assert str(data_dir) in lines[0] and "TASKDECK_DATA_DIR" in lines[0], lines[0]
    assert "Traceback" not in out.stderr
