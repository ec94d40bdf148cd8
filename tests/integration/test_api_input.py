"""What the API does with what it is sent, before any work: who asks first, then the body.

The caller is authenticated and authorised before the body is read; the body is
refused (413) before it is read whole when it is too large; text that cannot be
stored is refused (422) with a message naming the field; errors echo only a
short prefix of what was sent; and every answer of a rate-limited route carries
the X-RateLimit-* headers. Runs against a broker and backend of its own, so the
backend's peak memory is this module's alone.
"""

from __future__ import annotations

import json
import select
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.helpers import api, peak_rss_kib, read_answer, wait_for

pytestmark = pytest.mark.integration

SYNC = "data_sync.sync_single_file"
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
# Every route that takes a body: (method, path, a valid body, the role it needs).
BODY_ROUTES: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "/api/v1/tasks", {"name": SYNC, "args": ["f-1", "u"], "user": "u"}, "support"),
    ("POST", "/api/v1/tasks/some-task/cancel", {"reason": "r"}, "support"),
    ("POST", "/api/v1/tasks/some-task/retry", {"reason": "r"}, "support"),
    ("POST", "/api/v1/tasks/some-task/priority", {"priority": 3, "reason": "r"}, "admin"),
    ("POST", "/api/v1/actions/bulk",
     {"action": "retry", "task_ids": ["some-task"], "reason": "r", "idempotency_key": "k-12345678"},
     "support"),
    ("PUT", "/api/v1/quotas/some-user", {"limit": 3, "reason": "r"}, "admin"),
    ("POST", "/api/v1/quotas/some-user/reconcile", {"reason": "r"}, "admin"),
]  # fmt: skip
ROUTE_IDS = [f"{method} {path}" for method, path, _b, _r in BODY_ROUTES]
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def admin(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url, "admin") as client:
        yield client


def send(client: httpx.Client, method: str, path: str, body: bytes) -> httpx.Response:
    return client.request(method, path, content=body, headers=JSON)


# -- authenticate and authorise, then read the body -----------------------------------


@pytest.mark.parametrize(("method", "path", "_body", "_role"), BODY_ROUTES, ids=ROUTE_IDS)
def test_without_a_token_any_body_answers_401_and_counts_as_a_failed_authentication(
    backend: Server, method: str, path: str, _body: dict[str, Any], _role: str
) -> None:
    with api(backend.url, None) as anonymous:
        remaining = []
        for body in (b"{not json", b'{"reason": " "}', b"\xff\xfe", b""):
            reply = send(anonymous, method, path, body)
            assert reply.status_code == 401, (body, reply.text)
            assert reply.json()["error"] == "unauthenticated"
            remaining.append(int(reply.headers["X-RateLimit-Remaining"]))
        # Each one counted against the address's failed-authentication limit.
        assert remaining == sorted(remaining, reverse=True) and remaining[0] > remaining[-1]


@pytest.mark.parametrize(("method", "path", "_body", "role"), BODY_ROUTES, ids=ROUTE_IDS)
def test_a_role_that_may_not_act_gets_403_whatever_the_body(
    backend: Server, method: str, path: str, _body: dict[str, Any], role: str
) -> None:
    lower = {"support": ["viewer"], "admin": ["viewer", "support"]}[role]
    for who in lower:
        with api(backend.url, who) as client:
            for body in (b"{not json", b'{"reason": " "}', b"[]"):
                reply = send(client, method, path, body)
                assert reply.status_code == 403, (who, body, reply.text)
                assert reply.json()["error"] == "forbidden"


def test_a_body_larger_than_allowed_is_refused_before_it_is_sent(backend: Server) -> None:
    # Content-Length announces 64 MiB; none of it is sent: the answer must not wait for it.
    request = (
        "POST /api/v1/tasks/some-task/cancel HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{backend.port}\r\nAuthorization: Bearer admin-token-0123456789\r\n"
        f"Content-Type: application/json\r\nContent-Length: {64 << 20}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", backend.port), timeout=10) as sock:
        sock.sendall(request.encode())
        head, body = read_answer(sock)
    assert head.startswith("HTTP/1.1 413"), head
    payload = json.loads(body)
    assert payload["error"] == "body_too_large" and "bytes" in payload["detail"]
    assert "x-ratelimit-remaining:" in head.lower()


