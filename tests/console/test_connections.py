"""The console shell against the real services of the test fixtures."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.app import Console, build_console
from console.domain.endpoints import Endpoints
from console.domain.profiles import Profile
from console.domain.service_status import Connection, ProbeResult, ServiceKind
from console.models.services_table_model import COL_ADDRESS, COL_DETAILS, COL_STATE
from console.services.secrets import BACKEND_TOKEN, MemorySecrets
from taskdeck_core.transport import QUEUES, priority_list_names
from taskdeck_dev.procs import LOOPBACK, free_port
from tests.conftest import Server
from tests.console.conftest import run_coro

pytestmark = pytest.mark.integration


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
        assert status.last_error == "connection refused"
        qtbot.waitUntil(
            lambda: connections.status(ServiceKind.BROKER).connection is Connection.CONNECTED,
            timeout=10_000,
        )
        label = built.window._indicators[am]
        assert "down" in label.text() and label.toolTip() == status.last_error
    finally:
        run_coro(qtbot, built.aclose())


class GatedProber:
    """Probes that wait for the test to let them answer; counts the ones cancelled."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started = 0
        self.cancelled = 0

    async def probe(self, kind: ServiceKind) -> ProbeResult:
        self.started += 1
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return ProbeResult(kind, f"answered-{kind.value}", True, 1.0, at=time.time())

    async def aclose(self) -> None:
        pass


def test_a_profile_switch_cancels_the_old_environments_pending_work(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, endpoints: Endpoints
) -> None:
    prober = GatedProber()
    secrets = MemorySecrets({("Second", BACKEND_TOKEN): endpoints.backend_token or ""})
    console = Console(prober=prober, secrets=secrets)
    qtbot.addWidget(console.window)
    first = console.connect_to(endpoints, "First")
    try:
        qtbot.waitUntil(lambda: prober.started == len(ServiceKind))  # all four under way
        second = Profile("Second", endpoints.broker_url, endpoints.backend_url,
                         endpoints.prometheus_url, endpoints.alertmanager_url)  # fmt: skip
        switch = console.use_profile(second)
        assert switch is not None
        qtbot.waitUntil(switch.done, timeout=10_000)
        assert switch.exception() is None
        assert prober.cancelled == len(ServiceKind)  # the first environment's probes ended
        assert console.link is not None and console.link is not first
        assert console.link.endpoints is not None  # a live environment, not a snapshot
        assert console.link.endpoints.backend_token == endpoints.backend_token  # from secrets
        assert "Second" in console.window.windowTitle()
        qtbot.waitUntil(lambda: prober.started == 2 * len(ServiceKind))
        prober.gate.set()  # only the second environment's probes are left to answer
        qtbot.waitUntil(lambda: all_connected(console))
        assert prober.cancelled == len(ServiceKind)
    finally:
        run_coro(qtbot, console.aclose())


def test_the_connections_page_never_shows_the_broker_password(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop
) -> None:
    """Before the first check answers, the address column shows the configured URLs."""
    prober = GatedProber()  # never answers in this test
    secret = "s3cret-pw"
    endpoints = Endpoints(f"redis://reader:{secret}@{LOOPBACK}:6390/0", "http://b", "http://p",
                          "http://a")  # fmt: skip
    console = Console(prober=prober)
    qtbot.addWidget(console.window)
    console.connect_to(endpoints, "Prod")
    try:
        qtbot.waitUntil(lambda: prober.started == len(ServiceKind))
        model = console.services_model
        addresses = [model.index(r, COL_ADDRESS).data() for r in range(model.rowCount())]
        assert f"redis://reader:***@{LOOPBACK}:6390/0" in addresses
        assert not any(secret in str(a) for a in addresses)
    finally:
        run_coro(qtbot, console.aclose())
