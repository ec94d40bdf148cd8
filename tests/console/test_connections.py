"""The console shell against the real services of the test fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.app import Console, build_console
from console.domain.endpoints import Endpoints
from console.domain.service_status import Connection, ServiceKind
from console.models.services_table_model import COL_DETAILS, COL_STATE
from taskdeck_core.transport import QUEUES, priority_list_names
from taskdeck_dev.procs import LOOPBACK, free_port
from tests.conftest import Server
from tests.console.conftest import run_coro

pytestmark = pytest.mark.integration


@pytest.fixture
def endpoints(
    redis_server: Server,
    backend_server: Server,
    prometheus_server: Server,
    alertmanager_server: Server,
) -> Endpoints:
    return Endpoints(
        redis_server.url, backend_server.url, prometheus_server.url, alertmanager_server.url
    )


@pytest.fixture
def console(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, endpoints: Endpoints
) -> Iterator[Console]:
    built = build_console(endpoints, "test")
    qtbot.addWidget(built.window)
    built.window.resize(1366, 768)
    built.window.show()
    yield built
    run_coro(qtbot, built.aclose())


def all_connected(console: Console) -> bool:
    assert console.link is not None
    return all(
        console.link.connections.status(kind).connection is Connection.CONNECTED
        for kind in ServiceKind
    )


def test_every_service_shows_connected_with_its_facts(
    qtbot: QtBot, console: Console, redis_server: Server
) -> None:
    qtbot.waitUntil(lambda: all_connected(console), timeout=15_000)
    model = console.services_model
    states = [model.index(r, COL_STATE).data() for r in range(model.rowCount())]
    assert states == ["connected"] * 4
    client = redis.Redis.from_url(redis_server.url)
    try:
        expected = {q: sum(int(client.llen(k)) for k in priority_list_names(q)) for q in QUEUES}
    finally:
        client.close()
    broker_details = model.index(0, COL_DETAILS).data()
    for queue, depth in expected.items():
        assert f"{queue}: {depth}" in broker_details
    ModelTester(None).check(model)


def test_an_unreachable_service_is_down_with_its_error_and_the_rest_connect(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, endpoints: Endpoints
) -> None:
    dead = f"http://{LOOPBACK}:{free_port()}"
    broken = Endpoints(endpoints.broker_url, endpoints.backend_url, endpoints.prometheus_url, dead)
    built = build_console(broken, "test")
    qtbot.addWidget(built.window)
    assert built.link is not None
    connections = built.link.connections
    try:
        am = ServiceKind.ALERTMANAGER
        qtbot.waitUntil(
            lambda: connections.status(am).connection is Connection.DOWN, timeout=10_000
        )
        status = connections.status(am)
        assert status.last_error and "Connect" in status.last_error
        qtbot.waitUntil(
            lambda: connections.status(ServiceKind.BROKER).connection is Connection.CONNECTED,
            timeout=10_000,
        )
        label = built.window._indicators[am]
        assert "down" in label.text() and label.toolTip() == status.last_error
    finally:
        run_coro(qtbot, built.aclose())
