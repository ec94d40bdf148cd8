"""The Tasks page as support staff use it, against a real broker, worker and backend: find a
task, read it, retry a whole failure group, and see what the backend says when it refuses,
fails or goes away. What the page shows is checked against the backend's ledger.

The module has its own broker, backend and worker; the worker does not consume the
``default`` queue, so what is sent there waits. The console talks to the backend through
a fault proxy (tests/fault_proxy.py) that can answer for it, lose an answer, or be down.
Each test fails its tasks in a way of its own, so each has a failure group of its own.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from celery import Celery
from PySide6.QtCore import QItemSelectionModel, QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from console.app import Console
from console.domain.endpoints import SANDBOX_SETTINGS, Endpoints
from console.domain.task_query import TaskQuery
from console.models.tasks_table_model import COL_STATE, COL_WORKER, TasksTableModel, state_text
from console.views.failure_inbox import GroupRole
from console.views.tasks_page import TasksPage
from taskdeck_dev.procs import ManagedProcess
from taskdeck_dev.stack import start_worker
from tests.conftest import FAST_WORKLOAD, TOKENS, Server
from tests.console.conftest import open_console, run_coro
from tests.fault_proxy import Fault, FaultProxy, fault_proxy
from tests.helpers import api

pytestmark = pytest.mark.integration
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def worker(stack_dir: Any, broker: Server) -> Iterator[ManagedProcess]:
    proc = start_worker(stack_dir, broker.url, "tasksworker", concurrency=2,
                        queues="data_sync,scheduled", env=FAST_WORKLOAD)  # fmt: skip
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def proxy(backend: Server) -> Iterator[FaultProxy]:
    with fault_proxy(backend.url) as running:
        yield running


@pytest.fixture
def backend_api(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url) as client:
        yield client


def endpoints(broker: Server, proxy: FaultProxy, prometheus: Server, alertmanager: Server,
              role: str = "admin") -> Endpoints:  # fmt: skip
    return Endpoints(broker.url, proxy.url, prometheus.url, alertmanager.url,
                     backend_token=TOKENS[role], transport=SANDBOX_SETTINGS)  # fmt: skip


def opened(qtbot: QtBot, ends: Endpoints) -> Console:
    console = open_console(qtbot, ends)
    console.window.show_page("tasks")
    page = console.tasks_page
    qtbot.waitUntil(lambda: page.model.pages.loaded_first_page, timeout=WAIT_MS)
    return console


@pytest.fixture
def console(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, broker: Server, proxy: FaultProxy,
    prometheus_server: Server, alertmanager_server: Server, worker: ManagedProcess,
) -> Iterator[Console]:  # fmt: skip
    proxy.faults.clear()
    proxy.down = False
    built = opened(qtbot, endpoints(broker, proxy, prometheus_server, alertmanager_server))
    yield built
    run_coro(qtbot, built.aclose())


def fail(producer: Celery, task: str, args: list[Any], kwargs: dict[str, Any] | None = None,
         queue: str = "data_sync") -> str:  # fmt: skip
    """Send a task that fails as the test chooses (a wrong call: a TypeError in the worker)."""
    return str(producer.send_task(task, args=args, kwargs=kwargs or {}, queue=queue).id)


def ledger_task(client: httpx.Client, task_id: str) -> dict[str, Any] | None:
    reply = client.get(f"/api/v1/tasks/{task_id}")
    return reply.json() if reply.status_code == 200 else None


def failed_in_ledger(client: httpx.Client, ids: list[str]) -> bool:
    return all((ledger_task(client, t) or {}).get("state") == "FAILURE" for t in ids)


def shown(page: TasksPage) -> dict[str, str]:
    """Task id -> the state text the table shows, for every row in memory."""
    model = page.model
    out = {}
    for row in range(model.rowCount()):
        task = model.task_at(row)
        if task is not None:
            out[task.task_id] = model.index(row, COL_STATE).data()
    return out


def inbox_row(page: TasksPage, signature: str) -> int | None:
    for row in range(page.inbox.count()):
        group = page.inbox.item(row).data(GroupRole)
        if group is not None and group.signature == signature:
            return row
    return None


def click_inbox(qtbot: QtBot, page: TasksPage, row: int) -> None:
    rect = page.inbox.visualItemRect(page.inbox.item(row))
    qtbot.mouseClick(page.inbox.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def click_row(qtbot: QtBot, page: TasksPage, task_id: str) -> None:
    row = page.model.pages.row_of(task_id)
    assert row is not None, f"{task_id} is not in the table"
    page.table.scrollTo(page.model.index(row, 0))
    rect = page.table.visualRect(page.model.index(row, 1))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def job_for(console: Console, reason: str) -> str | None:
    """The job the console follows that was started with ``reason``."""
    link = console.link
    views = link.tasks.jobs.values() if link is not None else []
    return next((v.job.job_id for v in views if v.job.reason == reason), None)


def retries_of(client: httpx.Client, originals: list[str]) -> list[str]:
    """The ledger's tasks that re-send one of ``originals``."""
    items = client.get("/api/v1/tasks", params={"limit": 1000}).json()["items"]
    return [t["retry_of"] for t in items if t["retry_of"] in set(originals)]


