"""The live pages against the real broker, worker, backend, Prometheus and Alertmanager."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from console.app import Console, build_console
from console.domain.endpoints import Endpoints
from taskdeck_core.priority import to_celery_priority
from taskdeck_core.transport import priority_list_names
from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import start_prometheus, start_worker, write_prometheus_config
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import FAST_WORKLOAD, TOKENS, Server
from tests.console.conftest import run_coro

pytestmark = pytest.mark.integration
PROBE_QUEUE = "console_probe"


@pytest.fixture
def endpoints(
    redis_server: Server,
    backend_server: Server,
    prometheus_server: Server,
    alertmanager_server: Server,
) -> Endpoints:
    return Endpoints(redis_server.url, backend_server.url, prometheus_server.url, alertmanager_server.url,
                     backend_token=TOKENS["admin"])  # fmt: skip


@pytest.fixture
def producer(redis_server: Server) -> Iterator[Celery]:
    app = create_celery(WorkerSettings(broker_url=redis_server.url), results=False)
    yield app
    app.close()


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
    built = open_console(qtbot, endpoints)
    yield built
    run_coro(qtbot, built.aclose())


def test_queue_depth_shown_is_the_sum_of_every_priority_list(
    qtbot: QtBot, console: Console, producer: Celery, redis_server: Server
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    try:
        for priority in (10, 10, 7, 5, 1):  # no worker consumes this queue
            producer.send_task("data_sync.sync_single_file", args=["f", "alice"],
                               queue=PROBE_QUEUE, priority=to_celery_priority(priority))  # fmt: skip
        expected = sum(int(client.llen(k)) for k in priority_list_names(PROBE_QUEUE))
        assert expected == 5
        assert console.link is not None
        console.link.live.refresh()

        def shown() -> int | None:
            row = console.queues_model.row_for(PROBE_QUEUE)
            return row.depth if row else None

        qtbot.waitUntil(lambda: shown() == expected, timeout=45_000)  # discovery runs every 30 s
        row = console.queues_model.row_for(PROBE_QUEUE)
        assert row is not None and row.depth_by_priority[10] == 2 and row.depth_by_priority[1] == 1
        assert console.overview_page.tiles["queued"].value.text() != "—"
    finally:
        client.delete(*priority_list_names(PROBE_QUEUE))
        client.close()


def test_a_stopped_worker_turns_offline_in_the_workers_page(
    qtbot: QtBot, console: Console, redis_server: Server, tmp_path: Path
) -> None:
    worker = start_worker(tmp_path, redis_server.url, "livepage", concurrency=1, env=FAST_WORKLOAD)
    try:

        def status() -> str | None:
            row = console.workers_model.row_for("livepage@taskdeck")
            return row.status if row else None

        qtbot.waitUntil(lambda: status() == "online", timeout=20_000)
    finally:
        worker.stop()
    qtbot.waitUntil(lambda: status() == "offline", timeout=20_000)
    assert "1" in console.overview_page.tiles["workers"].value.text()


def test_a_failing_task_shows_in_the_live_counts(
    qtbot: QtBot, console: Console, producer: Celery, celery_worker: object
) -> None:
    assert console.link is not None
    qtbot.waitUntil(
        lambda: console.link is not None and console.link.live.receiver_connected, timeout=10_000
    )
    before = console.link.live.state.counts(time.time()).failed_5m
    producer.send_task("data_sync.sync_single_file", args=["f-x", "alice"],
                       kwargs={"unexpected": 1}, queue="data_sync")  # fmt: skip
    qtbot.waitUntil(
        lambda: (
            console.link is not None
            and console.link.live.state.counts(time.time()).failed_5m > before
        ),
        timeout=20_000,
    )
    qtbot.waitUntil(
        lambda: console.overview_page.tiles["failed"].value.text() not in ("—", "0"), timeout=5000
    )


def test_the_window_stays_responsive_while_prometheus_is_down_and_recovers(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, endpoints: Endpoints, backend_server: Server,
    alertmanager_server: Server, tmp_path: Path,
) -> None:  # fmt: skip
    port = free_port()
    config = write_prometheus_config(
        tmp_path, backend_server.port, alertmanager_server.port, interval="1s"
    )
    prometheus = start_prometheus(tmp_path, port, config)
    url = f"http://127.0.0.1:{port}"
    own = Endpoints(endpoints.broker_url, endpoints.backend_url, url, endpoints.alertmanager_url,
                    backend_token=endpoints.backend_token)  # fmt: skip
    console = open_console(qtbot, own)
    stalls: list[float] = []
    last = [time.monotonic()]

    def beat() -> None:
        now = time.monotonic()
        stalls.append(now - last[0] - 0.01)
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(beat)
    timer.start(10)
    try:
        plot = console.overview_page.plots["queue_depth"]
        assert console.link is not None
        qtbot.waitUntil(
            lambda: console.link is not None and console.link.overview.last_good > 0, timeout=20_000
        )
        prometheus.stop()
        console.refresh()
        qtbot.waitUntil(lambda: "Prometheus unreachable" in plot.message_text(), timeout=20_000)
        stalls.clear()
        last[0] = time.monotonic()
        deadline = time.monotonic() + 6
        qtbot.waitUntil(
            lambda: time.monotonic() > deadline, timeout=10_000
        )  # six seconds of polling a dead service
        assert max(stalls) < 0.050, f"the event loop stalled {max(stalls) * 1000:.0f} ms"
        prometheus = start_prometheus(tmp_path, port, config)
        console.refresh()
        qtbot.waitUntil(lambda: plot.message_text() == "", timeout=30_000)
    finally:
        timer.stop()
        run_coro(qtbot, console.aclose())
        prometheus.stop()


def test_waiting_messages_in_run_order_and_an_admin_moves_one_up(
    qtbot: QtBot, console: Console, producer: Celery, redis_server: Server
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    try:
        ids = [
            producer.send_task("data_sync.sync_single_file", args=[f"f-{n}", "bob"],
                               queue=PROBE_QUEUE, priority=to_celery_priority(5)).id
            for n in range(3)
        ]  # fmt: skip
        link = console.link
        assert link is not None
        qtbot.waitUntil(lambda: console.queues_page.role == "admin", timeout=10_000)
        link.messages.show_queue(PROBE_QUEUE)
        model = console.messages_model
        qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=10_000)
        assert [model.row_at(r).task_id for r in range(3)] == ids  # first in, first to run
        console.queues_page.messages.table.selectRow(2)
        assert console.queues_page.cancel_button.isEnabled()
        assert console.queues_page.priority_button.isEnabled()
        link.messages.set_priority([ids[2]], 9, "customer escalation")
        qtbot.waitUntil(
            lambda: model.rowCount() == 3 and model.row_at(0).task_id == ids[2], timeout=10_000
        )
        assert model.row_at(0).priority == 9
        link.messages.cancel([ids[0]], "duplicate")
        qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=10_000)
        assert ids[0] not in {model.row_at(r).task_id for r in range(2)}
    finally:
        client.delete(*priority_list_names(PROBE_QUEUE))
        client.close()
