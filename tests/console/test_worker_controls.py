"""The Workers page's controls against a real broker, backend and worker: an admin shrinks
the selected worker's pool from the detail pane (button, dialog, Confirm) and the worker
then runs one process fewer, by its own stats and by the pane; a support or viewer user
sees every control disabled, saying why.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from celery import Celery
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from console.controllers.worker_detail_controller import WorkerDetailController
from console.models.workers_table_model import WorkersTableModel
from console.services.backend_client import BackendClient
from console.views.dialogs.worker_control_dialog import WorkerControlDialog
from console.views.worker_detail_pane import WorkerDetailPane
from console.views.workers_page import WorkersPage
from taskdeck_core.api_types import WorkerControlReply, WorkerControlResult, WorkerDetail
from taskdeck_dev.procs import ManagedProcess
from taskdeck_dev.stack import start_worker
from tests.conftest import TOKENS, Server
from tests.console.conftest import run_coro
from tests.console.test_worker_detail import click_row

pytestmark = pytest.mark.integration
WAIT_MS = 20_000
HOST = "ctlpane@taskdeck"


@pytest.fixture(scope="module")
def worker(stack_dir: Path, broker: Server) -> Iterator[ManagedProcess]:
    proc = start_worker(stack_dir, broker.url, "ctlpane", concurrency=3)
    yield proc
    proc.stop()


def open_page(
    qtbot: QtBot, backend: Server, role: str
) -> tuple[WorkersPage, WorkerDetailController, BackendClient]:
    """The Workers page as the console wires it, signed in as ``role`` (from /me), with
    ``HOST`` selected and its detail shown."""
    client = BackendClient(backend.url, TOKENS[role])
    model = WorkersTableModel()
    page = WorkersPage(model)
    qtbot.addWidget(page)
    page.resize(1200, 860)
    controller = WorkerDetailController(client)
    page.worker_selected.connect(controller.select)
    controller.detail_changed.connect(lambda d: page.show_detail(d, None))
    controller.failed.connect(lambda problem: page.show_detail(None, problem))
    page.attach(controller)
    page.set_role(run_coro(qtbot, client.me()).role)
    page.show()

    def listed() -> bool:
        rows = run_coro(qtbot, client.workers())
        model.set_rows(rows)
        return any(w.hostname == HOST for w in rows)

    qtbot.waitUntil(listed, timeout=WAIT_MS)
    click_row(qtbot, page, HOST)
    qtbot.waitUntil(lambda: page.detail.detail is not None and page.detail.detail.replied,
                    timeout=WAIT_MS)  # fmt: skip
    return page, controller, client


def pool_of(producer: Celery) -> list[int]:
    stats = producer.control.inspect(destination=[HOST], timeout=1, limit=1).stats() or {}
    processes: list[int] = stats[HOST]["pool"]["processes"]
    return processes


def audited(backend: Server) -> list[dict[str, object]]:
    reply = httpx.get(f"{backend.url}/api/v1/audit", params={"action": "worker_control"},
                      headers={"Authorization": f"Bearer {TOKENS['admin']}"})  # fmt: skip
    items: list[dict[str, object]] = reply.json()["items"]
    return items


def test_an_admin_shrinks_the_pool_from_the_pane(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, worker: ManagedProcess,
    producer: Celery,
) -> None:  # fmt: skip
    page, controller, client = open_page(qtbot, backend, "admin")
    try:
        pane = page.detail
        assert pane.detail is not None and pane.detail.concurrency == 3
        assert len(pool_of(producer)) == 3
        shrink = pane.control_buttons["pool_shrink"]
        assert shrink.isEnabled() and shrink.toolTip() == ""
        qtbot.mouseClick(shrink, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: isinstance(pane.dialog, WorkerControlDialog), timeout=WAIT_MS)
        dialog = pane.dialog
        assert dialog is not None
        assert not dialog.confirm.isEnabled()  # no reason yet
        assert dialog.n.value() == 1
        qtbot.keyClicks(dialog.reason, "fewer processes for the night")
        assert dialog.confirm.isEnabled()
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
        assert not dialog.confirm.isEnabled() and not dialog.isVisible()
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)  # a second click: nothing
        qtbot.waitUntil(lambda: "pool will shrink" in pane.control_result.text(),
                        timeout=WAIT_MS)  # fmt: skip
        assert HOST in pane.control_result.text() and "✔" in pane.control_result.text()
        # The worker runs one process fewer, and the pane, asked again, shows it.
        qtbot.waitUntil(lambda: len(pool_of(producer)) == 2, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: pane.detail is not None and pane.detail.concurrency == 2,
                        timeout=WAIT_MS)  # fmt: skip
        assert "Concurrency: 2" in pane.facts.text()
        entries = audited(backend)
        assert len(entries) == 1  # sent once
        assert entries[0]["reason"] == "fewer processes for the night"
        assert entries[0]["user"] == "admin-user"
    finally:
        run_coro(qtbot, controller.aclose())
        run_coro(qtbot, client.aclose())


@pytest.mark.parametrize("role", ["support", "viewer"])
def test_others_see_the_controls_disabled_with_the_reason(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, worker: ManagedProcess,
    role: str,
) -> None:  # fmt: skip
    page, controller, client = open_page(qtbot, backend, role)
    try:
        why = f"Only an admin can change workers; you are signed in as {role}."
        buttons = page.detail.control_buttons
        assert len(buttons) == 8
        for button in buttons.values():
            assert not button.isEnabled()
            assert button.toolTip() == why
        page.detail.ask_control("pool_shrink")  # even asked directly: no dialog
        assert page.detail.dialog is None
    finally:
        run_coro(qtbot, controller.aclose())
        run_coro(qtbot, client.aclose())


def ask(qtbot: QtBot, page: WorkersPage, command: str, reason: str) -> WorkerControlDialog:
    pane = page.detail
    qtbot.mouseClick(pane.control_buttons[command], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(pane.dialog, WorkerControlDialog), timeout=WAIT_MS)
    dialog = pane.dialog
    assert isinstance(dialog, WorkerControlDialog)
    qtbot.keyClicks(dialog.reason, reason)
    return dialog


def test_a_refusal_and_a_worker_that_does_not_reply_are_said_so(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, worker: ManagedProcess
) -> None:
    page, controller, client = open_page(qtbot, backend, "admin")
    pane = page.detail
    try:
        # A worker started without --autoscale (its stats have no autoscaler) would refuse
        # autoscale bounds: the button says so instead.
        autoscale = pane.control_buttons["autoscale"]
        assert not autoscale.isEnabled()
        assert autoscale.toolTip() == (
            "The worker was started without --autoscale, so it refuses autoscaling."
        )
        # Stopped (SIGSTOP): it cannot reply, and the pane says so after the timeout.
        dialog = ask(qtbot, page, "pool_grow", "more processes")
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: "did not reply" in pane.control_result.text(),
                            timeout=WAIT_MS)  # fmt: skip
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        assert f"{HOST} did not reply within 2 s" in pane.control_result.text()
        assert "Sending Grow pool" not in pane.control_result.text()
        assert audited(backend)[0]["status"] == "partial"  # the command was not done
    finally:
        run_coro(qtbot, controller.aclose())
        run_coro(qtbot, client.aclose())


def test_the_shrink_dialog_allows_the_pool_size_less_one(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, worker: ManagedProcess,
    producer: Celery,
) -> None:  # fmt: skip
    page, controller, client = open_page(qtbot, backend, "admin")
    try:
        size = len(pool_of(producer))
        assert page.detail.detail is not None and page.detail.detail.concurrency == size
        dialog = ask(qtbot, page, "pool_shrink", "fewer")
        assert dialog.n.maximum() == size - 1
        dialog.n.setValue(64)
        assert dialog.n.value() == size - 1
        head = dialog.findChild(QLabel)
        assert head is not None and f"at most {size - 1}, as a worker keeps" in head.text()
        dialog.reject()
    finally:
        run_coro(qtbot, controller.aclose())
        run_coro(qtbot, client.aclose())


def test_the_time_limit_dialog_starts_from_the_tasks_limits_now(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, worker: ManagedProcess,
) -> None:  # fmt: skip
    page, controller, client = open_page(qtbot, backend, "admin")
    pane = page.detail
    try:
        dialog = ask(qtbot, page, "time_limit", "longer imports")
        dialog.task.setCurrentText("data_sync.sync_batch")  # its app sets 1500 s and 1800 s
        assert (dialog.soft.value(), dialog.hard.value()) == (1500, 1800)
        assert dialog.confirm.isEnabled() and dialog.hint.text() == ""
        dialog.hard.setValue(0)  # left empty: said, not silent
        assert dialog.hard.text() == "no hard limit"
        assert "Its hard limit (1800 s) will be removed." in dialog.hint.text()
        dialog.hard.setValue(1800)
        dialog.soft.setValue(1200)
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "✔" in pane.control_result.text(), timeout=WAIT_MS)
        said = pane.control_result.text()
        assert (
            "<b>Task time limits</b> task_name=data_sync.sync_batch, soft=1200, hard=1800" in said
        )
        # Asked again, the worker holds both.
        qtbot.waitUntil(
            lambda: (
                pane.detail is not None
                and pane.detail.limits["data_sync.sync_batch"].soft_time_limit == 1200
            ),
            timeout=WAIT_MS,
        )
        assert pane.detail is not None
        assert pane.detail.limits["data_sync.sync_batch"].time_limit == 1800
    finally:
        run_coro(qtbot, controller.aclose())
        run_coro(qtbot, client.aclose())


def test_results_are_worded_for_the_window(qtbot: QtBot) -> None:
    pane = WorkerDetailPane()
    qtbot.addWidget(pane)
    pane.show_control_result(WorkerControlResult(
        command="shutdown", arguments={}, timeout_s=0, sent=[HOST], audit_id=7,
        note="sent; … (offline in GET /api/v1/workers) confirms it"))  # fmt: skip
    said = pane.control_result.text()
    assert said.startswith("<b>Warm shutdown</b> (audit entry 7):")  # one space, its label
    assert "(the Workers page shows it offline)" in said and "GET /api" not in said
    refused = WorkerControlReply(hostname=HOST, ok=False, message="Can't shrink pool.")
    pane.show_control_result(WorkerControlResult(
        command="pool_shrink", arguments={"n": 1}, timeout_s=2, sent=[HOST], replies=[refused],
        audit_id=8, note="a worker that refused a pool change may have changed its pool partly"))  # fmt: skip
    said = pane.control_result.text()
    assert said.startswith("<b>Shrink pool</b> n=1 (audit entry 8):")
    assert f"✘ {HOST} refused: Can&#x27;t shrink pool." in said
    assert "may have changed its pool partly; its detail is asked again" in said
    # A pool of no process is 0, not unknown, and cannot shrink.
    pane.set_role("admin")
    pane.controller = WorkerDetailController(BackendClient("http://127.0.0.1:9", "t"))
    pane.show_detail(WorkerDetail(hostname=HOST, status="online", replied=True, timeout_s=1,
                                  pool="prefork", concurrency=0, autoscaler=False))  # fmt: skip
    assert "Concurrency: 0" in pane.facts.text()
    assert not pane.control_buttons["pool_shrink"].isEnabled()
    assert pane.control_buttons["pool_grow"].isEnabled()
