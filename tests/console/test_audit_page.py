"""The Audit page shows the backend's audit log as the backend answers it: newest first,
filtered as the user types, a page at a time as the user scrolls, and says so when the
backend cannot be read.

A broker and a backend of this module's own, with no worker: the entries are real
actions (changes of priority, cancels, a bulk cancel) on tasks waiting in a queue.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.controllers.audit_controller import AuditController
from console.models.audit_table_model import EntryRole
from console.services.backend_client import BackendClient, BackendError
from console.views.audit_page import AuditPage
from taskdeck_core.priority import to_celery_priority
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings
from tests.conftest import ROOMY, TOKENS, Server, running_backend
from tests.console.conftest import run_coro
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration
QUEUE = "default"  # a configured queue; no worker takes from it here


@dataclass(frozen=True)
class Made:
    """The actions this module made, by task."""

    prioritised: list[str]  # priority changed by admin-user, then cancelled by admin-user
    cancelled: list[str]  # cancelled by admin-user
    by_support: list[str]  # cancelled by support-user
    in_job: list[str]  # cancelled by admin-user in one bulk job
    job_id: str


def publish(broker: Server, n: int) -> list[str]:
    app = create_celery(WorkerSettings(broker_url=broker.url), results=False)
    try:
        return [
            str(app.send_task("data_sync.sync_single_file", args=[f"audit-{i}", "alice"],
                              queue=QUEUE, priority=to_celery_priority(5)).id)
            for i in range(n)
        ]  # fmt: skip
    finally:
        app.close()


def act(client: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(path, json=body)
    assert answer.status_code in (200, 202), answer.text
    return dict(answer.json())


@pytest.fixture(scope="module")
def made(broker: Server, backend: Server) -> Made:
    ids = publish(broker, 11)
    prioritised, cancelled, by_support, in_job = ids[:3], ids[3:6], ids[6:9], ids[9:]
    with api(backend.url, "admin") as admin, api(backend.url, "support") as support:
        for task_id in prioritised:
            act(admin, f"/api/v1/tasks/{task_id}/priority", {"priority": 8, "reason": "urgent"})
        for task_id in prioritised + cancelled:
            act(admin, f"/api/v1/tasks/{task_id}/cancel", {"reason": "not needed"})
        for task_id in by_support:
            act(support, f"/api/v1/tasks/{task_id}/cancel", {"reason": "customer asked"})
        job = act(admin, "/api/v1/actions/bulk", {
            "action": "cancel", "task_ids": in_job, "reason": "clean up",
            "idempotency_key": str(uuid.uuid4()),
        })  # fmt: skip
        job_id = str(job["job_id"])
        wait_for(
            lambda: admin.get(f"/api/v1/actions/bulk/{job_id}").json()["state"] == "done",
            timeout=30, what="the bulk cancel to end",
        )  # fmt: skip
    return Made(prioritised, cancelled, by_support, in_job, job_id)


def truth(backend: Server, **filters: Any) -> list[int]:
    """The ids of the entries the backend itself lists for ``filters``, newest first."""
    with api(backend.url, "admin") as admin:
        answer = admin.get("/api/v1/audit", params={"limit": 1000, **filters})
        answer.raise_for_status()
        return [item["id"] for item in answer.json()["items"]]


class Wired:
    """An Audit page and its controller, connected as the window connects them."""

    def __init__(self, qtbot: QtBot, url: str, page_size: int = 100) -> None:
        self.client = BackendClient(url, TOKENS["admin"])
        self.controller = AuditController(self.client, page_size=page_size)
        self.page = AuditPage()
        qtbot.addWidget(self.page)
        self.resets = 0
        self.added = 0
        page, controller = self.page, self.controller
        page.filters_changed.connect(controller.set_filters)
        page.more_wanted.connect(controller.load_more)
        controller.entries_reset.connect(lambda entries: page.show_entries(entries, True))
        controller.entries_added.connect(lambda entries: page.show_entries(entries, False))
        controller.at_end.connect(page.set_at_end)
        controller.failed.connect(page.show_failure)
        controller.entries_reset.connect(self._count_reset)
        controller.entries_added.connect(self._count_added)

    def _count_reset(self, _entries: list[Any]) -> None:
        self.resets += 1

    def _count_added(self, _entries: list[Any]) -> None:
        self.added += 1

    def open(self, width: int = 1100, height: int = 700) -> None:
        self.page.resize(width, height)
        self.page.show()
        self.controller.set_filters(self.page.filters())

    def ids(self) -> list[int]:
        return [entry.id for entry in self.page.entries()]

    async def aclose(self) -> None:
        await self.controller.aclose()
        await self.client.aclose()


@pytest.fixture
def wire(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server
) -> Iterator[Callable[..., Wired]]:
    """Audit pages on the module's backend (or another URL), closed after the test."""
    made: list[Wired] = []

    def make(url: str | None = None, page_size: int = 100) -> Wired:
        wired = Wired(qtbot, url or backend.url, page_size)
        made.append(wired)
        return wired

    yield make
    for wired in made:
        run_coro(qtbot, wired.aclose())


