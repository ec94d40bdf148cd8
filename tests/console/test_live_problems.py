"""While the broker is down the status bar says so in a sentence (the broker is unreachable,
live events are interrupted; the console retries), the error itself only as its tooltip;
each sentence goes as soon as its source works again: the next read of the depths, the
event receiver's reconnect and the events that follow."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from celery import Celery
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from console.controllers.live_controller import LiveController
from console.domain.endpoints import SANDBOX_SETTINGS
from console.services.broker_reader import BrokerReader
from console.views.main_window import MainWindow
from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import redis_url, start_redis
from tests.console.conftest import run_coro

pytestmark = pytest.mark.integration

BROKER_DOWN = "Broker unreachable; retrying…"
EVENTS_DOWN = "Live events interrupted; reconnecting…"


def status_bar_text(window: MainWindow) -> str:
    """Everything the status bar shows now: its message and each visible label."""
    bar = window.statusBar()
    labels = [label.text() for label in bar.findChildren(QLabel) if label.isVisible()]
    return " | ".join([bar.currentMessage(), *labels])


def test_broker_and_event_troubles_show_while_redis_is_down_and_go_when_it_is_back(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    port = free_port()
    server = start_redis(tmp_path, port)
    reader = BrokerReader(redis_url(port), SANDBOX_SETTINGS)
    live = LiveController(reader, None)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    # As the console wires them.
    live.error.connect(window.show_message)
    live.problem.connect(window.show_problem)
    live.problem_over.connect(window.clear_problem)
    batches: list[list[dict[str, object]]] = []
    live.events_received.connect(batches.append)
    seen: list[str] = []

    def shows(*texts: str) -> bool:
        said = status_bar_text(window)
        seen.append(said)
        return all(text in said for text in texts)

    def shows_none(*texts: str) -> bool:
        said = status_bar_text(window)
        seen.append(said)
        return not any(text in said for text in texts)

    producer = Celery(broker=redis_url(port), set_as_current=False)

    def heartbeat() -> None:
        with producer.connection() as conn:
            dispatcher = producer.events.Dispatcher(conn, hostname="beat@test")
            dispatcher.send("worker-heartbeat", active=0)
            dispatcher.close()

    try:
        live.start()
        qtbot.waitUntil(lambda: live.receiver_connected and reader.info is not None, timeout=15_000)
        assert shows_none(BROKER_DOWN, EVENTS_DOWN)

        server.stop()
        qtbot.waitUntil(lambda: shows(BROKER_DOWN, EVENTS_DOWN), timeout=10_000)
        assert "ConnectionError" in window.problems.toolTip()  # the error, as the detail

        server = start_redis(tmp_path, port)
        back = time.monotonic()
        # The next read of the depths (every 2 s) clears the broker's sentence.
        qtbot.waitUntil(lambda: shows_none(BROKER_DOWN), timeout=4_000)
        # The receiver's next try (its back-off is still short) clears the events' one.
        qtbot.waitUntil(lambda: shows_none(EVENTS_DOWN), timeout=6_000)
        print(f"gone {time.monotonic() - back:.1f} s after redis was back")
        assert live.receiver_connected
        assert window.problems.toolTip() == ""

        def delivered() -> bool:
            heartbeat()  # pub/sub: the one sent before the receiver subscribed is gone
            return any(e.get("hostname") == "beat@test" for batch in batches for e in batch)

        qtbot.waitUntil(delivered, timeout=10_000)
        assert shows_none(BROKER_DOWN, EVENTS_DOWN)
    finally:
        server.stop()
        run_coro(qtbot, live.aclose())
        run_coro(qtbot, reader.aclose())
        producer.close()
    # The raw error never was the main text: no exception's class name was ever shown.
    assert seen and not [said for said in seen if "Error" in said]
