"""Scenes for the screenshots beyond each page as it opens: the Tasks page narrowed to a
failure group with a failed task in full, a bulk retry of that group run through its
dialog (its progress bar and summary), and the Audit page that recorded it; the Alerts
page with a firing alert in full, then silenced from its dialog; a worker in detail with
its controls; then a snapshot of it all saved, opened read-only (its banner, the Overview
and the Tasks page with their actions refused).

Each scene drives the real widgets, as a user would, and yields its name once the window
shows it; the caller takes the pictures. A scene whose data is missing (no failure yet)
says so and is skipped.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from console.app import Console
from console.domain.service_status import Connection, ServiceKind
from console.snapshot.file import SUFFIX

WAIT_S = 20.0


async def _until(test: Callable[[], bool], timeout_s: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if test():
            return True
        await asyncio.sleep(0.1)
    return test()


def showing_live_data(console: Console) -> bool:
    """Every service connected, and Prometheus already scraping (its first scrape takes ~5 s)."""
    link = console.link
    if link is None:
        return False
    statuses = [link.connections.status(kind) for kind in ServiceKind]
    if not all(s.connection is Connection.CONNECTED for s in statuses):
        return False
    prometheus = link.connections.status(ServiceKind.PROMETHEUS).last_ok
    facts = dict(prometheus.facts) if prometheus else {}
    return not facts.get("targets up", "0 /").startswith("0 /")


async def scenes(console: Console) -> AsyncIterator[str]:
    if not showing_live_data(console):
        print("demo: not every service is connected; the scenes are skipped", flush=True)
        return
    async for scene in _task_scenes(console):
        yield scene
    async for scene in _alert_scenes(console):
        yield scene
    async for scene in _worker_scenes(console):
        yield scene
    async for scene in _snapshot_scenes(console):  # last: the window stays on the snapshot
        yield scene


async def _task_scenes(console: Console) -> AsyncIterator[str]:
    window, page = console.window, console.tasks_page
    window.show_page("tasks")
    if not await _until(lambda: page.inbox.count() > 0):
        print("demo: no failure group yet; the Tasks scenes are skipped", flush=True)
        return
    page.inbox.setCurrentRow(0)
    await _until(lambda: page.model.rowCount() > 0 and page.current_query().group is not None)
    page.table.selectRow(0)
    await _until(lambda: page.detail.task is not None and page.detail.task.traceback is not None)
    page.detail.tabs.setCurrentIndex(2)
    yield "tasks-failure-group"
    page.retry_group.click()
    if not await _until(lambda: page.dialog is not None):
        print(f"demo: the retry dialog did not open ({page.message.text()})", flush=True)
        return
    dialog = page.dialog
    assert dialog is not None
    dialog.reason.setText("Demo: the file server is back; retry the group")
    dialog.confirm.click()
    await _until(lambda: page.jobs.current_job() is not None, 10.0)
    job_id = page.jobs.current_job()
    controller = page.controller
    # A group of the sandbox's size is retried within the panel's first look at the job:
    # the picture shows its progress bar full and its summary.
    await _until(lambda: controller is not None and job_id in controller.jobs
                 and controller.jobs[job_id].ended)  # fmt: skip
    yield "tasks-bulk-job"
    if "audit" in window.page_keys():
        window.show_page("audit")
        audit = console.audit_page
        await _until(lambda: bool(audit.entries()), 10.0)
        audit.table.selectRow(0)
        await asyncio.sleep(0.5)
        yield "audit-after-retry"


async def _alert_scenes(console: Console) -> AsyncIterator[str]:
    window, page = console.window, console.alerts_page
    window.show_page("alerts")
    if not await _until(lambda: bool(page._alert_items())):
        print("demo: no alert fired yet; the Alerts scenes are skipped", flush=True)
        return
    firing = [a for g in page.groups for a in g.alerts if a.state == "active"]
    chosen = max(firing, key=lambda a: a.severity == "critical", default=None)
    if chosen is None:
        return
    page.select_alert(chosen.key)
    yield "alerts-firing"
    page.silence_button.click()
    if not await _until(lambda: page.dialog is not None and page.dialog.isVisible(), 5.0):
        print(f"demo: the silence dialog did not open ({page.result.text()})", flush=True)
        return
    dialog = page.dialog
    assert dialog is not None and hasattr(dialog, "comment")
    dialog.comment.setText("Demo: known, the on-call engineer is on it")
    dialog.confirm.click()
    await _until(lambda: dialog.answer.text() != "", 10.0)
    dialog.reject()
    await _until(lambda: any(s.comment.startswith("Demo:") for s in page.silences), 15.0)
    yield "alerts-silenced"


async def _worker_scenes(console: Console) -> AsyncIterator[str]:
    window, page = console.window, console.workers_page
    window.show_page("workers")
    rows = console.workers_model.rows()
    online = [w for w in rows if w.online]
    if not online:
        print("demo: no worker online; the worker scene is skipped", flush=True)
        return
    page.workers.select_key(online[0].hostname)
    await _until(lambda: page.detail.detail is not None, 10.0)
    yield "workers-detail"


async def _snapshot_scenes(console: Console) -> AsyncIterator[str]:
    window = console.window
    with tempfile.TemporaryDirectory(prefix="taskdeck-demo-") as folder:
        path = Path(folder) / f"demo{SUFFIX}"
        saving = console.save_snapshot(path)
        if saving is None:
            return
        await saving
        if not path.is_file():
            print(f"demo: the snapshot was not saved ({window.statusBar().currentMessage()})",
                  flush=True)  # fmt: skip
            return
        opening = console.open_snapshot(path)
        if opening is not None:
            await opening
    if console.snapshot is None:
        print("demo: the snapshot did not open; its scenes are skipped", flush=True)
        return
    window.show_page("overview")
    await _until(lambda: console.overview_page.tiles["failed"].value_text() not in ("", "—"), 10.0)
    yield "snapshot-overview"
    window.show_page("tasks")
    page = console.tasks_page
    await _until(lambda: console.tasks_model.rowCount() > 0, 10.0)
    page.table.selectRow(0)
    yield "snapshot-tasks"