def open_group_dialog(qtbot: QtBot, page: TasksPage, signature: str) -> None:
    qtbot.waitUntil(lambda: inbox_row(page, signature) is not None, timeout=WAIT_MS)
    row = inbox_row(page, signature)
    assert row is not None
    click_inbox(qtbot, page, row)
    qtbot.waitUntil(lambda: page.current_query().group == signature, timeout=5_000)
    qtbot.waitUntil(page.retry_group.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(page.retry_group, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is not None, timeout=WAIT_MS)


# -- finding ----------------------------------------------------------------------------


def test_a_new_failure_turns_up_in_its_row_and_its_group_without_a_reload(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client
) -> None:
    page = console.tasks_page
    task_id = fail(producer, "data_sync.sync_single_file", [f"F-{uuid.uuid4().hex[:6]}", "alice"],
                   {"unexpected": 1})  # fmt: skip
    qtbot.waitUntil(lambda: shown(page).get(task_id) == state_text("FAILURE"), timeout=WAIT_MS)
    detail = ledger_task(backend_api, task_id)
    assert detail is not None and detail["state"] == "FAILURE"
    signature = detail["signature"]
    # The worker that ran it, as the ledger has it.
    assert detail["hostname"] == "tasksworker@taskdeck"
    listed = backend_api.get("/api/v1/tasks", params={"q": task_id}).json()["items"]
    assert [t["hostname"] for t in listed] == ["tasksworker@taskdeck"]
    row_now = page.model.pages.row_of(task_id)
    assert row_now is not None
    qtbot.waitUntil(lambda: page.model.index(page.model.pages.row_of(task_id) or 0, COL_WORKER).data()
                    == "tasksworker@taskdeck", timeout=WAIT_MS)  # fmt: skip

    def group_agrees() -> bool:
        row = inbox_row(page, signature)
        if row is None:
            return False
        since, until = console.link.tasks.groups_window() if console.link else (0.0, 0.0)
        truth = backend_api.get("/api/v1/failures/groups",
                                params={"since": since, "until": until + 60}).json()  # fmt: skip
        count = next(g["count"] for g in truth if g["signature"] == signature)
        return bool(page.inbox.item(row).data(GroupRole).count == count)

    qtbot.waitUntil(group_agrees, timeout=WAIT_MS)
    # Unread until opened; opening it narrows the table to exactly the ledger's group.
    row = inbox_row(page, signature)
    assert row is not None and page.inbox.unread(page.inbox.item(row).data(GroupRole))
    click_inbox(qtbot, page, row)
    truth = backend_api.get("/api/v1/tasks", params={"group": signature, "limit": 1000}).json()
    qtbot.waitUntil(lambda: set(shown(page)) == {t["task_id"] for t in truth["items"]},
                    timeout=WAIT_MS)  # fmt: skip
    assert not page.inbox.unread(page.inbox.item(row).data(GroupRole))
    # The task in full: its traceback, and its arguments whole.
    click_row(qtbot, page, task_id)
    qtbot.waitUntil(lambda: page.detail.task is not None and page.detail.task.task_id == task_id,
                    timeout=WAIT_MS)  # fmt: skip
    assert "TypeError" in page.detail.traceback.toPlainText()
    assert page.detail.tabs.currentIndex() == 2  # a failed task opens on its traceback


def test_the_digits_of_a_file_id_find_the_task_that_holds_it(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client
) -> None:
    page = console.tasks_page
    digits = str(uuid.uuid4().int)[:5]
    task_id = fail(producer, "data_sync.sync_single_file", [f"F-0{digits}", "carol"],
                   {"unexpected": 1})  # fmt: skip
    qtbot.waitUntil(lambda: ledger_task(backend_api, task_id) is not None, timeout=20000)
    page.text.clear()
    qtbot.keyClicks(page.text, digits)
    truth = backend_api.get("/api/v1/tasks", params={"q": digits}).json()["items"]
    assert task_id in {t["task_id"] for t in truth}
    qtbot.waitUntil(lambda: set(shown(page)) == {t["task_id"] for t in truth}, timeout=WAIT_MS)
    chips = {c.objectName(): c.text() for c in page.chip_row.findChildren(QToolButton)}
    assert digits in chips["chip_text"]
    # Removing the chip removes the filter.
    qtbot.mouseClick(page.chip_row.findChild(QToolButton, "chip_text"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.text.text() == "" and page.current_query().text is None)
    # A filter that matches nothing says so, in the window.
    qtbot.keyClicks(page.text, "no-such-file-zz9")
    qtbot.waitUntil(page.empty.isVisible, timeout=WAIT_MS)
    assert "No task matches" in page.empty.text() and page.model.rowCount() == 0


# -- acting -------------------------------------------------------------------------------


def test_retrying_a_group_retries_each_failed_task_once_shown_in_progress_summary_and_audit(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client
) -> None:
    page = console.tasks_page
    originals = [fail(producer, "data_sync.sync_batch", [[f"g-{n}"], "dave"], {"unexpected": 1})
                 for n in range(4)]  # fmt: skip
    qtbot.waitUntil(lambda: failed_in_ledger(backend_api, originals), timeout=30000)
    signature = ledger_task(backend_api, originals[0])["signature"]  # type: ignore[index]
    open_group_dialog(qtbot, page, signature)
    dialog = page.dialog
    assert dialog is not None
    assert "Dry run: 4 tasks" in dialog.plan_label.text()
    assert not dialog.confirm.isEnabled()  # no reason yet
    qtbot.keyClicks(dialog.reason, "file store back")
    assert dialog.confirm.isEnabled()
    # A nervous user clicks Confirm twice in a row.
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job_for(console, "file store back") is not None, timeout=WAIT_MS)
    job_id = job_for(console, "file store back")
    assert job_id is not None and page.jobs.current_job() == job_id
    link = console.link
    assert link is not None
    qtbot.waitUntil(lambda: link.tasks.jobs[job_id].ended, timeout=WAIT_MS)
    assert sorted(retries_of(backend_api, originals)) == sorted(originals)  # once each
    jobs = backend_api.get("/api/v1/actions/bulk", params={"limit": 100}).json()
    assert [j["job_id"] for j in jobs if j["reason"] == "file store back"] == [job_id]
    # The progress and the summary say what the backend did.
    assert page.jobs.progress.value() == page.jobs.progress.maximum() == 4
    assert "4 retried" in page.jobs.summary.text()
    # Each outcome lists its tasks.
    page.jobs.summary.linkActivated.emit("retried")
    qtbot.waitUntil(lambda: page.jobs.items.count() == 4, timeout=WAIT_MS)
    assert {page.jobs.items.item(i).text() for i in range(4)} == set(originals)
    # The Audit page has the job's entry.
    console.window.show_page("audit")
    audit = console.audit_page

    def has_entry() -> bool:
        return any(e.job_id == job_id and e.action == "bulk_retry" for e in audit.entries())

    qtbot.waitUntil(has_entry, timeout=WAIT_MS)
    # The retries fail as their originals did and join the group. Retrying the group again
    # retries them, and leaves out the originals, retried already.
    retries = [t["task_id"] for t in backend_api.get("/api/v1/tasks", params={
        "group": signature, "limit": 1000}).json()["items"] if t["retry_of"] in originals]  # fmt: skip
    qtbot.waitUntil(lambda: failed_in_ledger(backend_api, retries), timeout=30000)
    console.window.show_page("tasks")
    qtbot.mouseClick(page.retry_group, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is not None, timeout=WAIT_MS)
    again = page.dialog
    assert again is not None
    assert "Dry run: 4 tasks" in again.plan_label.text()
    assert "4 more tasks of the group were retried already" in again.plan_label.text()
    assert {again.samples.item(i).text() for i in range(4)} == set(retries)
    again.reject()


def test_a_repeated_request_after_a_dropped_answer_retries_each_task_once(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client,
    proxy: FaultProxy,
) -> None:  # fmt: skip
    page = console.tasks_page
    originals = [fail(producer, "data_sync.sync_single_file", [f"d-{n}"]) for n in range(3)]
    qtbot.waitUntil(lambda: failed_in_ledger(backend_api, originals), timeout=30000)
    signature = ledger_task(backend_api, originals[0])["signature"]  # type: ignore[index]
    open_group_dialog(qtbot, page, signature)
    dialog = page.dialog
    assert dialog is not None
    # The backend gets the confirmed request and acts; its answer is lost on the way back.
    proxy.fail(Fault("POST", "/api/v1/actions/bulk", drop=True, json_has={"dry_run": False}))
    qtbot.keyClicks(dialog.reason, "network test")
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job_for(console, "network test") is not None, timeout=WAIT_MS)
    link = console.link
    assert link is not None
    job_id = job_for(console, "network test")
    assert job_id is not None
    qtbot.waitUntil(lambda: link.tasks.jobs[job_id].ended, timeout=WAIT_MS)
    sent = [s for s in proxy.seen if s[0] == "POST" and s[1] == "/api/v1/actions/bulk"]
    assert sent[-2][2] is None and sent[-1][2] == 202, sent  # lost, then sent again
    assert sorted(retries_of(backend_api, originals)) == sorted(originals)
    jobs = backend_api.get("/api/v1/actions/bulk", params={"limit": 100}).json()
    assert [j["job_id"] for j in jobs if j["reason"] == "network test"] == [job_id]


