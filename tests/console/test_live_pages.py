"""The live pages against the real broker, worker, backend, Prometheus and Alertmanager."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from console.app import Console
from console.domain.endpoints import Endpoints
from console.views.dialogs.asker import DialogAsker
from taskdeck_core.priority import to_celery_priority
from taskdeck_core.transport import priority_list_names
from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import start_prometheus, start_worker, write_prometheus_config
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import FAST_WORKLOAD, Server
from tests.console.conftest import open_console, run_coro
from tests.console.page_driving import ScriptedAsker, audit, click_row, waiting

pytestmark = pytest.mark.integration
PROBE_QUEUE = "console_probe"


@pytest.fixture
def producer(redis_server: Server) -> Iterator[Celery]:
    app = create_celery(WorkerSettings(broker_url=redis_server.url), results=False)
    yield app
    app.close()


@pytest.mark.timeout(180)
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

        # The console looks at the bindings every 15th depth refresh (30 s); once a task queue
        # is bound (a worker of an earlier module on this broker), it scans for new binding
        # sets only every 60 s: the new queue shows within 90 s (30 s if none was bound).
        qtbot.waitUntil(lambda: shown() == expected, timeout=110_000)
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

    def failed() -> int:  # -1 until the ledger's count has arrived
        assert console.link is not None
        value = console.link.live.state.counts(time.time()).failed_5m
        return -1 if value is None else value

    qtbot.waitUntil(lambda: failed() >= 0, timeout=10_000)
    before = failed()
    producer.send_task("data_sync.sync_single_file", args=["f-x", "alice"],
                       kwargs={"unexpected": 1}, queue="data_sync")  # fmt: skip
    qtbot.waitUntil(lambda: failed() > before, timeout=20_000)
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


def test_an_admin_moves_a_waiting_message_up_and_cancels_another_from_the_queues_page(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, endpoints: Endpoints, producer: Celery,
    redis_server: Server,
) -> None:  # fmt: skip
    client = redis.Redis.from_url(redis_server.url)
    ids = [
        producer.send_task("data_sync.sync_single_file", args=[f"f-{n}", "bob"],
                           queue=PROBE_QUEUE, priority=to_celery_priority(5)).id
        for n in range(3)
    ]  # fmt: skip
    console = open_console(qtbot, endpoints)  # after the queue exists: found at the first look
    asker = ScriptedAsker()
    page = console.queues_page
    page.asker = asker
    model = console.messages_model
    try:
        console.window.show_page("queues")
        qtbot.waitUntil(
            lambda: console.queues_model.row_for(PROBE_QUEUE) is not None, timeout=15_000
        )
        click_row(qtbot, page.queues, PROBE_QUEUE)
        qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=10_000)
        assert [model.row_at(r).task_id for r in range(3)] == ids  # first in, first to run
        qtbot.waitUntil(lambda: page.role == "admin", timeout=10_000)
        before = audit(endpoints)

        # Asked for a priority, the user cancels: nothing changes.
        click_row(qtbot, page.messages, ids[2])
        assert page.priority_button.isEnabled() and page.cancel_button.isEnabled()
        asker.priorities.append(None)
        qtbot.mouseClick(page.priority_button, Qt.MouseButton.LeftButton)
        moving = f"Change priority of task {ids[2][:8]}"
        qtbot.waitUntil(lambda: asker.asked == [moving])
        assert sum(map(len, waiting(client, PROBE_QUEUE).values())) == 3
        assert audit(endpoints) == before

        # Priority 9 (users speak 1-10) with a reason: the message moves to the front.
        asker.priorities.append(9)
        asker.reasons.append("customer escalation")
        qtbot.mouseClick(page.priority_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: model.rowCount() == 3 and model.row_at(0).task_id == ids[2],
                        timeout=10_000)  # fmt: skip
        assert model.row_at(0).priority == 9
        lists = waiting(client, PROBE_QUEUE)
        assert ids[2] in lists[priority_list_names(PROBE_QUEUE)[to_celery_priority(9)]]
        moved = audit(endpoints)[0]
        assert (moved["action"], moved["targets"], moved["reason"]) == (
            "priority", [ids[2]], "customer escalation")  # fmt: skip
        assert moved["request"]["priority"] == 9 and moved["status"] == "ok"
        assert moved["user"] == "admin-user"

        # Cancel with a reason: the message leaves the broker.
        click_row(qtbot, page.messages, ids[0])
        asker.reasons.append("duplicate")
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=10_000)
        assert ids[0] not in {model.row_at(r).task_id for r in range(2)}
        remaining = [i for ids_ in waiting(client, PROBE_QUEUE).values() for i in ids_]
        assert sorted(remaining) == sorted([ids[1], ids[2]])
        cancelled = audit(endpoints)[0]
        assert (cancelled["action"], cancelled["targets"], cancelled["reason"]) == (
            "cancel", [ids[0]], "duplicate")  # fmt: skip
        assert asker.asked == [moving, moving, moving, f"Cancel task {ids[0][:8]}"]
    finally:
        run_coro(qtbot, console.aclose())
        client.delete(*priority_list_names(PROBE_QUEUE))
        client.close()


def test_the_window_asks_with_dialogs_that_do_not_block_the_loop(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    asker = DialogAsker(parent)

    def shown() -> QInputDialog | None:
        return next((d for d in parent.findChildren(QInputDialog) if d.isVisible()), None)

    reason = asyncio.ensure_future(asker.reason("Cancel task 0123abcd", "1 task waiting in q"))
    qtbot.waitUntil(lambda: shown() is not None)
    dialog = shown()
    assert dialog is not None and not reason.done()  # the loop runs on while it is open
    assert dialog.labelText().startswith("1 task waiting in q")  # it says what it touches
    dialog.setTextValue("  duplicate  ")
    dialog.accept()
    qtbot.waitUntil(reason.done)
    assert reason.result() == "duplicate"

    priority = asyncio.ensure_future(asker.priority("Change priority", "1 task", 3))
    qtbot.waitUntil(lambda: shown() is not None)
    dialog = shown()
    assert dialog is not None
    assert (dialog.intMinimum(), dialog.intMaximum(), dialog.intValue()) == (1, 10, 3)
    dialog.setIntValue(8)
    dialog.accept()
    qtbot.waitUntil(priority.done)
    assert priority.result() == 8

    cancelled = asyncio.ensure_future(asker.priority("Change priority", "1 task", 5))
    qtbot.waitUntil(lambda: shown() is not None)
    dialog = shown()
    assert dialog is not None
    dialog.reject()
    qtbot.waitUntil(cancelled.done)
    assert cancelled.result() is None

    blank = asyncio.ensure_future(asker.reason("Cancel task 0123abcd", "1 task"))
    qtbot.waitUntil(lambda: shown() is not None)
    dialog = shown()
    assert dialog is not None
    dialog.setTextValue("   ")
    dialog.accept()

    def warning() -> QMessageBox | None:
        return next((b for b in parent.findChildren(QMessageBox) if b.isVisible()), None)

    qtbot.waitUntil(lambda: warning() is not None)
    box = warning()
    assert box is not None and box.text() == "A reason is required." and not blank.done()
    box.accept()
    qtbot.waitUntil(blank.done)
    assert blank.result() is None