def cell(page: AuditPage, row: int, column: int) -> str:
    return str(page.model.data(page.model.index(row, column)))


def select_row(qtbot: QtBot, page: AuditPage, row: int) -> None:
    index = page.model.index(row, 0)
    page.table.scrollTo(index)
    qtbot.mouseClick(
        page.table.viewport(), Qt.MouseButton.LeftButton, pos=page.table.visualRect(index).center()
    )


def test_entries_appear_newest_first_with_what_each_did(
    qtbot: QtBot, wire: Callable[..., Wired], backend: Server, made: Made
) -> None:
    view = wire()
    view.open()
    expected = truth(backend)
    assert len(expected) == 13
    qtbot.waitUntil(lambda: view.ids() == expected, timeout=10_000)
    assert expected == sorted(expected, reverse=True)
    page = view.page
    assert page.empty_text() == ""
    # The newest is the bulk cancel: who, what, on how many, why, how it ended, its job.
    assert cell(page, 0, 1) == "admin-user (admin)"
    assert cell(page, 0, 2) == "Bulk cancel"  # in words; the code in its tooltip
    assert page.model.data(page.model.index(0, 2), Qt.ItemDataRole.ToolTipRole) == "bulk_cancel"
    assert cell(page, 0, 3).startswith("2 tasks: ")
    assert cell(page, 0, 4) == "clean up"
    assert cell(page, 0, 5) == "ok"
    assert cell(page, 0, 7) == f"{made.job_id[:8]}…"
    assert page.model.data(page.model.index(0, 0), EntryRole).job_id == made.job_id
    assert cell(page, 12, 2) == "Priority change"

    # Choosing it shows its request, targets and outcome in full, and links to its tasks
    # and its job; following a link asks for the task.
    select_row(qtbot, page, 0)
    shown = page.detail.toPlainText()
    assert '"targets"' in shown and '"outcome"' in shown and '"request"' in shown
    assert all(task_id in shown for task_id in made.in_job)
    assert page.link_targets() == [*(f"task:{t}" for t in made.in_job), f"job:{made.job_id}"]
    page.links.setFocus()
    with qtbot.waitSignal(page.open_task, timeout=2000) as opened:
        qtbot.keyClick(page.links, Qt.Key.Key_Tab)
        qtbot.keyClick(page.links, Qt.Key.Key_Return)
    assert opened.args == [made.in_job[0]]


def test_typing_a_user_narrows_to_that_users_entries(
    qtbot: QtBot, wire: Callable[..., Wired], backend: Server, made: Made
) -> None:
    view = wire()
    view.open()
    qtbot.waitUntil(lambda: len(view.ids()) == 13, timeout=10_000)
    qtbot.keyClicks(view.page.who, "support-user")
    expected = truth(backend, user="support-user")
    assert len(expected) == len(made.by_support)
    qtbot.waitUntil(lambda: view.ids() == expected, timeout=10_000)
    assert {cell(view.page, row, 1) for row in range(3)} == {"support-user (support)"}
    # One request for the whole name, once the typing paused (not one per letter).
    assert view.resets == 2

    # And with an action from the list, only that action's entries of that user.
    view.page.who.clear()
    action_box = view.page.action.lineEdit()
    assert action_box is not None
    qtbot.keyClicks(action_box, "priority")
    expected = truth(backend, action="priority")
    assert len(expected) == len(made.prioritised)
    qtbot.waitUntil(lambda: view.ids() == expected, timeout=10_000)