def test_the_jobs_panel_waits_for_a_backend_gone_mid_job_and_resumes(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client,
    proxy: FaultProxy,
) -> None:  # fmt: skip
    page = console.tasks_page
    originals = [fail(producer, "data_sync.sync_batch", [[f"a-{n}"]]) for n in range(5)]
    qtbot.waitUntil(lambda: failed_in_ledger(backend_api, originals), timeout=30000)
    signature = ledger_task(backend_api, originals[0])["signature"]  # type: ignore[index]
    open_group_dialog(qtbot, page, signature)
    dialog = page.dialog
    assert dialog is not None
    # Once the job is accepted, the backend is out of reach.
    proxy.fail(Fault("POST", "/api/v1/actions/bulk", json_has={"dry_run": False},
                     then_down=True))  # fmt: skip
    qtbot.keyClicks(dialog.reason, "away test")
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "waiting for the backend" in page.jobs.state.text()
                    or "does not answer" in page.jobs.state.text(), timeout=WAIT_MS)  # fmt: skip
    proxy.down = False
    link = console.link
    assert link is not None
    qtbot.waitUntil(lambda: any(v.ended for v in link.tasks.jobs.values()
                                if v.job.reason == "away test"), timeout=WAIT_MS)  # fmt: skip
    job = next(v.job for v in link.tasks.jobs.values() if v.job.reason == "away test")
    truth = backend_api.get(f"/api/v1/actions/bulk/{job.job_id}").json()
    assert (job.done, job.total, job.outcomes) == (truth["done"], truth["total"], truth["outcomes"])
    assert "does not answer" not in page.jobs.state.text()
    assert sorted(retries_of(backend_api, originals)) == sorted(originals)


