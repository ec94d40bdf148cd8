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
from pytestqt.qtbot import QtBot

from console.controllers.worker_detail_controller import WorkerDetailController
from console.models.workers_table_model import WorkersTableModel
from console.services.backend_client import BackendClient
from console.views.dialogs.worker_control_dialog import WorkerControlDialog
from console.views.workers_page import WorkersPage
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
        # A prefork worker started without --autoscale refuses autoscale bounds.
        dialog = ask(qtbot, page, "autoscale", "try autoscaling")
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "refused" in pane.control_result.text(), timeout=WAIT_MS)
        assert f"✘ {HOST} refused" in pane.control_result.text()
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
        statuses = [e["status"] for e in audited(backend)[:2]]
        assert statuses == ["partial", "partial"]  # newest first: neither command did it all
    finally:
        run_coro(qtbot, controller.aclose())
        run_coro(qtbot, client.aclose())