def test_a_task_id_shows_the_entries_that_acted_on_that_task(
    qtbot: QtBot, wire: Callable[..., Wired], backend: Server, made: Made
) -> None:
    view = wire()
    view.open()
    qtbot.waitUntil(lambda: len(view.ids()) == 13, timeout=10_000)
    task_id = made.prioritised[0]
    qtbot.keyClicks(view.page.task_id, task_id)
    expected = truth(backend, task_id=task_id)
    assert len(expected) == 2  # its change of priority, then its cancel
    qtbot.waitUntil(lambda: view.ids() == expected, timeout=10_000)
    assert [cell(view.page, row, 2) for row in range(2)] == ["Cancel", "Priority change"]

    # Another page asks for a task of the bulk job: its one entry is the job's.
    view.page.set_task_filter(made.in_job[1])
    expected = truth(backend, task_id=made.in_job[1])
    qtbot.waitUntil(lambda: view.ids() == expected, timeout=10_000)
    assert len(expected) == 1 and cell(view.page, 0, 2) == "Bulk cancel"
    select_row(qtbot, view.page, 0)
    assert f"job:{made.job_id}" in view.page.link_targets()


def test_a_filter_matching_nothing_says_so(
    qtbot: QtBot, wire: Callable[..., Wired], made: Made
) -> None:
    view = wire()
    view.open()
    qtbot.waitUntil(lambda: len(view.ids()) == 13, timeout=10_000)
    qtbot.keyClicks(view.page.who, "nobody-at-all")
    qtbot.waitUntil(lambda: view.ids() == [], timeout=10_000)
    assert view.page.empty_text() == "No audit entry matches these filters"
    assert view.page.empty.isVisible()
    # Matching again, the table comes back and the note goes.
    view.page.who.clear()
    qtbot.waitUntil(lambda: len(view.ids()) == 13, timeout=10_000)
    assert view.page.empty_text() == ""


def test_scrolling_to_the_bottom_loads_the_next_page(
    qtbot: QtBot, wire: Callable[..., Wired], backend: Server, made: Made
) -> None:
    view = wire(page_size=4)
    view.open(width=1000, height=360)
    page, controller = view.page, view.controller
    bar = page.table.verticalScrollBar()
    # Pages come until the table can be scrolled, and no further.
    qtbot.waitUntil(
        lambda: len(view.ids()) >= 4 and not controller.loading and bar.maximum() > 0,
        timeout=10_000,
    )
    first = len(view.ids())
    assert first % 4 == 0 and first < 13
    assert not page.at_end
    expected = truth(backend)
    assert view.ids() == expected[:first]

    # The user goes to the last row: the next page comes, and so on to the end.
    while len(view.ids()) < 13:
        shown = len(view.ids())
        page.table.setFocus()
        qtbot.keyClick(page.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda n=shown: len(view.ids()) > n, timeout=10_000)  # type: ignore[misc]
    assert view.ids() == expected  # in order, none twice
    assert view.added >= 1 and view.resets == 1
    qtbot.waitUntil(lambda: page.at_end, timeout=5000)


def test_the_backend_going_away_shows_a_failure_not_a_crash(
    qtbot: QtBot, wire: Callable[..., Wired], broker: Server, tmp_path: Path
) -> None:
    with running_backend(tmp_path, broker.url, ROOMY) as own:
        [task_id] = publish(broker, 1)
        with api(own.url, "admin") as admin:
            act(admin, f"/api/v1/tasks/{task_id}/cancel", {"reason": "gone soon"})
        view = wire(own.url)
        view.open()
        qtbot.waitUntil(lambda: len(view.ids()) == 1, timeout=10_000)
        own.proc.stop()
        qtbot.keyClicks(view.page.who, "admin-user")
        qtbot.waitUntil(lambda: view.page.failure_text() != "", timeout=15_000)
    text = view.page.failure_text()
    assert text.startswith("The audit log could not be read: cannot reach the backend at")
    assert view.page.message.isVisible()
    assert len(view.ids()) == 1  # what was shown stays


def test_a_backend_turning_requests_away_says_when_to_try_again(
    qtbot: QtBot, wire: Callable[..., Wired]
) -> None:
    controller = wire().controller
    busy = BackendError(429, "rate_limited", "too many requests", retry_after_s=7.2)
    assert controller.failure_text(busy).endswith("try again in 8 s.")
    unsure = BackendError(429, "rate_limited", "too many requests")
    assert controller.failure_text(unsure).endswith("try again in a moment.")
