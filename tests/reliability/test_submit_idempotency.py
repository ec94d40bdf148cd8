"""POST /api/v1/tasks with an idempotency_key: one task per key and caller, published once.

The same key with the same request answers the same task id, also for twenty
requests at the same moment, and after the backend was killed (SIGKILL) in the
middle of a burst and started again: a client that never heard back sends again
with its key and learns its task, and no task is in the broker twice. The same
key with another request answers 409; a key whose submission was refused
(quota) can be used again. No worker runs: every task accepted stays in its
queue, where it can be counted.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import redis_url, start_backend
from tests.conftest import ROOMY, Server
from tests.helpers import api, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

SYNC = "data_sync.sync_single_file"
QUEUE = "data_sync"
# A claim never marked sent is taken for one a stopped backend left after this long.
ENV = {**ROOMY, "TASKDECK_IDEMPOTENCY_STALE_S": "1", "TASKDECK_LOST_CONFIRM_S": "0.5",
       "TASKDECK_BROKER_WATCH_S": "0.5"}  # fmt: skip


@pytest.fixture(scope="module")
def backend_env() -> dict[str, str]:
    return ENV


@pytest.fixture
def support(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url, "support") as client:
        yield client


def body(key: str | None, user: str = "idem-user", file_id: str | None = None) -> dict[str, Any]:
    sent: dict[str, Any] = {
        "name": SYNC, "args": [file_id or f"f-{key}", user], "queue": QUEUE, "user": user,
    }  # fmt: skip
    if key is not None:
        sent["idempotency_key"] = key
    return sent


def queued_ids(url: str) -> Counter[str]:
    """Task ids of the messages in the queue's lists (every priority), with their count."""
    client = redis.Redis.from_url(url)
    try:
        found: Counter[str] = Counter()
        for name in client.scan_iter(f"{QUEUE}*", _type="list"):
            for raw in client.lrange(name, 0, -1):
                found[json.loads(raw)["headers"]["id"]] += 1
        return found
    finally:
        client.close()


def test_the_same_key_answers_the_same_task_published_once(
    support: httpx.Client, broker: Server
) -> None:
    key = f"k-{uuid.uuid4().hex}"
    first = support.post("/api/v1/tasks", json=body(key))
    again = support.post("/api/v1/tasks", json=body(key))
    assert first.status_code == again.status_code == 202, (first.text, again.text)
    task_id = first.json()["task_id"]
    assert again.json()["task_id"] == task_id
    assert queued_ids(broker.url)[task_id] == 1
    # Without a key, the same request is another task.
    other = support.post("/api/v1/tasks", json=body(None, file_id=f"f-{key}"))
    assert other.status_code == 202 and other.json()["task_id"] != task_id


def test_twenty_requests_with_one_key_at_once_make_one_task(
    backend: Server, broker: Server
) -> None:
    key = f"k-{uuid.uuid4().hex}"
    start = threading.Barrier(20)

    def one(_n: int) -> httpx.Response:
        with api(backend.url, "support") as client:
            start.wait()
            return client.post("/api/v1/tasks", json=body(key))

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(one, range(20)))
    assert [r.status_code for r in replies] == [202] * 20, [r.text for r in replies]
    ids = {r.json()["task_id"] for r in replies}
    assert len(ids) == 1
    assert queued_ids(broker.url)[ids.pop()] == 1


def test_a_key_used_for_another_request_is_refused(
    support: httpx.Client, backend: Server, broker: Server
) -> None:
    key = f"k-{uuid.uuid4().hex}"
    first = support.post("/api/v1/tasks", json=body(key))
    assert first.status_code == 202
    before = queued_ids(broker.url)
    for changed in (body(key, file_id="f-other"), {**body(key), "priority": 9},
                    body(key, user="idem-other")):  # fmt: skip
        reply = support.post("/api/v1/tasks", json=changed)
        assert reply.status_code == 409, reply.text
        assert reply.json()["error"] == "idempotency_key_reused"
        assert "idempotency_key" in reply.json()["detail"]
    assert queued_ids(broker.url) == before
    # Keys are the caller's own: another caller's same key is another task.
    with api(backend.url, "admin") as admin:
        theirs = admin.post("/api/v1/tasks", json=body(key))
    assert theirs.status_code == 202
    assert theirs.json()["task_id"] != first.json()["task_id"]


