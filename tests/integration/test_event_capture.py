"""The Celery event receiver keeps one connection while the system is quiet."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

from taskdeck_core.events import EventCapture
from taskdeck_dev.procs import ManagedProcess, free_port
from taskdeck_dev.stack import redis_url, start_redis
from tests.helpers import wait_for

pytestmark = pytest.mark.integration

QUIET_S = 12.0  # twelve times the receiver's one-second poll


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[ManagedProcess, int]]:
    """A redis-server of this test alone, so every connection it counts is the receiver's."""
    port = free_port()
    proc = start_redis(tmp_path, port)
    try:
        yield proc, port
    finally:
        proc.stop()


def test_a_quiet_period_is_not_a_lost_connection(own_redis: tuple[ManagedProcess, int]) -> None:
    _proc, port = own_redis
    url = redis_url(port)
    app = Celery(broker=url, set_as_current=False)
    received: list[dict[str, Any]] = []
    arrived = threading.Event()

    def handler(event: dict[str, Any]) -> None:
        received.append(event)
        arrived.set()

    capture = EventCapture(app, handler, "quiet-test")
    probe = redis.Redis(host="127.0.0.1", port=port)
    try:
        capture.start()
        wait_for(lambda: capture.connected, 10, "the receiver to connect")

        def subscribers() -> list[int]:
            return [int(c["id"]) for c in probe.client_list() if int(c.get("psub", 0) or 0) > 0
                    or int(c.get("sub", 0) or 0) > 0]  # fmt: skip

        wait_for(subscribers, 10, "the receiver to subscribe")
        first = subscribers()
        connections_before = int(probe.info("stats")["total_connections_received"])
        since = capture.connected_since
        time.sleep(QUIET_S)  # the quiet period itself is what is tested: nothing to wait for
        connections_after = int(probe.info("stats")["total_connections_received"])
        assert connections_after - connections_before == 0, (
            f"{connections_after - connections_before} new connections in {QUIET_S:.0f} quiet s"
        )
        assert subscribers() == first  # the same subscription, never dropped
        assert capture.connected and capture.connected_since == since
        # ... and it still receives.
        with app.connection() as conn:
            dispatcher = app.events.Dispatcher(conn, hostname="quiet@test")
            dispatcher.send("worker-heartbeat", active=0)
            dispatcher.close()
        assert arrived.wait(10), "an event sent after the quiet period never arrived"
        assert received[-1]["hostname"] == "quiet@test"
    finally:
        capture.stop()
        probe.close()
        app.close()


def test_stop_returns_promptly_while_quiet(own_redis: tuple[ManagedProcess, int]) -> None:
    _proc, port = own_redis
    app = Celery(broker=redis_url(port), set_as_current=False)
    capture = EventCapture(app, lambda _event: None, "stop-test")
    try:
        capture.start()
        wait_for(lambda: capture.connected, 10, "the receiver to connect")
        started = time.monotonic()
        capture.stop(timeout=5.0)
        assert capture._thread is not None and not capture._thread.is_alive()
        assert time.monotonic() - started < 3.0
        assert not capture.connected
    finally:
        app.close()