def test_a_streamed_body_is_cut_off_at_the_limit_and_memory_stays_bounded(
    backend: Server,
) -> None:
    peak_before = peak_rss_kib(backend.proc.pid)
    chunk = b'{"reason": "' + b"x" * (1 << 20)  # never closed: it is never valid
    sent = 0
    with socket.create_connection(("127.0.0.1", backend.port), timeout=10) as sock:
        sock.sendall(
            (
                "POST /api/v1/actions/bulk HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{backend.port}\r\nAuthorization: Bearer admin-token-0123456789\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        deadline = time.monotonic() + 30
        while sent < (96 << 20) and time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.settimeout(10)
        head, body = read_answer(sock)
    assert head.startswith("HTTP/1.1 413"), head
    assert json.loads(body)["error"] == "body_too_large"
    assert sent < (64 << 20), f"the backend read {sent >> 20} MiB before refusing"
    grown_mib = (peak_rss_kib(backend.proc.pid) - peak_before) / 1024
    assert grown_mib < 24, f"the backend's peak memory grew by {grown_mib:.0f} MiB"


def test_a_large_bulk_selection_still_fits(admin: httpx.Client) -> None:
    # 100,000 ids of 64 characters is the most a bulk request may name: it is not refused as too
    # large (it answers 404: none of them is a known task).
    ids = [f"{n:064d}" for n in range(100_000)]
    reply = admin.post(
        "/api/v1/actions/bulk",
        json={"action": "retry", "task_ids": ids, "reason": "r",
              "idempotency_key": f"big-{uuid.uuid4().hex}", "dry_run": True},
    )  # fmt: skip
    assert reply.status_code != 413, reply.text[:300]
    assert reply.status_code in (200, 404), reply.text[:300]


# -- text that cannot be stored ---------------------------------------------------------

SURROGATE = "\\ud800"  # a lone surrogate, as JSON writes it: not a character
SURROGATE_CASES: list[tuple[str, str, str, str]] = [
    ("POST", "/api/v1/tasks/some-task/cancel", '{"reason": "a%sb"}', "reason"),
    ("PUT", "/api/v1/quotas/some-user", '{"limit": 3, "reason": "%s"}', "reason"),
    ("POST", "/api/v1/actions/bulk",
     '{"action": "cancel", "task_ids": ["x"], "reason": "r", "idempotency_key": "key-%s-1234"}',
     "idempotency_key"),
    ("POST", "/api/v1/actions/bulk",
     '{"action": "cancel", "filter": {"name": "n%s"}, "reason": "r", "idempotency_key": "k-1234567"}',
     "filter.name"),
    ("POST", "/api/v1/tasks", '{"name": "%s", "user": "u"}', "name"),
    ("POST", "/api/v1/tasks", '{"name": "' + SYNC + '", "args": ["f-%s", "u"], "user": "u"}',
     "args.0"),
    ("POST", "/api/v1/tasks",
     '{"name": "' + SYNC + '", "args": ["f", "u"], "kwargs": {"k%s": 1}, "user": "u"}', "kwargs"),
    ("POST", "/api/v1/tasks",
     '{"name": "' + SYNC + '", "args": ["f", "u"], "kwargs": {"k": [{"deep": "%s"}]}, "user": "u"}',
     "kwargs.k.0.deep"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "template", "field"), SURROGATE_CASES)
def test_text_that_cannot_be_stored_is_refused_naming_the_field(
    admin: httpx.Client, method: str, path: str, template: str, field: str
) -> None:
    before = admin.get("/api/v1/tasks", params={"limit": 1000}).json()["items"]
    reply = send(admin, method, path, (template % SURROGATE).encode())
    assert reply.status_code == 422, reply.text
    payload = reply.json()
    assert payload["error"] == "invalid_request"
    assert payload["detail"].startswith(f"{field}: "), payload
    assert "surrogate" in payload["detail"] and "Unicode" in payload["detail"], payload
    # Nothing was queued or recorded that could not be shown again.
    assert admin.get("/api/v1/tasks", params={"limit": 1000}).json()["items"] == before
    assert admin.get("/api/v1/queues/data_sync/messages").status_code == 200


def test_arguments_that_could_not_be_shown_again_are_refused(admin: httpx.Client) -> None:
    before = admin.get("/api/v1/tasks", params={"limit": 1000}).json()["items"]
    submit = '{"name": "' + SYNC + '", "args": [%s], "user": "u"}'
    deep = send(admin, "POST", "/api/v1/tasks", (submit % ("[" * 200 + "]" * 200)).encode())
    assert deep.status_code == 422, deep.text
    assert deep.json()["detail"] == "args: nested deeper than 32 levels"
    for number in ("NaN", "Infinity", "-Infinity", "1e999"):
        reply = send(admin, "POST", "/api/v1/tasks", (submit % number).encode())
        assert reply.status_code == 400, (number, reply.text)
        assert reply.json()["error"] == "bad_body" and number.lstrip("-") in reply.json()["detail"]
    assert admin.get("/api/v1/tasks", params={"limit": 1000}).json()["items"] == before
    fine = send(admin, "POST", "/api/v1/tasks", (submit % ("[" * 20 + "1.5" + "]" * 20)).encode())
    assert fine.status_code == 202, fine.text
    task_id = fine.json()["task_id"]
    assert admin.get("/api/v1/queues/data_sync/messages").status_code == 200
    wait_for(lambda: admin.get(f"/api/v1/tasks/{task_id}").status_code == 200, 15, "the task's row")


def test_a_surrogate_pair_is_a_character_and_is_accepted(admin: httpx.Client) -> None:
    reply = admin.put(
        "/api/v1/quotas/emoji-user", content=b'{"limit": 4, "reason": "ok \\ud83d\\ude00"}',
        headers=JSON,
    )  # fmt: skip
    assert reply.status_code == 200, reply.text
    entry = admin.get("/api/v1/audit", params={"limit": 1}).json()["items"][0]
    assert entry["reason"] == "ok \U0001f600"


# -- errors echo a short prefix ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "mentions"),
    [
        ("POST", "/api/v1/tasks/some-task/retry",
         {"reason": "x" * 1_000_000, "priority": 5}, "reason"),
        ("POST", "/api/v1/tasks/some-task/retry", {"reason": "r", "priority": "9" * 500_000},
         "priority"),
        ("POST", "/api/v1/actions/bulk",
         {"action": "cancel", "task_ids": ["bad id!"] * 100_001, "reason": "r",
          "idempotency_key": "k" * 200}, "task_ids"),
        ("POST", "/api/v1/tasks", {"name": SYNC, "user": "u" * 600_000}, "user"),
        ("POST", "/api/v1/tasks", ["x" * 600_000], "object"),
    ],
)  # fmt: skip
def test_an_error_echoes_only_a_short_prefix_of_the_input(
    admin: httpx.Client, method: str, path: str, body: Any, mentions: str
) -> None:
    reply = admin.request(method, path, json=body)
    assert reply.status_code == 422, reply.text[:300]
    assert len(reply.content) < 2000, f"{len(reply.content)} bytes: {reply.text[:300]}"
    assert mentions in reply.json()["detail"], reply.json()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/tasks", {"name": "n" * 200, "user": "u"}),
        ("/api/v1/tasks", {"name": SYNC, "queue": "n" * 100, "user": "u"}),
    ],
)
def test_a_refusal_by_the_route_echoes_a_short_prefix_too(
    admin: httpx.Client, path: str, body: dict[str, Any]
) -> None:
    reply = admin.post(path, json=body)
    assert reply.status_code == 422, reply.text
    assert "n" * 41 not in reply.json()["detail"], reply.json()
    reply = admin.get(f"/api/v1/queues/{'n' * 100}/messages")
    assert reply.status_code == 404 and "n" * 41 not in reply.json()["detail"], reply.json()