def test_a_key_whose_submission_was_refused_can_be_used_again(
    support: httpx.Client, backend: Server
) -> None:
    user = f"q-{uuid.uuid4().hex[:8]}"
    with api(backend.url, "admin") as admin:
        assert admin.put(f"/api/v1/quotas/{user}", json={"limit": 1, "reason": "t"}).is_success
    holder = support.post("/api/v1/tasks", json=body(None, user=user))
    assert holder.status_code == 202
    key = f"k-{uuid.uuid4().hex}"
    refused = support.post("/api/v1/tasks", json=body(key, user=user))
    assert refused.status_code == 429 and refused.json()["error"] == "quota_exceeded"
    cancel = support.post(
        f"/api/v1/tasks/{holder.json()['task_id']}/cancel", json={"reason": "make room"}
    )
    assert cancel.status_code == 200, cancel.text
    accepted = support.post("/api/v1/tasks", json=body(key, user=user))
    assert accepted.status_code == 202, accepted.text
    again = support.post("/api/v1/tasks", json=body(key, user=user))
    assert again.json()["task_id"] == accepted.json()["task_id"]


def test_after_a_crash_mid_burst_every_client_learns_its_one_task(
    stack_dir: Path, broker: Server
) -> None:
    url = redis_url(broker.port, 1)  # a database of its own: its queue holds only this burst
    keys = [f"burst-{n:04d}-{uuid.uuid4().hex[:8]}" for n in range(400)]
    answered: dict[str, str] = {}
    unanswered: list[str] = []
    lock = threading.Lock()
    procs = []
    try:
        port = free_port()
        backend = start_backend(stack_dir / "crash", port, url, env=ENV)
        procs.append(backend)

        def client(share: list[str]) -> None:
            with api(f"http://127.0.0.1:{port}", "support") as c:
                for key in share:
                    try:
                        reply = c.post("/api/v1/tasks", json=body(key))
                        reply.raise_for_status()
                        with lock:
                            answered[key] = reply.json()["task_id"]
                    except httpx.HTTPError:
                        with lock:
                            unanswered.append(key)

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(client, keys[n::8]) for n in range(8)]
            wait_for(lambda: len(answered) >= 60, 30, "the burst to get going")
            os.kill(backend.pid, signal.SIGKILL)  # in the middle of it
            for future in futures:
                future.result()
        assert 60 <= len(answered) < len(keys) and unanswered, len(answered)

        port = free_port()
        procs.append(start_backend(stack_dir / "crash", port, url, env=ENV))
        with api(f"http://127.0.0.1:{port}", "support") as c:
            replies = {key: c.post("/api/v1/tasks", json=body(key)) for key in keys}
        assert {r.status_code for r in replies.values()} == {202}
        after = {key: r.json()["task_id"] for key, r in replies.items()}
        # Whoever heard back before the crash hears the same task now.
        assert {k: after[k] for k in answered} == answered
        ids = set(after.values())
        assert len(ids) == len(keys)  # one task per key
        queued = queued_ids(url)
        assert max(queued.values()) == 1  # none in the broker twice
        assert set(queued) <= ids
        # A task the killed backend recorded but never put in the broker is marked lost,
        # for a retry; every other one waits in its queue.
        missing = ids - set(queued)
        if missing:
            with api(f"http://127.0.0.1:{port}", "support") as c:

                def lost() -> set[str]:
                    page = c.get("/api/v1/tasks", params={"lost": "true", "limit": 1000})
                    return {t["task_id"] for t in page.json()["items"]}

                wait_for(lambda: missing <= lost(), 20, f"{len(missing)} tasks marked lost")
    finally:
        for proc in procs:
            proc.stop()