def test_an_action_on_a_task_that_finished_meanwhile_says_so_and_does_nothing_twice(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client
) -> None:
    page = console.tasks_page
    task_id = str(producer.send_task("data_sync.sync_single_file", args=["w-1", "erin"],
                                     queue="default").id)  # fmt: skip
    qtbot.waitUntil(lambda: task_id in shown(page), timeout=WAIT_MS)
    click_row(qtbot, page, task_id)
    qtbot.waitUntil(page.cancel_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is not None, timeout=WAIT_MS)
    dialog = page.dialog
    assert dialog is not None and "taken out of their queue" in dialog.plan_label.text()
    # Someone else cancels it while the dialog is open.
    answer = backend_api.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "colleague"})
    assert answer.status_code == 200
    qtbot.keyClicks(dialog.reason, "late")
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    link = console.link
    assert link is not None
    qtbot.waitUntil(lambda: any(v.ended for v in link.tasks.jobs.values()
                                if v.job.reason == "late"), timeout=WAIT_MS)  # fmt: skip
    summary = page.jobs.summary.text()
    assert "removed from queue" not in summary
    assert "already finished" in summary or "not queued" in summary
    entries = backend_api.get("/api/v1/audit", params={"task_id": task_id}).json()["items"]
    assert sorted(e["action"] for e in entries) == ["bulk_cancel", "cancel"]


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (403, {"error": "forbidden", "detail": "support-user is support; this needs admin"}, {},
         "Not allowed: support-user is support"),
        (409, {"error": "steps_unknown", "detail": "the priority steps are not known"}, {},
         "the priority steps are not known"),
        (422, {"error": "invalid", "detail": "reason: must not be empty"}, {},
         "reason: must not be empty"),
        (429, {"error": "rate_limited", "detail": "too many requests"}, {"Retry-After": "7"},
         "try again in 7 s"),
        (500, {"error": "internal", "detail": "internal error"}, {}, "internal error"),
        (500, "<html>oops</html>", {"content-type": "text/html"}, "not JSON"),
    ],
)  # fmt: skip
def test_a_refusal_or_failure_of_the_backend_is_shown_and_changes_nothing(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client,
    proxy: FaultProxy, status: int, body: Any, headers: dict[str, str], expected: str,
) -> None:  # fmt: skip
    page = console.tasks_page
    task_id = fail(producer, "data_sync.sync_single_file", [f"r-{status}", "frank"],
                   {"unexpected": 1})  # fmt: skip
    qtbot.waitUntil(lambda: shown(page).get(task_id) == state_text("FAILURE"), timeout=WAIT_MS)
    click_row(qtbot, page, task_id)
    qtbot.waitUntil(page.retry_button.isEnabled, timeout=WAIT_MS)
    jobs_before = backend_api.get("/api/v1/actions/bulk", params={"limit": 100}).json()
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    proxy.fail(Fault("POST", "/api/v1/actions/bulk", status=status, body=raw, headers=headers))
    qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: expected in page.message.text(), timeout=WAIT_MS)
    assert page.message.isVisible() and page.dialog is None
    jobs_after = backend_api.get("/api/v1/actions/bulk", params={"limit": 100}).json()
    assert jobs_after == jobs_before
    assert retries_of(backend_api, [task_id]) == []


