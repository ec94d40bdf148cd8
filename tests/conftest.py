"""Real servers on free loopback ports, started once per test session.

Each fixture waits for its server to be ready within a deadline and stops
exactly the process it started when the session ends, whether tests passed
or failed. Nothing here is a fake: redis-server, Celery prefork workers, the
backend, Prometheus and Alertmanager are the real programs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from taskdeck_dev.procs import LOOPBACK, ManagedProcess, free_port
from taskdeck_dev.stack import (
    redis_url,
    start_alertmanager,
    start_backend,
    start_prometheus,
    start_redis,
    start_worker,
    write_prometheus_config,
)

# The workload, fast and without failures, unless a test asks otherwise.
FAST_WORKLOAD = {
    "TASKDECK_WORKLOAD_SPEED": "50",
    "TASKDECK_WORKLOAD_FAILURE_RATE": "0",
    "TASKDECK_WORKLOAD_RETRY_BACKOFF_S": "1",
}


# Bearer tokens of the test backend, one per role.
TOKENS = {"viewer": "viewer-token-0123456789", "support": "support-token-0123456789",
          "admin": "admin-token-0123456789"}  # fmt: skip
TOKENS_ENV = ",".join(f"{role}-user:{role}:{token}" for role, token in TOKENS.items())
# Backends of tests that are not about limits: limits and quotas far out of the way.
ROOMY = {
    "TASKDECK_TOKENS": TOKENS_ENV,
    "TASKDECK_QUOTA_DEFAULT": "10000",
    "TASKDECK_RATELIMIT_TIERS": "{"
    + ", ".join(
        f'"{tier}": {{"default": 100000, "data_sync": 100000, "auth": 100000}}'
        for tier in ("admin", "premium", "normal", "anonymous")
    )
    + "}",
}


@dataclass
class Server:
    proc: ManagedProcess
    port: int
    url: str


@contextlib.contextmanager
def running_redis(run_dir: Path) -> Iterator[Server]:
    """A redis-server of its own on a free port, stopped on leaving."""
    port = free_port()
    proc = start_redis(run_dir, port)
    try:
        yield Server(proc, port, redis_url(port))
    finally:
        proc.stop()


@contextlib.contextmanager
def running_backend(run_dir: Path, broker_url: str, env: dict[str, str]) -> Iterator[Server]:
    """The backend on a free port over ``broker_url``, stopped on leaving."""
    port = free_port()
    proc = start_backend(run_dir, port, broker_url, env=env)
    try:
        yield Server(proc, port, f"http://{LOOPBACK}:{port}")
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
def redis_server(run_dir: Path) -> Iterator[Server]:
    with running_redis(run_dir) as server:
        yield server


@pytest.fixture(scope="session")
def celery_worker(run_dir: Path, redis_server: Server) -> Iterator[ManagedProcess]:
    proc = start_worker(run_dir, redis_server.url, "testworker", concurrency=2, env=FAST_WORKLOAD)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def backend_server(run_dir: Path, redis_server: Server) -> Iterator[Server]:
    with running_backend(run_dir, redis_server.url, ROOMY) as server:
        yield server


@pytest.fixture(scope="session")
def alertmanager_server(run_dir: Path) -> Iterator[Server]:
    port = free_port()
    proc = start_alertmanager(run_dir, port)
    try:
        yield Server(proc, port, f"http://{LOOPBACK}:{port}")
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def prometheus_server(
    run_dir: Path, backend_server: Server, alertmanager_server: Server
) -> Iterator[Server]:
    port = free_port()
    config = write_prometheus_config(
        run_dir, backend_server.port, alertmanager_server.port, interval="1s", rules_factor=0.05
    )
    proc = start_prometheus(run_dir, port, config)
    try:
        yield Server(proc, port, f"http://{LOOPBACK}:{port}")
    finally:
        proc.stop()
