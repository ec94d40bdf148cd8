"""GUI tests run offscreen, on a qasync loop that the test's Qt waits drive."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import qasync  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from console.app import Console, build_console  # noqa: E402
from console.controllers.reports_controller import wait_for_writer  # noqa: E402
from console.domain.endpoints import SANDBOX_SETTINGS, Endpoints  # noqa: E402
from tests.conftest import TOKENS, Server  # noqa: E402

T = TypeVar("T")


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop marked running, so coroutines advance while qtbot waits."""
    event_loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    for task in asyncio.all_tasks(event_loop):
        task.cancel()
    qapp.processEvents()
    # A report still being written (a test that cancelled one, or ended while one was made)
    # ends before the loop does: its end is posted to the loop from the writing thread.
    assert wait_for_writer(30), "the report writing thread did not stop"
    qapp.processEvents()
    # Not loop.stop(): that would call QApplication.exit() outside exec().
    event_loop._QEventLoop__is_running = False
    asyncio.events._set_running_loop(None)
    event_loop.close()
    asyncio.set_event_loop(None)
    # Free the closed loop's Qt timers here, on the GUI thread: left to a later
    # collection in a worker thread, Qt would stop them from the wrong thread.
    gc.collect()


@pytest.fixture
def endpoints(
    redis_server: Server,
    backend_server: Server,
    prometheus_server: Server,
    alertmanager_server: Server,
) -> Endpoints:
    """The test servers, with the backend's admin token; their Celery system is the
    sandbox's, with its queues and steps (as ``Endpoints.from_sandbox`` gives them)."""
    return Endpoints(redis_server.url, backend_server.url, prometheus_server.url,
                     alertmanager_server.url, backend_token=TOKENS["admin"],
                     transport=SANDBOX_SETTINGS)  # fmt: skip


def open_console(qtbot: QtBot, endpoints: Endpoints) -> Console:
    console = build_console(endpoints, "test")
    qtbot.addWidget(console.window)
    console.window.resize(1366, 768)
    console.window.show()
    return console


@pytest.fixture
def console(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, endpoints: Endpoints
) -> Iterator[Console]:
    """A console on the test servers, closed after the test."""
    built = open_console(qtbot, endpoints)
    yield built
    run_coro(qtbot, built.aclose())


def run_coro(qtbot: QtBot, coro: Coroutine[Any, Any, T], timeout_ms: int = 10_000) -> T:
    """Run ``coro`` on the running qasync loop and wait for its result."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout_ms)
    return task.result()