def test_a_viewer_sees_the_actions_disabled_with_the_reason(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, broker: Server, proxy: FaultProxy,
    prometheus_server: Server, alertmanager_server: Server, worker: ManagedProcess,
    producer: Celery,
) -> None:  # fmt: skip
    task_id = fail(producer, "data_sync.sync_single_file", ["v-1", "gina"], {"unexpected": 1})
    viewer = opened(qtbot, endpoints(broker, proxy, prometheus_server, alertmanager_server,
                                     role="viewer"))  # fmt: skip
    try:
        page = viewer.tasks_page
        qtbot.waitUntil(lambda: page.role == "viewer", timeout=WAIT_MS)
        qtbot.waitUntil(lambda: shown(page).get(task_id) == state_text("FAILURE"),
                        timeout=WAIT_MS)  # fmt: skip
        click_row(qtbot, page, task_id)
        for button in (page.retry_button, page.cancel_button, page.priority_button,
                       page.retry_group):  # fmt: skip
            assert not button.isEnabled()
            assert "viewer" in button.toolTip()
        assert "admins" in page.priority_button.toolTip()
    finally:
        run_coro(qtbot, viewer.aclose())


def test_the_failed_tile_opens_the_failures_it_counts(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client
) -> None:
    task_id = fail(producer, "data_sync.sync_single_file", ["t-1", "hana"], {"unexpected": 1})
    qtbot.waitUntil(lambda: failed_in_ledger(backend_api, [task_id]), timeout=30000)
    console.window.show_page("overview")
    tile = console.overview_page.tiles["failed"]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    page = console.tasks_page
    assert console.window.current_page() == "tasks"
    query = page.current_query()
    params = query.params(time.time())
    truth = backend_api.get("/api/v1/tasks", params={**params, "limit": 1000}).json()["items"]
    assert task_id in {t["task_id"] for t in truth}
    assert {t["state"] for t in truth} == {"FAILURE"}
    qtbot.waitUntil(lambda: task_id in shown(page), timeout=WAIT_MS)
    assert set(shown(page).values()) == {state_text("FAILURE")}


