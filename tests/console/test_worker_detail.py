"""The Workers page's detail pane against a real broker, backend and worker: the row the
user clicks is asked for its detail through the controller, and the pane lists the task
the test scheduled on that worker; a worker the backend has never heard of is said so.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.controllers.worker_detail_controller import WorkerDetailController
from console.models.workers_table_model import WorkersTableModel
from console.services.backend_client import BackendClient
from console.views.workers_page import WorkersPage
from taskdeck_dev.procs import ManagedProcess
from taskdeck_dev.stack import start_worker
from tests.conftest import FAST_WORKLOAD, TOKENS, Server
from tests.console.conftest import run_coro

pytestmark = pytest.mark.integration
WAIT_MS = 20_000
SYNC = "data_sync.sync_single_file"
HOST = "paneworker@taskdeck"


@pytest.fixture(scope="module")
def worker(stack_dir: Path, broker: Server) -> Iterator[ManagedProcess]:
    proc = start_worker(stack_dir, broker.url, "paneworker", concurrency=1, queues="data_sync",
                        env=FAST_WORKLOAD)  # fmt: skip
    yield proc
    proc.stop()


class Opened:
    def __init__(self, page: WorkersPage, controller: WorkerDetailController) -> None:
        self.page, self.controller = page, controller


@pytest.fixture
def opened(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, worker: ManagedProcess
) -> Iterator[Opened]:
    """The Workers page listing the backend's workers, wired to a detail controller."""
    client = BackendClient(backend.url, TOKENS["viewer"])
    model = WorkersTableModel()
    page = WorkersPage(model)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    controller = WorkerDetailController(client)
    page.worker_selected.connect(controller.select)
    controller.detail_changed.connect(lambda d: page.show_detail(d, None))
    controller.failed.connect(lambda problem: page.show_detail(None, problem))
    page.show()

    def listed() -> bool:
        rows = run_coro(qtbot, client.workers())
        model.set_rows(rows)
        return any(w.hostname == HOST for w in rows)

    qtbot.waitUntil(listed, timeout=WAIT_MS)
    yield Opened(page, controller)
    run_coro(qtbot, controller.aclose())
    run_coro(qtbot, client.aclose())


def click_row(qtbot: QtBot, page: WorkersPage, hostname: str) -> None:
    table = page.workers
    proxy = table.proxy
    index = next(proxy.index(r, 0) for r in range(proxy.rowCount())
                 if proxy.index(r, 0).data() == hostname)  # fmt: skip
    table.table.scrollTo(index)
    rect = table.table.visualRect(index)
    qtbot.mouseClick(table.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_the_clicked_worker_shows_the_task_scheduled_on_it(
    qtbot: QtBot, opened: Opened, producer: Celery
) -> None:
    page = opened.page
    task_id = str(producer.send_task(SYNC, args=[f"f-{uuid.uuid4().hex[:8]}", "bob"],
                                     queue="data_sync", countdown=60).id)  # fmt: skip
    assert page.detail.task_ids("scheduled") == []
    click_row(qtbot, page, HOST)
    assert opened.controller.selection == HOST
    # Asked again every 5 s: the task shows once the worker holds it.
    qtbot.waitUntil(lambda: task_id in page.detail.task_ids("scheduled"), timeout=WAIT_MS)
    detail = page.detail.detail
    assert detail is not None and detail.hostname == HOST and detail.replied
    assert "data_sync" in page.detail.facts.text() and "prefork" in page.detail.facts.text()
    assert page.detail.tabs.tabText(2).startswith("Scheduled (")
    assert HOST in page.detail.heading.text()


def test_a_worker_the_backend_never_heard_of_is_said_so(qtbot: QtBot, opened: Opened) -> None:
    opened.controller.select("ghost@nowhere")
    qtbot.waitUntil(lambda: "ghost@nowhere" in opened.page.detail.heading.text(),
                    timeout=WAIT_MS)  # fmt: skip
    assert "No detail from the backend" in opened.page.detail.heading.text()
