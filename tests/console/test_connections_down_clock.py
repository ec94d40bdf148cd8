"""A service that stopped answering is shown down for as long as it has been: the figure
grows between the checks its back-off spaces out (a Sentinel failover takes several of
them), instead of staying at what the last failed check measured."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from console.controllers.connections_controller import ConnectionsController
from console.domain.endpoints import Endpoints
from console.domain.service_status import Connection, ProbeResult, ServiceKind, ServiceStatus
from console.models.services_table_model import state_label
from console.services.probes import LiveProber
from taskdeck_dev.procs import LOOPBACK, free_port
from taskdeck_dev.stack import redis_url, start_redis
from tests.console.conftest import run_coro

pytestmark = pytest.mark.integration


class CountingProber:
    """The console's own prober, counting the broker checks it starts."""

    def __init__(self, inner: LiveProber) -> None:
        self.inner = inner
        self.broker_checks = 0

    async def probe(self, kind: ServiceKind) -> ProbeResult:
        if kind is ServiceKind.BROKER:
            self.broker_checks += 1
        return await self.inner.probe(kind)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_the_time_a_broker_has_been_down_grows_between_backed_off_checks(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    port = free_port()
    server = start_redis(tmp_path, port)
    dead = f"http://{LOOPBACK}:{free_port()}"
    endpoints = Endpoints(redis_url(port), dead, dead, dead)
    prober = CountingProber(LiveProber(endpoints, timeout_s=1.0))
    targets = {
        ServiceKind.BROKER: endpoints.broker_url,
        ServiceKind.BACKEND: dead,
        ServiceKind.PROMETHEUS: dead,
        ServiceKind.ALERTMANAGER: dead,
    }
    controller = ConnectionsController(prober, targets)
    shown: list[ServiceStatus] = []
    controller.status_changed.connect(
        lambda status: shown.append(status) if status.kind is ServiceKind.BROKER else None
    )

    def broker() -> ServiceStatus:
        return controller.status(ServiceKind.BROKER)

    try:
        controller.start()
        qtbot.waitUntil(lambda: broker().connection is Connection.CONNECTED, timeout=15_000)
        server.stop()
        qtbot.waitUntil(lambda: broker().connection is Connection.STALE, timeout=15_000)
        first = broker()
        assert first.since_ok_s is not None
        measured = first.since_ok_s
        checks = prober.broker_checks
        qtbot.waitUntil(lambda: (broker().since_ok_s or 0.0) >= measured + 1.5, timeout=10_000)
        # It grew while the back-off held the next check: no check measured it.
        assert prober.broker_checks == checks
        later = broker()
        assert later.connection is Connection.STALE and later.last_ok == first.last_ok
        assert state_label(later) != state_label(first)
        assert state_label(later) == f"down for {int(later.since_ok_s or 0)} s"
        assert shown[-1] == later  # the page and the status bar were told
    finally:
        server.stop()
        run_coro(qtbot, controller.aclose())
        run_coro(qtbot, prober.aclose())
