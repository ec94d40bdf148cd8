"""The Alerts page against a real Alertmanager and backend: alerts as Alertmanager groups
them, silences created, extended and expired from the page (through the backend, audited),
a stale page while Alertmanager is down, desktop notifications once per firing, and the
controls a viewer does not get.

Alerts are posted straight to the module's Alertmanager (POST /api/v2/alerts), each test
with alert names of its own; one test makes a real rule fire by stopping a worker, through
a Prometheus of its own. The module's backend knows the module's Alertmanager.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from console.controllers.alerts_controller import AlertsController
from console.models.alerts import AlertView, target_of
from console.services.alertmanager_client import AlertmanagerClient
from console.services.backend_client import BackendClient
from console.views.alerts_page import COL_ALERT, COL_SEVERITY, COL_STATE, AlertsPage, KeyRole
from console.views.colours import BAD, INFO, WARN
from console.views.tray_notifier import TrayNotifier
from taskdeck_dev.stack import (
    running_alertmanager,
    running_prometheus,
    start_alertmanager,
    start_worker,
)
from tests.conftest import FAST_WORKLOAD, ROOMY, TOKENS, Server
from tests.console.conftest import run_coro
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration
WAIT_MS = 15_000
REFRESH_S = 0.3  # the page's poll in these tests (10 s in the console)


@pytest.fixture(scope="module")
def am(stack_dir: Path) -> Iterator[Server]:
    with running_alertmanager(stack_dir / "am", group_wait="1s") as server:
        yield server


@pytest.fixture(scope="module")
def backend_env(am: Server) -> dict[str, str]:
    return {**ROOMY, "TASKDECK_ALERTMANAGER_URL": am.url}


class Opened:
    def __init__(self, page: AlertsPage, controller: AlertsController, notifier: TrayNotifier,
                 clients: tuple[AlertmanagerClient, BackendClient]) -> None:  # fmt: skip
        self.page, self.controller, self.notifier, self.clients = (
            page,
            controller,
            notifier,
            clients,
        )


@pytest.fixture
def opened(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, am: Server
) -> Iterator[Any]:
    """Opens the page on an Alertmanager (the module's unless given) with a role's token."""
    made: list[Opened] = []

    def open_as(role: str = "admin", notifications: bool = True, url: str | None = None) -> Opened:
        alertmanager = AlertmanagerClient(url or am.url, timeout_s=2.0)
        client = BackendClient(backend.url, TOKENS[role])
        notifier = TrayNotifier()
        page = AlertsPage(notifier)
        qtbot.addWidget(page)
        page.resize(1300, 800)
        controller = AlertsController(alertmanager, client, refresh_s=REFRESH_S, max_backoff_s=1.0)
        page.set_notifications(notifications)
        page.attach(controller)
        page.set_role(role)
        page.show()
        controller.start()
        made.append(Opened(page, controller, notifier, (alertmanager, client)))
        return made[-1]

    yield open_as
    for one in made:
        run_coro(qtbot, one.controller.aclose())
        for client in one.clients:
            run_coro(qtbot, client.aclose())


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def post_alert(url: str, labels: dict[str, str], summary: str = "", description: str = "",
               starts: datetime | None = None, ends: datetime | None = None) -> None:  # fmt: skip
    alert: dict[str, Any] = {"labels": labels,
                             "annotations": {"summary": summary, "description": description}}  # fmt: skip
    if starts is not None:
        alert["startsAt"] = iso(starts)
    if ends is not None:
        alert["endsAt"] = iso(ends)
    reply = httpx.post(f"{url}/api/v2/alerts", json=[alert], timeout=5)
    assert reply.status_code == 200, reply.text


def am_silences(url: str) -> list[dict[str, Any]]:
    reply = httpx.get(f"{url}/api/v2/silences", timeout=5)
    assert reply.status_code == 200, reply.text
    return list(reply.json())


def unique(name: str) -> str:
    return f"{name}{uuid.uuid4().hex[:6]}"


def alert_item(page: AlertsPage, name: str) -> QTreeWidgetItem | None:
    return next((i for i in page._alert_items() if i.text(COL_ALERT) == name), None)


def shown_alert(page: AlertsPage, name: str) -> AlertView | None:
    return next((a for g in page.groups for a in g.alerts if a.name == name), None)


def select_alert(qtbot: QtBot, page: AlertsPage, name: str) -> AlertView:
    qtbot.waitUntil(lambda: alert_item(page, name) is not None, timeout=WAIT_MS)
    item = alert_item(page, name)
    assert item is not None
    page.tree.scrollToItem(item)
    rect = page.tree.visualItemRect(item)
    qtbot.mouseClick(page.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: (page.selected_alert() or AlertView("", {}, {}, "", 0, "")).name
                    == name, timeout=5_000)  # fmt: skip
    alert = page.selected_alert()
    assert alert is not None
    return alert


def reads(controller: AlertsController, qtbot: QtBot, count: int) -> None:
    """Wait until ``count`` more reads have succeeded."""
    seen: list[float] = []
    controller.read_ok.connect(seen.append)
    qtbot.waitUntil(lambda: len(seen) >= count, timeout=WAIT_MS)


# -- reading ---------------------------------------------------------------------------


def test_posted_alerts_show_in_their_groups_with_severity_state_age_and_summary(
    qtbot: QtBot, opened: Any, am: Server
) -> None:
    name = unique("QueueBacklog")
    queue = unique("q")
    started = datetime.now(UTC) - timedelta(minutes=3)
    post_alert(am.url, {"alertname": name, "severity": "warning", "component": "queues",
                        "queue_name": queue}, f"Queue {queue} is backing up",
               "500 messages wait", starts=started)  # fmt: skip
    info = unique("QuotaFull")
    post_alert(am.url, {"alertname": info, "severity": "info", "component": "quotas",
                        "user": "ann"}, "ann is at their quota")  # fmt: skip
    page = opened().page
    qtbot.waitUntil(lambda: alert_item(page, name) is not None
                    and alert_item(page, info) is not None, timeout=WAIT_MS)  # fmt: skip
    item = alert_item(page, name)
    assert item is not None
    # Its group is Alertmanager's: grouped by alertname and component, routed to ops-email.
    group = item.parent()
    assert group is not None
    assert group.text(COL_ALERT) == f"alertname={name}, component=queues"
    assert "receiver ops-email · 1 alerts" in group.text(4)
    assert item.text(COL_SEVERITY) == "warning"
    assert item.background(COL_SEVERITY).color().name() == WARN
    assert item.text(COL_STATE) == "active"
    assert item.text(4) == f"Queue {queue} is backing up"
    assert item.text(3).startswith("3 min")  # its age, since startsAt
    info_item = alert_item(page, info)
    assert info_item is not None and info_item.background(COL_SEVERITY).color().name() == INFO
    # Selected: in full, and the page it concerns.
    alert = select_alert(qtbot, page, name)
    assert "500 messages wait" in page.detail.text() and f"queue_name={queue}" in page.detail.text()
    assert page.open_button.isEnabled() and queue in page.open_button.text()
    with qtbot.waitSignal(page.open_target, timeout=5_000) as wanted:
        qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert wanted.args == ["queue", queue]
    assert target_of(alert) == ("queue", queue)
    select_alert(qtbot, page, info)
    with qtbot.waitSignal(page.open_target, timeout=5_000) as wanted:
        qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert wanted.args == ["user", "ann"]


def test_every_rule_of_the_project_opens_the_page_it_concerns() -> None:
    def alert(alertname: str, **labels: str) -> AlertView:
        return AlertView("f", {"alertname": alertname, **labels}, {}, "active", 0, "")

    assert target_of(alert("CeleryWorkerDown", hostname="w1@h")) == ("worker", "w1@h")
    assert target_of(alert("HighCeleryQueueLength", queue_name="erp")) == ("queue", "erp")
    assert target_of(alert("HighCeleryTaskFailureRate", name="sync.f")) == ("task", "sync.f")
    assert target_of(alert("HighCeleryTaskExecutionTime", name="sync.f")) == ("task", "sync.f")
    assert target_of(alert("QuotaSaturated", user="ann")) == ("user", "ann")
    assert target_of(alert("RateLimitAnomaly", kind="burst")) == ("anomaly", "burst")
    assert target_of(alert("RateLimitAnomaly", kind="burst", subject="bob")) == (
        "anomaly",
        "burst/bob",
    )
    assert target_of(alert("CeleryRedisConnectionFailed", instance="x:1")) is None
    assert target_of(alert("TasksLostByBroker", instance="x:1")) is None


def test_alertmanager_down_keeps_the_alerts_marked_stale_and_the_page_recovers(
    qtbot: QtBot, opened: Any, stack_dir: Path
) -> None:
    run_dir = stack_dir / "am-down"
    with running_alertmanager(run_dir, group_wait="1s") as own:
        name = unique("Stays")
        post_alert(own.url, {"alertname": name, "severity": "critical", "component": "broker"},
                   "still shown")  # fmt: skip
        one = opened(url=own.url)
        page = one.page
        qtbot.waitUntil(lambda: alert_item(page, name) is not None, timeout=WAIT_MS)
        assert page.stale_text() == ""
        own.proc.stop()
        qtbot.waitUntil(lambda: "not reachable" in page.stale_text(), timeout=WAIT_MS)
        text = page.stale_text()
        assert "What is shown was read at" in text and "ago; trying again in" in text
        assert alert_item(page, name) is not None  # the last data stays
        assert one.controller.failures >= 1
        # Back on the same port: the page reads again by itself.
        restarted = start_alertmanager(run_dir, own.port, group_wait="1s")
        try:
            post_alert(own.url, {"alertname": name, "severity": "critical", "component": "broker"},
                       "still shown")  # fmt: skip
            qtbot.waitUntil(lambda: page.stale_text() == "" and one.controller.failures == 0,
                            timeout=WAIT_MS)  # fmt: skip
            assert alert_item(page, name) is not None
        finally:
            restarted.stop()


# -- notifications ---------------------------------------------------------------------


def test_a_critical_alert_notifies_once_per_firing(qtbot: QtBot, opened: Any, am: Server) -> None:
    name = unique("BrokerGone")
    labels = {"alertname": name, "severity": "critical", "component": "broker"}
    first = datetime.now(UTC) - timedelta(seconds=5)
    post_alert(am.url, labels, "The broker is gone", starts=first)
    warn = unique("JustWarning")
    post_alert(am.url, {"alertname": warn, "severity": "warning", "component": "broker"}, "meh")
    one = opened()
    page, notifier = one.page, one.notifier

    def raised_for(alert_name: str) -> list[Any]:
        return [r for r in notifier.raised if alert_name in r.title]

    qtbot.waitUntil(lambda: len(raised_for(name)) == 1, timeout=WAIT_MS)
    raised = raised_for(name)[0]
    assert raised.title == f"Critical: {name}" and raised.text == "The broker is gone"
    item = alert_item(page, name)
    assert item is not None and item.background(COL_SEVERITY).color().name() == BAD
    assert raised.key == item.data(COL_ALERT, KeyRole)
    reads(one.controller, qtbot, 3)
    assert len(raised_for(name)) == 1  # not again while it keeps firing
    assert raised_for(warn) == []  # warnings do not notify
    # Clicking the notification shows the page on that alert.
    with qtbot.waitSignal(page.page_wanted, timeout=5_000):
        notifier.activate_last()
    assert page.alert_key == raised.key
    # Resolved, then firing anew: notified again.
    post_alert(am.url, labels, "The broker is gone", starts=first,
               ends=datetime.now(UTC) - timedelta(seconds=1))  # fmt: skip
    qtbot.waitUntil(lambda: alert_item(page, name) is None, timeout=WAIT_MS)
    post_alert(am.url, labels, "The broker is gone", starts=datetime.now(UTC))
    qtbot.waitUntil(lambda: len(raised_for(name)) == 2, timeout=WAIT_MS)
    assert raised_for(name)[1].key != raised.key
    reads(one.controller, qtbot, 2)
    assert len(raised_for(name)) == 2


def test_notifications_turned_off_raise_none(qtbot: QtBot, opened: Any, am: Server) -> None:
    name = unique("Quiet")
    post_alert(am.url, {"alertname": name, "severity": "critical", "component": "workers"}, "x")
    one = opened(notifications=False)
    qtbot.waitUntil(lambda: alert_item(one.page, name) is not None, timeout=WAIT_MS)
    reads(one.controller, qtbot, 2)
    assert one.notifier.raised == []


# -- roles -----------------------------------------------------------------------------


def test_a_viewer_sees_the_silence_controls_disabled_and_why(
    qtbot: QtBot, opened: Any, am: Server
) -> None:
    name, task = "HighCeleryTaskFailureRate", unique("sync.")
    post_alert(am.url, {"alertname": name, "severity": "warning", "component": "tasks",
                        "name": task}, "fails often")  # fmt: skip
    now = datetime.now(UTC)
    reply = httpx.post(f"{am.url}/api/v2/silences", json={
        "matchers": [{"name": "alertname", "value": unique("Other"), "isRegex": False}],
        "startsAt": iso(now), "endsAt": iso(now + timedelta(hours=1)),
        "createdBy": "someone", "comment": "for the viewer to see"}, timeout=5)  # fmt: skip
    assert reply.status_code == 200, reply.text
    silence_id = reply.json()["silenceID"]
    page = opened("viewer").page
    select_alert(qtbot, page, name)
    assert not page.silence_button.isEnabled()
    assert "needs the admin role" in page.silence_button.toolTip()
    assert "viewer" in page.silence_button.toolTip()
    qtbot.waitUntil(lambda: any(s.silence_id == silence_id for s in page.silences), timeout=WAIT_MS)
    row = next(r for r in range(page.silence_table.rowCount())
               if page.silence_table.item(r, 2).text() == "for the viewer to see")  # type: ignore[union-attr]  # fmt: skip
    page.silence_table.selectRow(row)
    assert page.selected_silence() is not None
    for button in (page.extend_button, page.expire_button):
        assert not button.isEnabled() and "needs the admin role" in button.toolTip()
    # Reading stays theirs: the page the alert concerns (the failures of that task).
    with qtbot.waitSignal(page.open_target, timeout=5_000) as wanted:
        qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert wanted.args == ["task", task]


# -- a real rule -----------------------------------------------------------------------


def test_a_worker_stopped_fires_its_rule_and_the_page_shows_it_critical(
    qtbot: QtBot, opened: Any, stack_dir: Path, backend: Server, broker: Server, am: Server
) -> None:
    """CeleryWorkerDown (for: 2m, shortened to 6 s) through a Prometheus of the test's own."""
    worker_name = unique("alertw")
    hostname = f"{worker_name}@taskdeck"
    with running_prometheus(stack_dir / "prom", backend, am, interval="1s", rules_factor=0.05):
        worker = start_worker(stack_dir, broker.url, worker_name, concurrency=1,
                              queues="default", env=FAST_WORKLOAD)  # fmt: skip
        try:
            with api(backend.url) as client:
                wait_for(lambda: any(w["hostname"] == hostname and w["status"] == "online"
                                     for w in client.get("/api/v1/workers").json()),
                         20, "the backend to see the worker")  # fmt: skip
        finally:
            worker.stop()
        one = opened()
        page = one.page

        def down() -> AlertView | None:
            return next((a for g in page.groups for a in g.alerts
                         if a.name == "CeleryWorkerDown" and a.labels.get("hostname") == hostname),
                        None)  # fmt: skip

        qtbot.waitUntil(lambda: down() is not None, timeout=40_000)
    alert = down()
    assert alert is not None
    assert alert.severity == "critical" and alert.summary == f"Worker {hostname} is down"
    assert any(r.key == alert.key for r in one.notifier.raised)
    group = next(g for g in page.groups if alert in g.alerts)
    assert group.labels == {"alertname": "CeleryWorkerDown", "component": "workers"}
    assert group.receiver == "oncall-email"
    assert target_of(alert) == ("worker", hostname)