# -- getting around -------------------------------------------------------------------------


def test_ctrl_k_and_a_pasted_id_open_the_task(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client
) -> None:
    task_id = fail(producer, "data_sync.sync_single_file", ["k-1", "ida"], {"unexpected": 1})
    qtbot.waitUntil(lambda: failed_in_ledger(backend_api, [task_id]), timeout=30000)
    window, page = console.window, console.tasks_page
    window.show_page("overview")
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    palette = console.palette
    qtbot.waitUntil(palette.isVisible, timeout=5_000)
    qtbot.keyClicks(palette.edit, task_id[:8])
    # The task the ledger found comes first: Enter opens it.
    qtbot.waitUntil(lambda: palette.candidates()[:1] == [("task", task_id, palette.candidates()[0][2])]
                    and "·" in palette.candidates()[0][2], timeout=WAIT_MS)  # fmt: skip
    qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.detail.task is not None and page.detail.task.task_id == task_id,
                    timeout=WAIT_MS)  # fmt: skip
    assert window.current_page() == "tasks"
    # Pasted outside a text box, an id opens its task.
    other = fail(producer, "data_sync.sync_single_file", ["k-2", "ida"], {"unexpected": 1})
    qtbot.waitUntil(lambda: failed_in_ledger(backend_api, [other]), timeout=30000)
    window.show_page("workers")
    QApplication.clipboard().setText(other)
    table = console.workers_page.workers.table
    window.activateWindow()
    table.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is table, timeout=5_000)
    qtbot.keyClick(table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.detail.task is not None and page.detail.task.task_id == other,
                    timeout=WAIT_MS)  # fmt: skip