def test_a_body_that_is_not_json_text_is_named_without_being_echoed(
    admin: httpx.Client,
) -> None:
    reply = admin.post(
        "/api/v1/tasks/some-task/cancel", content=b"r" * 500_000,
        headers={"Content-Type": "text/plain"},
    )  # fmt: skip
    assert reply.status_code == 422 and len(reply.content) < 2000, reply.text[:300]
    assert "application/json" in reply.json()["detail"]


# -- the rate-limit headers on every answer of a limited route --------------------------


def assert_rate_headers(reply: httpx.Response, what: str) -> None:
    missing = [h for h in RATE_HEADERS if h not in reply.headers]
    assert not missing, f"{what}: {reply.status_code} without {missing}: {reply.text[:200]}"
    assert all(reply.headers[h].isdigit() for h in RATE_HEADERS), what


@pytest.mark.parametrize(("method", "path", "good", "role"), BODY_ROUTES, ids=ROUTE_IDS)
def test_every_answer_of_a_limited_route_carries_the_rate_limit_headers(
    backend: Server, method: str, path: str, good: dict[str, Any], role: str
) -> None:
    with api(backend.url, "admin") as admin, api(backend.url, "viewer") as viewer:
        tries: list[tuple[str, httpx.Client, bytes]] = [
            ("the valid body", admin, json.dumps(good).encode()),
            ("a body that is not JSON", admin, b"{not json"),
            ("an invalid body", admin, b'{"reason": 5, "priority": 0, "limit": "x"}'),
            ("a viewer", viewer, json.dumps(good).encode()),
        ]
        for what, client, body in tries:
            assert_rate_headers(send(client, method, path, body), what)
        odd_path = path.replace("some-task", "a%20b").replace("some-user", "a%20b")
        if odd_path != path:
            assert_rate_headers(send(admin, method, odd_path, json.dumps(good).encode()), "path")
    with api(backend.url, None) as anonymous:
        assert_rate_headers(send(anonymous, method, path, b"{}"), "no token")


def test_me_carries_the_rate_limit_headers_when_the_token_is_unknown(backend: Server) -> None:
    with api(backend.url, None) as client:
        reply = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert reply.status_code == 401
    assert_rate_headers(reply, "an unknown token")
