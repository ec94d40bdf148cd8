"""Roles, the audit log, and bad input: a clear 4xx that changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from taskdeck_dev.procs import ManagedProcess
from tests.conftest import Server
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration

SYNC = "data_sync.sync_single_file"


@pytest.fixture
def admin(backend_server: Server) -> Iterator[httpx.Client]:
    with api(backend_server.url, "admin") as client:
        yield client


@pytest.fixture
def finished_task(admin: httpx.Client, celery_worker: ManagedProcess) -> str:
    reply = admin.post(
        "/api/v1/tasks",
        json={"name": SYNC, "args": [f"f-{uuid.uuid4().hex[:6]}", "carol"], "user": "carol"},
    )
    task_id = str(reply.json()["task_id"])
    wait_for(
        lambda: admin.get(f"/api/v1/tasks/{task_id}").json().get("state") == "SUCCESS", 30, "task"
    )
    return task_id


def audit_ids(client: httpx.Client) -> list[int]:
    return [e["id"] for e in client.get("/api/v1/audit", params={"limit": 1000}).json()["items"]]


def test_me_names_user_and_role(backend_server: Server) -> None:
    for role in ("viewer", "support", "admin"):
        with api(backend_server.url, role) as client:
            assert client.get("/api/v1/me").json() == {"user": f"{role}-user", "role": role}


def test_missing_or_unknown_token_is_401(backend_server: Server) -> None:
    with api(backend_server.url, None) as client:
        reply = client.get("/api/v1/tasks")
        assert reply.status_code == 401 and reply.json()["error"] == "unauthenticated"
        reply = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
        assert reply.status_code == 401 and "not known" in reply.json()["detail"]
        assert client.get("/health").status_code == 200


def test_viewer_cannot_act_and_support_cannot_reprioritise(
    backend_server: Server, admin: httpx.Client, finished_task: str
) -> None:
    before = audit_ids(admin)
    with api(backend_server.url, "viewer") as viewer:
        for path, body in (
            ("cancel", {"reason": "x"}),
            ("retry", {"reason": "x"}),
            ("priority", {"priority": 9, "reason": "x"}),
        ):
            reply = viewer.post(f"/api/v1/tasks/{finished_task}/{path}", json=body)
            assert reply.status_code == 403, path
            assert "viewer" in reply.json()["detail"]
        bulk = viewer.post(
            "/api/v1/actions/bulk",
            json={"action": "retry", "task_ids": [finished_task], "reason": "x",
                  "idempotency_key": "viewer-try-1"},
        )  # fmt: skip
        assert bulk.status_code == 403
        assert viewer.get(f"/api/v1/tasks/{finished_task}").status_code == 200  # reading is fine
    with api(backend_server.url, "support") as support:
        reply = support.post(
            f"/api/v1/tasks/{finished_task}/priority", json={"priority": 9, "reason": "x"}
        )
        assert reply.status_code == 403 and "admin" in reply.json()["detail"]
        bulk = support.post(
            "/api/v1/actions/bulk",
            json={"action": "priority", "priority": 9, "task_ids": [finished_task],
                  "reason": "x", "idempotency_key": "support-try-1"},
        )  # fmt: skip
        assert bulk.status_code == 403 and bulk.json()["error"] == "forbidden", bulk.text
        assert "admin role" in bulk.json()["detail"]
    assert audit_ids(admin) == before


def test_every_accepted_action_is_audited_with_who_and_why(
    backend_server: Server, admin: httpx.Client, finished_task: str
) -> None:
    with api(backend_server.url, "support") as support:
        reply = support.post(
            f"/api/v1/tasks/{finished_task}/retry", json={"reason": "ticket 4711: file fixed"}
        )
        assert reply.status_code == 200, reply.text
        retry_answer = reply.json()
        reply = support.post(
            f"/api/v1/tasks/{finished_task}/cancel", json={"reason": "ticket 4712"}
        )
        assert reply.json()["outcome"] == "already_finished"
    entries = {e["id"]: e for e in admin.get("/api/v1/audit").json()["items"]}
    retry = entries[retry_answer["audit_id"]]
    assert retry["user"] == "support-user" and retry["role"] == "support"
    assert retry["action"] == "retry" and retry["targets"] == [finished_task]
    assert retry["reason"] == "ticket 4711: file fixed" and retry["status"] == "ok"
    assert retry["outcome"]["new_task_id"] == retry_answer["new_task_id"]
    assert retry["at"] <= retry["finished_at"]
    cancel = entries[reply.json()["audit_id"]]
    assert cancel["action"] == "cancel" and cancel["outcome"]["outcome"] == "already_finished"


BAD_ACTIONS: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("unknown id", "/api/v1/tasks/no-such-task/cancel", {"reason": "x"}, 404, "unknown_task"),
    ("unknown id", "/api/v1/tasks/no-such-task/retry", {"reason": "x"}, 404, "unknown_task"),
    ("priority 0", "/api/v1/tasks/{id}/priority", {"priority": 0, "reason": "x"}, 422, "priority"),
    (
        "priority 11",
        "/api/v1/tasks/{id}/priority",
        {"priority": 11, "reason": "x"},
        422,
        "priority",
    ),
    (
        "priority high",
        "/api/v1/tasks/{id}/priority",
        {"priority": "high", "reason": "x"},
        422,
        "high",
    ),
    ("priority 5.5", "/api/v1/tasks/{id}/retry", {"priority": 5.5, "reason": "x"}, 422, "priority"),
    ("empty reason", "/api/v1/tasks/{id}/retry", {"reason": "   "}, 422, "reason"),
    ("no reason", "/api/v1/tasks/{id}/cancel", {}, 422, "reason"),
    ("odd id", "/api/v1/tasks/a%20b;drop/cancel", {"reason": "x"}, 422, "task_id"),
]


@pytest.mark.parametrize(("case", "path", "body", "status", "mentions"), BAD_ACTIONS)
def test_bad_action_input_is_refused_and_changes_nothing(
    admin: httpx.Client, finished_task: str, case: str, path: str, body: dict[str, Any],
    status: int, mentions: str,
) -> None:  # fmt: skip
    before = audit_ids(admin)
    task_before = admin.get(f"/api/v1/tasks/{finished_task}").json()
    reply = admin.post(path.replace("{id}", finished_task), json=body)
    assert reply.status_code == status, reply.text
    payload = reply.json()
    assert set(payload) == {"error", "detail"}
    assert mentions in payload["detail"] or mentions in payload["error"], payload
    assert audit_ids(admin) == before
    assert admin.get(f"/api/v1/tasks/{finished_task}").json() == task_before


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "W10"}, "cursor"),  # valid base64 of '[]'
        ({"since": "yesterday"}, "since"),
        ({"state": "EXPLODED"}, "state"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_bad_list_queries_say_what_is_wrong(
    admin: httpx.Client, params: dict[str, Any], mentions: str
) -> None:
    reply = admin.get("/api/v1/tasks", params=params)
    assert reply.status_code in (400, 422), reply.text
    assert mentions in reply.json()["detail"]


def test_bulk_with_a_filter_matching_nothing_is_refused(admin: httpx.Client) -> None:
    before = audit_ids(admin)
    reply = admin.post(
        "/api/v1/actions/bulk",
        json={"action": "retry", "filter": {"user": "nobody-at-all"}, "reason": "x",
              "idempotency_key": f"nothing-{uuid.uuid4().hex}"},
    )  # fmt: skip
    assert reply.status_code == 404 and reply.json()["error"] == "empty_selection"
    both = admin.post(
        "/api/v1/actions/bulk",
        json={"action": "cancel", "reason": "x", "idempotency_key": "k-both-1234",
              "task_ids": ["a"], "filter": {"user": "u"}},
    )  # fmt: skip
    assert both.status_code == 422 and "either task_ids or filter" in both.json()["detail"]
    assert audit_ids(admin) == before


def test_unknown_queue_and_unknown_job_are_404(admin: httpx.Client) -> None:
    reply = admin.get("/api/v1/queues/no_such_queue/messages")
    assert reply.status_code == 404 and "data_sync" in reply.json()["detail"]
    assert admin.get("/api/v1/actions/bulk/nope").status_code == 404


def test_submit_checks_task_name_queue_and_user(admin: httpx.Client) -> None:
    for body, mentions in (
        ({"name": "os.system", "args": ["rm"], "user": "u"}, "unknown task"),
        ({"name": SYNC, "args": [], "queue": "nowhere", "user": "u"}, "queue"),
        ({"name": SYNC, "args": [], "user": "bad user!"}, "user"),
        ({"name": SYNC, "args": [], "user": "u", "priority": 0}, "priority"),
    ):
        reply = admin.post("/api/v1/tasks", json=body)
        assert reply.status_code == 422, body
        assert mentions in reply.json()["detail"]


def test_queues_and_workers_answer(admin: httpx.Client, celery_worker: ManagedProcess) -> None:
    queues = admin.get("/api/v1/queues").json()
    assert {"data_sync", "scheduled", "default"} <= {q["name"] for q in queues}
    assert all(q["depth"] == sum(q["depth_by_priority"].values()) for q in queues)

    def worker_seen() -> bool:
        return any(
            w["hostname"] == "testworker@taskdeck" for w in admin.get("/api/v1/workers").json()
        )

    wait_for(worker_seen, 15, "the worker's heartbeat")
    worker = next(
        w for w in admin.get("/api/v1/workers").json() if w["hostname"] == "testworker@taskdeck"
    )
    assert worker["online"] is True and worker["last_heartbeat_age_s"] < 10
    wait_for(
        lambda: next(
            w for w in admin.get("/api/v1/workers").json() if w["hostname"] == "testworker@taskdeck"
        )["pool"] == "prefork", 30, "pool details",
    )  # fmt: skip