def test_new_tasks_do_not_move_the_rows_being_read(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client
) -> None:
    page = console.tasks_page
    page.set_query(TaskQuery(user="jack"))
    sent = [str(producer.send_task("data_sync.sync_single_file", args=[f"j-{n}", "jack"],
                                   queue="default").id) for n in range(80)]  # fmt: skip
    qtbot.waitUntil(lambda: len(shown(page)) == 80, timeout=WAIT_MS)
    bar = page.table.verticalScrollBar()
    header = page.table.verticalHeader()

    def laid_out() -> bool:
        """The scroll range covers the 80 rows: the view lays new rows out a moment after
        the model has them (scrolled to a range still without them, the view stays on top)."""
        return (
            bar.maximum() > 0 and bar.maximum() >= header.length() - page.table.viewport().height()
        )

    qtbot.waitUntil(laid_out, timeout=WAIT_MS)
    bar.setValue(bar.maximum() // 2)
    top_row = page.table.rowAt(0)
    assert top_row > 3  # rows in the middle are read, not the newest at the top
    reading = page.model.task_at(top_row)
    assert reading is not None
    newer = [str(producer.send_task("data_sync.sync_single_file", args=[f"j-new-{n}", "jack"],
                                    queue="default").id) for n in range(3)]  # fmt: skip
    qtbot.waitUntil(lambda: set(newer) <= set(shown(page)), timeout=WAIT_MS)
    assert [page.model.task_at(r).task_id for r in range(3)] == newer[::-1]  # type: ignore[union-attr]
    on_top = page.model.task_at(page.table.rowAt(0))
    assert on_top is not None and on_top.task_id == reading.task_id  # still the row on top
    cancelled = backend_api.post("/api/v1/actions/bulk", json={
        "action": "cancel", "task_ids": sent + newer, "reason": "clean up",
        "idempotency_key": str(uuid.uuid4())})  # fmt: skip
    assert cancelled.status_code == 202


def test_a_bulk_action_on_production_asks_for_the_environment_name(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client
) -> None:
    page = console.tasks_page
    page.set_environment("erp-prod", production=True)
    originals = [fail(producer, "data_sync.sync_single_file", [f"p-{n}", "kim"], {"unexpected": 1})
                 for n in range(2)]  # fmt: skip
    qtbot.waitUntil(lambda: set(originals) <= set(shown(page)), timeout=WAIT_MS)
    for task_id in originals:
        row = page.model.pages.row_of(task_id)
        assert row is not None
        page.table.selectionModel().select(
            page.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    qtbot.waitUntil(page.retry_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is not None, timeout=WAIT_MS)
    dialog = page.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.reason, "prod retry")
    assert not dialog.confirm.isEnabled() and "erp-prod" in dialog.hint.text()
    qtbot.keyClicks(dialog.confirm_name, "erp-pro")
    assert not dialog.confirm.isEnabled()
    qtbot.keyClicks(dialog.confirm_name, "d")
    assert dialog.confirm.isEnabled()
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sorted(retries_of(backend_api, originals)) == sorted(originals),
                    timeout=WAIT_MS)  # fmt: skip


def test_the_last_filter_is_remembered(qtbot: QtBot, tmp_path: Any) -> None:
    settings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
    first = TasksPage(TasksTableModel(), settings)
    qtbot.addWidget(first)
    first.set_environment("staging", production=False)
    first.set_query(TaskQuery(state="FAILURE", user="bob", window="24h"))
    second = TasksPage(TasksTableModel(), settings)
    qtbot.addWidget(second)
    second.set_environment("staging", production=False)
    assert second.current_query() == TaskQuery(state="FAILURE", user="bob", window="24h")
    # Another environment has its own (a failure group there is not this one).
    third = TasksPage(TasksTableModel(), settings)
    qtbot.addWidget(third)
    third.set_environment("production", production=True)
    assert third.current_query() == TaskQuery()
    third.set_environment("staging", production=False)
    assert {c.objectName() for c in second.chip_row.findChildren(QToolButton)} >= {
        "chip_state", "chip_user", "chip_time"}  # fmt: skip


def test_a_page_opened_while_the_backend_is_away_says_so_and_fills_when_it_returns(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, broker: Server, proxy: FaultProxy,
    prometheus_server: Server, alertmanager_server: Server, worker: ManagedProcess,
    backend_api: httpx.Client, producer: Celery,
) -> None:  # fmt: skip
    failed = fail(producer, "data_sync.sync_single_file", ["late-1", "lena"], {"unexpected": 1})
    qtbot.waitUntil(lambda: failed_in_ledger(backend_api, [failed]), timeout=30000)
    proxy.down = True
    late = open_console(qtbot, endpoints(broker, proxy, prometheus_server, alertmanager_server))
    try:
        late.window.show_page("tasks")
        page = late.tasks_page
        qtbot.waitUntil(lambda: "cannot reach the backend" in page.message.text(), timeout=WAIT_MS)
        assert page.model.rowCount() == 0
        proxy.down = False
        truth = backend_api.get("/api/v1/tasks", params={"limit": 200}).json()["items"]
        qtbot.waitUntil(lambda: page.model.pages.loaded_first_page, timeout=WAIT_MS)
        n = min(50, len(truth))
        shown_ids = [task.task_id for r in range(n) if (task := page.model.task_at(r))]
        assert n > 0 and shown_ids == [t["task_id"] for t in truth][:n]
        qtbot.waitUntil(lambda: not page.message.isVisible(), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: page.inbox.count() > 0, timeout=WAIT_MS)
    finally:
        proxy.down = False
        run_coro(qtbot, late.aclose())


