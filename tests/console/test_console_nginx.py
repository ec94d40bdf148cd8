"""The console on two backends behind nginx (deploy/nginx/taskdeck.conf), over HTTPS with a
certificate made for the test and given to the console as its backend CA file: the Tasks
page lists what the ledger holds, a retry from the page reaches the worker, and after one
backend is killed (SIGKILL) the page's next reading and next retry still succeed, with no
error dialog. A console without the CA file is told the certificate is not trusted."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from celery import Celery
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from console.__main__ import Choice, choose, parse_args
from console.app import Console
from console.domain.endpoints import SANDBOX_SETTINGS, Endpoints
from console.domain.profiles.parse import LoadResult
from console.domain.task_query import TaskQuery
from console.services.backend_client import BackendClient, BackendError
from console.views.tasks_page import TasksPage
from taskdeck_dev.procs import LOOPBACK, ManagedProcess
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import TOKENS, Server
from tests.console.conftest import open_console, run_coro
from tests.helpers import wait_for
from tests.reliability.test_nginx_backends import NGINX, running_edge

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx comes from scripts/system-deps.sh"),
]
WAIT_MS = 30_000
USER = "edge-console"


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_edge(tmp_path_factory.mktemp("console-edge")) as stack:
        yield stack


@pytest.fixture(scope="module")
def producer(edge: dict[str, Any]) -> Iterator[Celery]:
    app = create_celery(WorkerSettings(broker_url=edge["redis"].url), results=False)
    yield app
    app.close()


@pytest.fixture
def truth(edge: dict[str, Any]) -> Iterator[httpx.Client]:
    """The surviving backend, asked directly (not through nginx's per-address limits)."""
    with httpx.Client(base_url=f"http://{LOOPBACK}:{edge['ports'][1]}", timeout=10,
                      headers={"Authorization": f"Bearer {TOKENS['admin']}"}) as client:  # fmt: skip
        yield client


def endpoints(edge: dict[str, Any], prometheus: Server, alertmanager: Server,
              ca_file: str = "") -> Endpoints:  # fmt: skip
    return Endpoints(edge["redis"].url, edge["url"], prometheus.url, alertmanager.url,
                     backend_token=TOKENS["admin"], transport=SANDBOX_SETTINGS,
                     backend_ca_file=ca_file)  # fmt: skip


def fail(producer: Celery, file_id: str) -> str:
    """A task that fails in the worker (a wrong call: a TypeError)."""
    return str(producer.send_task("data_sync.sync_single_file", args=[file_id, USER],
                                  kwargs={"unexpected": 1}, queue="data_sync").id)  # fmt: skip


def ledger_task(client: httpx.Client, task_id: str) -> dict[str, Any] | None:
    reply = client.get(f"/api/v1/tasks/{task_id}")
    return reply.json() if reply.status_code == 200 else None


def listed(client: httpx.Client) -> list[str]:
    items = client.get("/api/v1/tasks", params={"user": USER, "limit": 200}).json()["items"]
    return [t["task_id"] for t in items]


def shown(page: TasksPage) -> list[str]:
    model = page.model
    return [t.task_id for row in range(model.rowCount()) if (t := model.task_at(row))]


def error_dialogs() -> list[str]:
    return [w.text() for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()]  # fmt: skip


def retried_by_worker(client: httpx.Client, original: str) -> bool:
    """A retry of ``original`` is in the ledger and a worker ran it (it fails as it did)."""
    items = client.get("/api/v1/tasks", params={"user": USER, "limit": 200}).json()["items"]
    return any(t["retry_of"] == original and t["state"] == "FAILURE"
               and t["hostname"] == "edgeworker@taskdeck" for t in items)  # fmt: skip


def retry_from_page(qtbot: QtBot, console: Console, task_id: str, reason: str) -> None:
    """Select the task's row, Retry…, give the reason, Confirm; wait for the job's end."""
    page = console.tasks_page
    row = page.model.pages.row_of(task_id)
    assert row is not None, f"{task_id} is not in the table"
    page.table.scrollTo(page.model.index(row, 0))
    rect = page.table.visualRect(page.model.index(row, 1))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(page.retry_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is not None, timeout=WAIT_MS)
    dialog = page.dialog
    assert dialog is not None and "Dry run: 1 task" in dialog.plan_label.text()
    qtbot.keyClicks(dialog.reason, reason)
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    link = console.link
    assert link is not None

    def ended() -> bool:
        views = [v for v in link.tasks.jobs.values() if v.job.reason == reason]
        return bool(views) and views[0].ended

    qtbot.waitUntil(ended, timeout=WAIT_MS)


def test_the_console_through_nginx_lists_retries_and_outlives_a_killed_backend(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, edge: dict[str, Any], producer: Celery,
    truth: httpx.Client, prometheus_server: Server, alertmanager_server: Server,
) -> None:  # fmt: skip
    marker = uuid.uuid4().hex[:6]
    failed = [fail(producer, f"{marker}-{n}") for n in range(4)]
    wait_for(lambda: all((ledger_task(truth, t) or {}).get("state") == "FAILURE" for t in failed),
             60, "the failed tasks in the ledger")  # fmt: skip
    console = open_console(
        qtbot, endpoints(edge, prometheus_server, alertmanager_server, str(edge["crt"]))
    )
    try:
        console.window.show_page("tasks")
        page = console.tasks_page
        page.set_query(TaskQuery(user=USER))
        # The page lists what the ledger holds, read through nginx over HTTPS.
        qtbot.waitUntil(lambda: shown(page) == listed(truth) and set(failed) <= set(shown(page)),
                        timeout=WAIT_MS)  # fmt: skip
        retry_from_page(qtbot, console, failed[0], f"through nginx {marker}")
        wait_for(lambda: retried_by_worker(truth, failed[0]), 60, "the retry to run and fail")

        # One backend dies; the console's next reading and next action go to the other.
        first: ManagedProcess = edge["backends"][0]
        os.kill(first.pid, signal.SIGKILL)
        wait_for(lambda: not first.alive(), 10, "the first backend to die")
        page.set_query(TaskQuery(user=USER, state="FAILURE"))
        qtbot.waitUntil(lambda: set(shown(page)) == {
            t for t in listed(truth) if (ledger_task(truth, t) or {}).get("state") == "FAILURE"
        } and set(failed) <= set(shown(page)), timeout=WAIT_MS)  # fmt: skip
        retry_from_page(qtbot, console, failed[1], f"after the kill {marker}")
        wait_for(lambda: retried_by_worker(truth, failed[1]), 60, "the second retry to run")
        # At most a transient status on the page, never an error dialog.
        qtbot.waitUntil(lambda: not page.message.isVisible(), timeout=WAIT_MS)
        assert error_dialogs() == []
        jobs = truth.get("/api/v1/actions/bulk", params={"limit": 100}).json()
        reasons = [j["reason"] for j in jobs if marker in (j["reason"] or "")]
        assert sorted(reasons) == sorted([f"through nginx {marker}", f"after the kill {marker}"])
        assert all(j["state"] == "done" for j in jobs if marker in (j["reason"] or ""))
    finally:
        run_coro(qtbot, console.aclose())


def test_a_certificate_the_console_does_not_trust_is_named_as_such(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, edge: dict[str, Any], tmp_path: Path,
) -> None:  # fmt: skip
    """Without the CA file the backend's certificate is refused with a message that says so
    and what to do; with an unreadable CA file, that file is named."""
    plain = BackendClient(edge["url"], TOKENS["admin"])
    missing = BackendClient(edge["url"], TOKENS["admin"], ca_file=str(tmp_path / "none.pem"))
    trusting = BackendClient(edge["url"], TOKENS["admin"], ca_file=str(edge["crt"]))

    async def answers(client: BackendClient) -> BackendError | str:
        try:
            return (await client.me()).user
        except BackendError as exc:
            return exc
        finally:
            await client.aclose()

    refused = run_coro(qtbot, answers(plain))
    assert isinstance(refused, BackendError) and refused.code == "untrusted_certificate"
    assert "does not trust" in refused.detail and "backend CA file" in refused.detail
    unreadable = run_coro(qtbot, answers(missing))
    assert isinstance(unreadable, BackendError) and unreadable.code == "bad_ca_file"
    assert "none.pem" in unreadable.detail
    signed_in = run_coro(qtbot, answers(trusting))
    assert not isinstance(signed_in, BackendError) and signed_in, signed_in


def test_the_command_line_names_the_backend_ca_file(tmp_path: Path) -> None:
    argv = ["--broker-url", "redis://127.0.0.1:6379/0", "--backend-url", "https://127.0.0.1:8443",
            "--prometheus-url", "http://127.0.0.1:9090", "--alertmanager-url",
            "http://127.0.0.1:9093", "--backend-ca-file", str(tmp_path / "ca.pem")]  # fmt: skip
    choice, problem = choose(parse_args(argv), LoadResult([], None, []))
    assert problem is None and isinstance(choice, Choice)
    assert choice.endpoints.backend_ca_file == str(tmp_path / "ca.pem")
