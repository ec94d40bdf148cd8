"""What the console's Tasks and Audit pages read: audit filters, bulk job lists and items,
failure series, tasks by failure group and by a short id; against a real backend, broker
and prefork worker of this module's own.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from taskdeck_dev.procs import ManagedProcess
from taskdeck_dev.stack import start_worker
from tests.conftest import FAST_WORKLOAD, Server
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration

SYNC = "data_sync.sync_single_file"


@pytest.fixture(scope="module")
def worker(stack_dir: Path, broker: Server) -> Iterator[ManagedProcess]:
    proc = start_worker(stack_dir, broker.url, "pages", concurrency=2, env=FAST_WORKLOAD)
    yield proc
    proc.stop()


@pytest.fixture
def admin(backend: Server, worker: ManagedProcess) -> Iterator[httpx.Client]:
    with api(backend.url, "admin") as client:
        yield client


@pytest.fixture
def support(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url, "support") as client:
        yield client


def submit(client: httpx.Client, file_id: str, fail: bool = False) -> str:
    body = {"name": SYNC, "args": [file_id, "alice"], "kwargs": {"bogus": 1} if fail else {},
            "queue": "data_sync", "user": "alice"}  # fmt: skip
    reply = client.post("/api/v1/tasks", json=body)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["task_id"])


def state(client: httpx.Client, task_id: str) -> str | None:
    reply = client.get(f"/api/v1/tasks/{task_id}")
    return reply.json()["state"] if reply.status_code == 200 else None


def failures(client: httpx.Client, count: int) -> list[str]:
    marker = uuid.uuid4().hex[:8]
    ids = [submit(client, f"f-{marker}-{n}", fail=True) for n in range(count)]
    wait_for(lambda: all(state(client, t) == "FAILURE" for t in ids), 30, "the failures")
    return ids


def audit(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    reply = client.get("/api/v1/audit", params=params)
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def test_audit_filters_by_user_action_time_and_task(
    admin: httpx.Client, support: httpx.Client
) -> None:
    first, second = failures(admin, 2)
    start = time.time()
    assert support.post(f"/api/v1/tasks/{first}/retry", json={"reason": "a"}).status_code == 200
    assert admin.post(f"/api/v1/tasks/{second}/retry", json={"reason": "b"}).status_code == 200
    end = time.time()

    by_support = audit(admin, user="support-user", task_id=first)
    assert [(e["action"], e["targets"], e["job_id"]) for e in by_support] == [
        ("retry", [first], None)
    ]
    assert audit(admin, user="admin-user", task_id=first) == []
    assert [e["user"] for e in audit(admin, task_id=second)] == ["admin-user"]
    ours = audit(admin, action="retry", since=start, until=end + 1)
    assert [e["targets"] for e in ours] == [[second], [first]]  # newest first
    assert audit(admin, action="retry", task_id=first, until=start) == []
    assert audit(admin, action="cancel", since=start) == []
    # Pages of a filtered list: the cursor keeps the filter's entries, and only them.
    page = admin.get("/api/v1/audit", params={"action": "retry", "since": start, "limit": 1})
    assert [e["targets"] for e in page.json()["items"]] == [[second]]
    cursor = page.json()["next_cursor"]
    rest = admin.get(
        "/api/v1/audit", params={"action": "retry", "since": start, "limit": 1, "cursor": cursor}
    ).json()
    assert [e["targets"] for e in rest["items"]] == [[first]] and rest["next_cursor"] is None


def test_a_bulk_job_is_listed_audited_and_paged_by_item(
    admin: httpx.Client, support: httpx.Client
) -> None:
    failed = failures(admin, 3)
    unknown = f"no-such-task-{uuid.uuid4().hex[:8]}"
    body = {"action": "retry", "task_ids": [*failed, unknown], "priority": 7,
            "reason": "file store back", "idempotency_key": f"pages-{uuid.uuid4().hex}"}  # fmt: skip
    reply = admin.post("/api/v1/actions/bulk", json=body)
    assert reply.status_code == 202, reply.text
    job_id = reply.json()["job_id"]
    wait_for(
        lambda: admin.get(f"/api/v1/actions/bulk/{job_id}").json()["state"] == "done", 30, "job"
    )
    job = admin.get(f"/api/v1/actions/bulk/{job_id}").json()
    assert (job["user"], job["reason"], job["priority"]) == ("admin-user", "file store back", 7)

    # The job's audit entry names the job, and is found by any one of its tasks.
    entries = audit(admin, task_id=failed[1])
    assert [(e["action"], e["job_id"], e["id"]) for e in entries] == [
        ("bulk_retry", job_id, job["audit_id"])
    ]
    assert audit(admin, task_id=failed[1], action="retry") == []

    listed = admin.get("/api/v1/actions/bulk", params={"mine": True}).json()
    assert listed[0]["job_id"] == job_id and listed[0]["audit_id"] == job["audit_id"]
    assert all(j["user"] == "admin-user" for j in listed)
    assert job_id not in [j["job_id"] for j in support.get(
        "/api/v1/actions/bulk", params={"mine": True}).json()]  # fmt: skip
    assert job_id in [j["job_id"] for j in support.get("/api/v1/actions/bulk").json()]
    assert len(admin.get("/api/v1/actions/bulk", params={"limit": 1}).json()) == 1

    items = f"/api/v1/actions/bulk/{job_id}/items"
    retried = admin.get(items, params={"outcome": "retried", "limit": 2}).json()
    assert [i["task_id"] for i in retried["items"]] == failed[:2]
    assert all(i["new_task_id"] and i["detail"] is None for i in retried["items"])
    more = admin.get(
        items, params={"outcome": "retried", "limit": 2, "cursor": retried["next_cursor"]}
    ).json()
    assert [i["task_id"] for i in more["items"]] == failed[2:] and more["next_cursor"] is None
    missing = admin.get(items, params={"outcome": "not_found"}).json()["items"]
    assert [(i["task_id"], i["new_task_id"]) for i in missing] == [(unknown, None)]
    assert missing[0]["detail"]
    assert admin.get(items, params={"outcome": "pending"}).json()["items"] == []
    assert len(admin.get(items).json()["items"]) == 4

    gone = admin.get("/api/v1/actions/bulk/no-such-job/items")
    assert gone.status_code == 404 and gone.json()["error"] == "not_found"
    bad = admin.get(items, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"] == "bad_cursor"


def test_failure_series_add_up_to_each_group_and_the_group_lists_its_tasks(
    admin: httpx.Client,
) -> None:
    failed = failures(admin, 3)
    fine = submit(admin, f"f-fine-{uuid.uuid4().hex[:8]}")
    wait_for(lambda: state(admin, fine) == "SUCCESS", 30, "the task to succeed")
    now = time.time()

    plain = admin.get("/api/v1/failures/groups").json()
    assert plain and all(g["series"] == [] for g in plain)
    for buckets in (1, 24, 120):
        groups = admin.get("/api/v1/failures/groups", params={"buckets": buckets}).json()
        assert groups and {g["signature"] for g in groups} == {g["signature"] for g in plain}
        for g in groups:
            assert len(g["series"]) == buckets and sum(g["series"]) == g["count"]
    # Every failure of this module's run is in the newer half of the last two hours.
    halves = admin.get(
        "/api/v1/failures/groups", params={"buckets": 2, "since": now - 7200, "until": now + 1}
    ).json()
    assert all(g["series"] == [0, g["count"]] for g in halves)

    signature = next(
        g["signature"] for g in halves if failed[0] in _group_ids(admin, g["signature"])
    )

    def listed_as_counted() -> bool:  # retries sent by earlier tests may still be failing
        count = next(g["count"] for g in _groups(admin) if g["signature"] == signature)
        return len(_group_ids(admin, signature)) == count

    wait_for(listed_as_counted, 15, "the group's tasks to be listed as many as it counts")
    ids = _group_ids(admin, signature)
    assert set(failed) <= ids and fine not in ids


def _groups(client: httpx.Client) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = client.get("/api/v1/failures/groups").json()
    return groups


def _group_ids(client: httpx.Client, signature: str) -> set[str]:
    reply = client.get("/api/v1/tasks", params={"group": signature, "limit": 1000})
    assert reply.status_code == 200, reply.text
    assert all(t["state"] == "FAILURE" for t in reply.json()["items"])
    return {t["task_id"] for t in reply.json()["items"]}


def test_a_task_is_found_by_the_start_of_its_id(admin: httpx.Client) -> None:
    task_id = submit(admin, f"f-short-{uuid.uuid4().hex[:8]}")
    wait_for(lambda: state(admin, task_id) is not None, 10, "the task in the ledger")

    def found(q: str, **params: Any) -> list[str]:
        reply = admin.get("/api/v1/tasks", params={"q": q, **params})
        assert reply.status_code == 200, reply.text
        return [t["task_id"] for t in reply.json()["items"]]

    for q in (task_id[:6], task_id[:8].upper(), task_id[:13]):
        assert task_id in found(q), q
    assert task_id not in found(task_id[:8], state="REVOKED")
    assert task_id not in found(task_id[1:9])  # the middle of an id is not its start