def test_a_lost_reading_is_asked_again_and_a_failed_page_is_fetched_when_the_backend_answers(
    qtbot: QtBot, console: Console, producer: Celery, proxy: FaultProxy
) -> None:
    page = console.tasks_page
    sent = [str(producer.send_task("data_sync.sync_single_file", args=[f"l-{n}", "lou"],
                                   queue="default").id) for n in range(50)]  # fmt: skip
    page.model.pages.page_size = 20
    page.set_query(TaskQuery(user="lou"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 20, timeout=WAIT_MS)
    # An answer lost on the way (a kept-alive connection closed under it): asked again at
    # once, nothing shown to the user.
    proxy.fail(Fault("GET", "/api/v1/tasks", drop=True))
    qtbot.waitUntil(lambda: not proxy.faults, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: proxy.seen[-1][1].startswith("/api/v1/tasks")
                    and proxy.seen[-1][2] == 200, timeout=WAIT_MS)  # fmt: skip
    assert not page.message.isVisible()
    # The next page fails at the bottom: the message says so; once the backend answers
    # the rows come by themselves and the message goes.
    proxy.fail(Fault("GET", "/api/v1/tasks", status=503, body=json.dumps(
        {"error": "ledger_unavailable", "detail": "the ledger cannot be read"}).encode()))  # fmt: skip
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: "the ledger cannot be read" in page.message.text(), timeout=WAIT_MS)
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 40, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not page.message.isVisible(), timeout=WAIT_MS)
    assert {t.task_id for r in range(40) if (t := page.model.task_at(r))} <= set(sent)


def test_a_task_that_ends_among_rows_already_read_is_counted_and_its_detail_follows(
    qtbot: QtBot, console: Console, producer: Celery, backend_api: httpx.Client
) -> None:
    page = console.tasks_page
    # Received now, run (and failed) in 6 s: by then a newer failure heads the table.
    late = str(producer.send_task("data_sync.sync_single_file", args=["eta-1", "nina"],
                                  kwargs={"unexpected": 1}, queue="data_sync",
                                  countdown=6).id)  # fmt: skip
    qtbot.waitUntil(lambda: ledger_task(backend_api, late) is not None, timeout=WAIT_MS)
    page.set_query(TaskQuery(state="FAILURE", window="1h", time_field="finished", user="nina"))
    newer = fail(producer, "data_sync.sync_single_file", ["eta-2", "nina"], {"unexpected": 1})
    qtbot.waitUntil(lambda: newer in shown(page), timeout=WAIT_MS)
    page.open_task(late)  # the user reads the waiting task in full
    qtbot.waitUntil(lambda: page.detail.task is not None and page.detail.task.task_id == late,
                    timeout=WAIT_MS)  # fmt: skip
    assert page.detail.task is not None and page.detail.task.state != "FAILURE"
    # It fails: the pane follows, and the table says a task now matches that it does not show.
    qtbot.waitUntil(lambda: page.detail.task is not None and page.detail.task.state == "FAILURE",
                    timeout=WAIT_MS)  # fmt: skip
    assert late not in shown(page)
    qtbot.waitUntil(page.newer.isVisible, timeout=WAIT_MS)
    assert "1 more tasks match now" in page.newer.text()
    qtbot.mouseClick(page.newer, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: {late, newer} <= set(shown(page)), timeout=WAIT_MS)
    assert not page.newer.isVisible()
