"""Hostile request sizes: large bodies without a token, and large task arguments.

Four callers without a token stream 50 MB bodies at once: each is answered 401
before its body is read, and the backend's peak memory (VmHWM of its process,
from /proc) grows by a few MiB, not by the bodies. A submission's arguments are
limited on their own (args and kwargs as JSON), so a task that is accepted can
be shown again whole. Runs against a broker and backend of its own, so the
peak memory measured is this module's alone.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from backend.api.schemas import MAX_ARGUMENTS_BYTES
from tests.conftest import Server
from tests.helpers import api, peak_rss_kib, read_answer

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

SYNC = "data_sync.sync_single_file"
HUGE = 50_000_000  # bytes each anonymous caller sends
CHUNK = 1 << 20


@pytest.fixture
def support(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url, "support") as client:
        yield client


def anonymous_upload(port: int, method: str, path: str, chunked: bool) -> tuple[str, bytes, int]:
    """Send a 50 MB JSON body without a token, all of it unless the backend hangs up;
    returns the answer's head and body and the bytes sent."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE}"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    )
    piece = b'{"args": ["' + b"x" * (CHUNK - 11)
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        try:
            while sent < HUGE:
                data = piece[: HUGE - sent]
                sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                sent += len(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # hung up on us: the answer is already there
        answer_head, answer_body = read_answer(sock)
    return answer_head, answer_body, sent


def test_four_anonymous_50_mb_bodies_at_once_keep_the_backend_small(backend: Server) -> None:
    peak_before = peak_rss_kib(backend.proc.pid)
    uploads = [
        ("POST", "/api/v1/tasks", False), ("POST", "/api/v1/actions/bulk", True),
        ("POST", "/api/v1/tasks/some-task/cancel", False), ("PUT", "/api/v1/quotas/u", True),
    ]  # fmt: skip
    with ThreadPoolExecutor(len(uploads)) as pool:
        results = list(pool.map(lambda u: anonymous_upload(backend.port, *u), uploads))
    for (_method, path, _chunked), (head, body, _sent) in zip(uploads, results, strict=True):
        assert head.startswith("HTTP/1.1 401"), (path, head)
        assert json.loads(body)["error"] == "unauthenticated", path
    grown_mib = (peak_rss_kib(backend.proc.pid) - peak_before) / 1024
    sent_mib = sum(sent for _h, _b, sent in results) / (1 << 20)
    assert grown_mib < 24, f"peak memory grew by {grown_mib:.0f} MiB for {sent_mib:.0f} MiB sent"
    # The backend still answers, and the calls counted as failed authentications.
    reply = httpx.get(f"{backend.url}/api/v1/me", timeout=10)
    assert reply.status_code in (401, 429)


def submit(client: httpx.Client, args: list[Any], **kwargs: object) -> httpx.Response:
    return client.post(
        "/api/v1/tasks",
        json={"name": SYNC, "args": args, "kwargs": kwargs, "queue": "data_sync",
              "user": "big-args"},
    )  # fmt: skip


def test_arguments_over_the_limit_are_refused_and_nothing_is_queued(
    support: httpx.Client,
) -> None:
    before = support.get("/api/v1/queues").json()
    # Under the 1 MiB body limit, over the arguments' own: one argument, or kwargs.
    for args, kwargs in (
        ([f"f-{'x' * 600_000}", "big-args"], {}),
        (["f-1", "big-args"], {"note": "y" * (MAX_ARGUMENTS_BYTES - 20)}),
    ):
        reply = submit(support, args, **kwargs)
        assert reply.status_code == 413, reply.text[:300]
        payload = reply.json()
        assert set(payload) == {"error", "detail"}
        assert payload["error"] == "arguments_too_large"
        assert f"{MAX_ARGUMENTS_BYTES:,} bytes" in payload["detail"], payload
        assert len(reply.content) < 1000  # the arguments are not echoed
    assert support.get("/api/v1/queues").json() == before
    used = [q for q in support.get("/api/v1/quotas").json() if q["user"] == "big-args"]
    assert all(q["used"] == 0 for q in used), used


def test_arguments_at_the_limit_are_accepted_and_read_back_whole(support: httpx.Client) -> None:
    name = f"f-{uuid.uuid4().hex}"
    note = "z" * (MAX_ARGUMENTS_BYTES - 200)
    reply = submit(support, [name, "big-args"], note=note)
    assert reply.status_code == 202, reply.text[:300]
    task = support.get(f"/api/v1/tasks/{reply.json()['task_id']}")
    assert task.status_code == 200
    assert task.json()["kwargs"]["note"] == note
    assert len(task.content) < MAX_ARGUMENTS_BYTES + 16_384


def test_the_openapi_names_the_arguments_limit(backend: Server) -> None:
    schema = httpx.get(f"{backend.url}/openapi.json", timeout=10).json()
    answer = schema["paths"]["/api/v1/tasks"]["post"]["responses"]["413"]
    assert "arguments_too_large" in answer["description"]
    assert f"{MAX_ARGUMENTS_BYTES:,}" in answer["description"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    args = schema["components"]["schemas"]["SubmitBody"]["properties"]["args"]
    assert f"{MAX_ARGUMENTS_BYTES:,}" in args["description"]
