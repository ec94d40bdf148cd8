"""The Alerts page inside the console: each alert opens the page it concerns there (the
queue selected, a task's failures filtered, a user's quota row), the Overview's alerts
tile leads to it, and a notification clicked brings the window forward on its alert.

The console runs on the session's broker and backend with an Alertmanager of this
module's own, where the test posts its alerts (POST /api/v2/alerts)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.app import Console, build_console
from console.domain.endpoints import Endpoints
from taskdeck_dev.stack import running_alertmanager
from tests.conftest import Server
from tests.console.conftest import open_console, run_coro
from tests.console.test_alerts_page import post_alert, select_alert
from tests.helpers import api

pytestmark = pytest.mark.integration
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def am(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_alertmanager(tmp_path_factory.mktemp("alerts_nav"), group_wait="1s") as server:
        yield server


@pytest.fixture
def console(qtbot: QtBot, loop: Any, endpoints: Endpoints, am: Server) -> Iterator[Console]:
    mine = Endpoints(endpoints.broker_url, endpoints.backend_url, endpoints.prometheus_url,
                     am.url, backend_token=endpoints.backend_token,
                     transport=endpoints.transport)  # fmt: skip
    built = open_console(qtbot, mine)
    yield built
    run_coro(qtbot, built.aclose())


def test_each_alert_opens_the_page_it_concerns_in_the_console(
    qtbot: QtBot, console: Console, am: Server, backend_server: Server
) -> None:
    tag = uuid.uuid4().hex[:6]
    queue_alert, quota = f"Backlog{tag}", f"QuotaFull{tag}"
    failing = "HighCeleryTaskFailureRate"  # a task alert of the project's rules
    post_alert(am.url, {"alertname": queue_alert, "severity": "warning", "component": "queues",
                        "queue_name": "data_sync"}, "Queue data_sync is backing up")  # fmt: skip
    post_alert(am.url, {"alertname": failing, "severity": "warning", "component": "tasks",
                        "name": "data_sync.sync_single_file"}, "It fails often")  # fmt: skip
    user = f"nav-{tag}"
    with api(backend_server.url) as admin:
        reply = admin.put(f"/api/v1/quotas/{user}", json={"limit": 7, "reason": "a row to open"})
        assert reply.status_code == 200, reply.text
    post_alert(am.url, {"alertname": quota, "severity": "info", "component": "quotas",
                        "user": user}, f"{user} is at their quota")  # fmt: skip
    w, page = console.window, console.alerts_page

    # The Overview's alerts tile leads to the Alerts page.
    w.show_page("overview")
    qtbot.mouseClick(console.overview_page.tiles["alerts"], Qt.MouseButton.LeftButton)
    assert w.current_page() == "alerts"

    select_alert(qtbot, page, queue_alert)
    qtbot.waitUntil(lambda: console.queues_model.row_for("data_sync") is not None,
                    timeout=WAIT_MS)  # fmt: skip
    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert w.current_page() == "queues"
    assert console.queues_page.queues.chosen == "data_sync"

    w.show_page("alerts")
    select_alert(qtbot, page, failing)
    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert w.current_page() == "tasks"
    query = console.tasks_page.current_query()
    assert (query.state, query.name, query.time_field) == (
        "FAILURE",
        "data_sync.sync_single_file",
        "finished",
    )

    w.show_page("alerts")
    select_alert(qtbot, page, quota)
    qtbot.waitUntil(lambda: console.quotas_model.row_for(user) is not None, timeout=WAIT_MS)
    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert w.current_page() == "quotas"
    assert console.quotas_page.user == user


def test_a_notification_clicked_brings_the_window_forward_on_its_alert(
    qtbot: QtBot, console: Console, am: Server
) -> None:
    name = f"Down{uuid.uuid4().hex[:6]}"
    post_alert(am.url, {"alertname": name, "severity": "critical", "component": "workers",
                        "hostname": "gone@nowhere"}, "Worker gone@nowhere is down")  # fmt: skip
    page = console.alerts_page
    console.window.show_page("overview")
    notifier = page.notifier
    qtbot.waitUntil(lambda: any(name in r.title for r in notifier.raised), timeout=WAIT_MS)
    notifier.activate_last()
    assert console.window.current_page() == "alerts"
    alert = page.selected_alert()
    assert alert is not None and alert.name == name


def test_a_window_gone_before_its_console_is_closed_hears_nothing_more(
    qtbot: QtBot, loop: Any, endpoints: Endpoints
) -> None:
    """The window deleted first (as a test harness, or a shell ending, may do): the live
    controllers' next answer must not reach its deleted pages."""
    console = build_console(endpoints, "test")  # not the test's widget: deleted here
    console.window.show()
    try:
        qtbot.waitUntil(lambda: console.queues_model.row_for("data_sync") is not None,
                        timeout=WAIT_MS)  # fmt: skip
        link = console.link
        assert link is not None
        queues = console.queues_model.rows()
        console.window.close()
        console.window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert not shiboken6.isValid(console.tasks_page)
        link.live.queues_changed.emit(queues)  # raised in a slot before: a deleted combo box
        assert link.live.signalsBlocked()
    finally:
        run_coro(qtbot, console.aclose())


def test_the_reports_page_reports_on_the_environment_the_console_is_connected_to(
    qtbot: QtBot, console: Console, tmp_path: Path
) -> None:
    w, page = console.window, console.reports_page
    w.show_page("reports")
    assert w.current_page() == "reports"
    page.window_choice.setCurrentIndex(page.window_choice.findData("1h"))
    page.format_choice.setCurrentIndex(page.format_choice.findData("html"))
    target = tmp_path / "from-the-window.html"
    page.destination.setText(str(target))
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.made is not None or bool(page.message_text()), timeout=WAIT_MS)
    assert page.made is not None, page.message_text()
    text = target.read_text(encoding="utf-8")
    assert "TaskDeck report: test" in text  # the console's environment, by its name
    assert console.link is not None and console.link.backend.url in text  # its own source
