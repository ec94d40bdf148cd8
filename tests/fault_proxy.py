"""A loopback HTTP proxy in front of a real backend that can misbehave on cue: answer a
chosen status instead of the backend, forward a request and lose the answer (a
connection dropped after the backend acted), or be down (every connection closed).

Everything else is forwarded to the backend as is, so the console under test talks to
the real backend through it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Fault:
    method: str
    path: str  # the request path starts with this
    status: int | None = None  # answer this instead of the backend
    drop: bool = False  # forward, then lose the backend's answer (the backend acted)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    json_has: dict[str, Any] | None = None  # only requests whose JSON body holds these
    then_down: bool = False  # after answering (or dropping), the proxy is down


class FaultProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.faults: list[Fault] = []
        self.down = False
        self.seen: list[tuple[str, str, int | None]] = []  # method, path, status given
        self._lock = threading.Lock()
        self._client = httpx.Client(base_url=self.target, timeout=30.0)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def fail(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def _take(self, method: str, path: str, body: bytes) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if (
                    fault.method == method
                    and path.startswith(fault.path)
                    and _holds(body, fault.json_has)
                ):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("content-length") or 0)
        body = h.rfile.read(length) if length else b""
        if self.down:
            self.seen.append((h.command, h.path, None))
            h.close_connection = True
            h.connection.close()
            return
        fault = self._take(h.command, h.path, body)
        if fault is not None and fault.then_down:
            self.down = True  # for the requests after this one
        if fault is not None and fault.status is not None:
            self.seen.append((h.command, h.path, fault.status))
            h.send_response(fault.status)
            headers = {"content-type": "application/json", **fault.headers}
            for key, value in headers.items():
                h.send_header(key, value)
            h.send_header("content-length", str(len(fault.body)))
            h.end_headers()
            h.wfile.write(fault.body)
            return
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_HEADERS}
        reply = self._client.request(h.command, h.path, content=body, headers=headers)
        if fault is not None and fault.drop:  # the backend acted; its answer is lost
            self.seen.append((h.command, h.path, None))
            h.close_connection = True
            h.connection.close()
            return
        self.seen.append((h.command, h.path, reply.status_code))
        h.send_response(reply.status_code)
        for key, value in reply.headers.items():
            if key.lower() not in HOP_HEADERS:
                h.send_header(key, value)
        h.send_header("content-length", str(len(reply.content)))
        h.end_headers()
        h.wfile.write(reply.content)


def _holds(body: bytes, wanted: dict[str, Any] | None) -> bool:
    if not wanted:
        return True
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and all(data.get(k) == v for k, v in wanted.items())


@contextmanager
def fault_proxy(target: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(target)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
