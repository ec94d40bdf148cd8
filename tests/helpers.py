"""Small helpers shared by the integration tests."""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import TOKENS

METRICS_DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def wait_for(
    check: Callable[[], object], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``check`` until it returns something true; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def api(base_url: str, role: str | None = "admin") -> httpx.Client:
    headers = {"Authorization": f"Bearer {TOKENS[role]}"} if role else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=30)


@dataclass(frozen=True)
class DocumentedMetric:
    name: str  # as exported: counters end in _total
    type: str  # counter | gauge | histogram
    labels: frozenset[str]


def documented_metrics() -> list[DocumentedMetric]:
    """The rows of docs/metrics.md's table: name, type and labels."""
    rows = []
    for line in METRICS_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            labels = frozenset(re.findall(r"`([a-z_]+)`", cells[2]))
            rows.append(DocumentedMetric(cells[0].strip("`"), cells[1], labels))
    return rows


def read_answer(sock: socket.socket) -> tuple[str, bytes]:
    """An HTTP answer's head and body (by its Content-Length), read from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        if not part:
            break
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
         if line.lower().startswith(b"content-length:")), 0,
    )  # fmt: skip
    while len(body) < length:
        part = sock.recv(65536)
        if not part:
            break
        body += part
    return head.decode(), body


def peak_rss_kib(pid: int) -> int:
    """A process's peak resident memory (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


# One valid profile of a profiles.toml file, named by ``.format(name=...)``.
GOOD_ENTRY = """
[[profile]]
name = "{name}"
broker_url = "redis://redis:6379/0"
backend_url = "http://backend:8400"
prometheus_url = "http://prometheus:9090"
alertmanager_url = "http://alertmanager:9093"
"""


class Submitters:
    """``threads`` clients submitting data-sync tasks for ``user`` through the backend
    until the block ends, ``pause_s`` apart each: what a burst of users looks like while
    a part is killed. ``accepted`` holds (when sent, task id) of each 202; ``statuses``
    every answer's status (a dropped connection is not an answer)."""

    def __init__(self, base_url: str, user: str, threads: int = 1, pause_s: float = 0.0) -> None:
        self.base_url, self.user, self.pause_s = base_url, user, pause_s
        self.accepted: list[tuple[float, str]] = []
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    @property
    def ids(self) -> list[str]:
        return [task_id for _, task_id in self.accepted]

    def _run(self) -> None:
        with api(self.base_url, "support") as client:
            while not self._stop.is_set():
                body = {"name": "data_sync.sync_single_file",
                        "args": [f"f-{uuid.uuid4().hex[:8]}", self.user], "user": self.user}  # fmt: skip
                sent = time.time()
                try:
                    reply = client.post("/api/v1/tasks", json=body, timeout=10)
                except httpx.HTTPError:
                    continue
                self.statuses.append(reply.status_code)
                if reply.status_code == 202:
                    self.accepted.append((sent, reply.json()["task_id"]))
                if self.pause_s:
                    self._stop.wait(self.pause_s)

    def __enter__(self) -> Submitters:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


def scan_calls(client: Any) -> int:
    """SCAN commands Redis has answered so far (INFO commandstats): a walk of the keyspace."""
    stats: dict[str, dict[str, int]] = client.info("commandstats")
    return int(stats.get("cmdstat_scan", {}).get("calls", 0))
