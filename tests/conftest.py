"""Real servers on free loopback ports: once per test session, or per module that asks.

Each fixture waits for its server to be ready within a deadline and stops
exactly the process it started when the session ends, whether tests passed
or failed. Nothing here is a fake: redis-server, Celery prefork workers, the
backend, Prometheus and Alertmanager are the real programs.
"""

from __future__ import annotations

import gc
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

from taskdeck_core.transport import QUEUES, SANDBOX_STEPS
from taskdeck_dev.procs import LOOPBACK, ManagedProcess
from taskdeck_dev.stack import (
    Server,
    running_alertmanager,
    running_backend,
    running_prometheus,
    running_redis,
    start_worker,
)
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings

__all__ = ["FAST_WORKLOAD", "ROOMY", "TOKENS", "TOKENS_ENV", "Server", "running_backend",
           "running_redis"]  # fmt: skip

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
# What the broker cannot show of the data-sync system: its queues before any worker has
# bound them, and its ten priority steps (kombu's default has four).
DATA_SYNC_SYSTEM = {
    "TASKDECK_QUEUES": ",".join(QUEUES),
    "TASKDECK_PRIORITY_STEPS": ",".join(map(str, SANDBOX_STEPS)),
}
ROOMY = {
    "TASKDECK_TOKENS": TOKENS_ENV,
    **DATA_SYNC_SYSTEM,
    # Scraped without a token, by the tests and their Prometheus (no per-user series).
    "TASKDECK_METRICS_OPEN": "1",
    "TASKDECK_QUOTA_DEFAULT": "10000",
    "TASKDECK_RATELIMIT_TIERS": "{"
    + ", ".join(
        f'"{tier}": {{"default": 100000, "data_sync": 100000, "auth": 100000}}'
        for tier in ("admin", "premium", "normal", "anonymous")
    )
    + "}",
}


# Under pytest-xdist (``make test`` runs two processes with ``--dist loadfile``), each module
# runs whole in one process: its module-scoped servers are its own and its tests may build on
# one another. The modules that run the sandbox's demo (its preferred ports, the first free X
# display) also share one process, so two demos never race for the same port or display.
SANDBOX_DEMO_MODULES = (
    "tests/integration/test_sandbox.py",
    "tests/reliability/test_sandbox_stop.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need a QApplication are marked ``gui``: ``make test`` runs them in a pytest
    session of their own. A worker process that has a QApplication processes Qt's events
    after every test (pytest-qt), and in 4 of 7 full runs that event processing crashed
    (a segmentation fault). The likely cause: with the other tests' threads in the same
    process, a cyclic garbage collection run on one of them can free a Qt object off the
    GUI thread. Apart, the other tests' processes have no QApplication at all."""
    for item in items:
        if "qapp" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _qt_garbage_on_the_gui_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """In a test with a QApplication, no automatic collection (it runs on whichever thread
    allocates): garbage is collected here, on the GUI thread, once the test is over."""
    if "qapp" not in request.fixturenames:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.enable()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ModuleScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "sandbox-demo" if module in SANDBOX_DEMO_MODULES else module

    return ModuleScheduling(config, log)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
def redis_server(run_dir: Path) -> Iterator[Server]:
    with running_redis(run_dir) as server:
        yield server


@pytest.fixture
def redis_client(redis_server: Server) -> Iterator[redis.Redis]:
    """A client of the session's redis-server, closed after the test."""
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


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
    with running_alertmanager(run_dir) as server:
        yield server


@pytest.fixture(scope="session")
def prometheus_server(
    run_dir: Path, backend_server: Server, alertmanager_server: Server
) -> Iterator[Server]:
    with running_prometheus(
        run_dir, backend_server, alertmanager_server, interval="1s", rules_factor=0.05
    ) as server:
        yield server


# A test module that needs a broker and a backend of its own (to change their settings, or
# to stop workers without disturbing others) asks for ``broker`` and ``backend``; it sets the
# backend's environment by defining a ``backend_env`` fixture of its own.


@pytest.fixture(scope="module")
def stack_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2])


@pytest.fixture(scope="module")
def broker(stack_dir: Path) -> Iterator[Server]:
    with running_redis(stack_dir) as server:
        yield server


@pytest.fixture(scope="module")
def backend_env() -> dict[str, str]:
    return ROOMY


@pytest.fixture(scope="module")
def backend(stack_dir: Path, broker: Server, backend_env: dict[str, str]) -> Iterator[Server]:
    with running_backend(stack_dir, broker.url, backend_env) as server:
        yield server


@pytest.fixture(scope="module")
def producer(broker: Server) -> Iterator[Celery]:
    """A Celery app publishing to the module's own broker, as the watched system does."""
    app = create_celery(WorkerSettings(broker_url=broker.url), results=False)
    yield app
    app.close()


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A loopback port something already listens on: for "port in use" paths."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen()
        yield int(sock.getsockname()[1])
