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
import os
import signal
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidgetItem, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from console.controllers.alerts_controller import AlertsController
from console.models.alerts import AlertView, target_of
from console.services.alertmanager_client import AlertmanagerClient, AlertmanagerError
from console.services.backend_client import BackendClient
from console.views.alerts_page import COL_ALERT, COL_SEVERITY, COL_STATE, AlertsPage, KeyRole
from console.views.colours import BAD, INFO, WARN
from console.views.dialogs.silence_dialog import SilenceChangeDialog, SilenceDialog
from console.views.tray_notifier import TrayNotifier
from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import (
    running_alertmanager,
    running_backend,
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

    def open_as(role: str = "admin", notifications: bool = True, url: str | None = None,
                backend_url: str | None = None, token_of: str | None = None) -> Opened:  # fmt: skip
        alertmanager = AlertmanagerClient(url or am.url, timeout_s=2.0)
        client = BackendClient(backend_url or backend.url, TOKENS[token_of or role])
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
    assert group.text(4) == "receiver ops-email · 1 alert"
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
    # The project's inhibition: the critical alert of the component mutes its warnings.
    qtbot.waitUntil(lambda: (alert_item(page, warn) or QTreeWidgetItem()).text(COL_STATE)
                    == "inhibited", timeout=WAIT_MS)  # fmt: skip
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


@pytest.mark.parametrize("role", ["viewer", "support"])
def test_a_viewer_or_support_sees_the_silence_controls_disabled_and_why(
    qtbot: QtBot, opened: Any, am: Server, role: str
) -> None:
    name, task = "HighCeleryTaskFailureRate", unique("sync.")
    post_alert(am.url, {"alertname": name, "severity": "warning", "component": "tasks",
                        "name": task}, "fails often")  # fmt: skip
    now = datetime.now(UTC)
    reply = httpx.post(f"{am.url}/api/v2/silences", json={
        "matchers": [{"name": "alertname", "value": unique("Other"), "isRegex": False}],
        "startsAt": iso(now), "endsAt": iso(now + timedelta(hours=1)),
        "createdBy": "someone", "comment": f"for the {role} to see"}, timeout=5)  # fmt: skip
    assert reply.status_code == 200, reply.text
    silence_id = reply.json()["silenceID"]
    page = opened(role).page
    select_alert(qtbot, page, name)
    assert not page.silence_button.isEnabled()
    assert "needs the admin role" in page.silence_button.toolTip()
    assert role in page.silence_button.toolTip()
    qtbot.waitUntil(lambda: any(s.silence_id == silence_id for s in page.silences), timeout=WAIT_MS)
    row = next(r for r in range(page.silence_table.rowCount())
               if page.silence_table.item(r, 2).text() == f"for the {role} to see")  # fmt: skip
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
        # Silenced from the page while its rule still fires: in Alertmanager with the
        # comment and the profile's user, in the audit log, and shown silenced.
        assert page.select_alert(alert.key)
        dialog = open_dialog(qtbot, page, page.silence_button)
        comment = f"{worker_name} is being replaced"
        qtbot.keyClicks(dialog.comment, comment)
        confirm(qtbot, dialog)
        dialog.reject()
        silence = am_silence(am.url, comment)
        assert silence is not None and silence["createdBy"] == "admin-user"
        assert {m["name"]: m["value"] for m in silence["matchers"]}["hostname"] == hostname
        with api(backend.url) as client:
            entries = client.get("/api/v1/audit", params={"action": "silence_create"}).json()
        assert any(e["reason"] == comment for e in entries["items"])
        qtbot.waitUntil(lambda: (down() or alert).state == "silenced", timeout=WAIT_MS)
    assert alert.severity == "critical" and alert.summary == f"Worker {hostname} is down"
    assert [r.key for r in one.notifier.raised].count(alert.key) == 1  # once, not per read
    group = next(g for g in page.groups if any(a.key == alert.key for a in g.alerts))
    assert group.labels == {"alertname": "CeleryWorkerDown", "component": "workers"}
    assert group.receiver == "oncall-email"
    assert target_of(alert) == ("worker", hostname)


# -- silences --------------------------------------------------------------------------


def open_dialog(qtbot: QtBot, page: AlertsPage, button: Any) -> Any:
    qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=5_000)
    return page.dialog


def confirm(qtbot: QtBot, dialog: SilenceDialog | SilenceChangeDialog) -> str:
    assert dialog.confirm.isEnabled(), dialog.hint.text()
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    assert not dialog.confirm.isEnabled()  # a second click sends nothing
    qtbot.waitUntil(lambda: dialog.answer_text() != "", timeout=WAIT_MS)
    return dialog.answer_text()


def select_silence(qtbot: QtBot, page: AlertsPage, silence_id: str) -> None:
    def row() -> int:
        return next((r for r in range(page.silence_table.rowCount())
                     if (page.silence_table.item(r, 0) or QTableWidgetItem()).data(KeyRole)
                     == silence_id), -1)  # fmt: skip

    qtbot.waitUntil(lambda: row() >= 0, timeout=WAIT_MS)
    item = page.silence_table.item(row(), 0)
    assert item is not None
    rect = page.silence_table.visualItemRect(item)
    qtbot.mouseClick(page.silence_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: page.silence_id == silence_id, timeout=5_000)


def am_silence(url: str, comment: str) -> dict[str, Any] | None:
    return next((s for s in am_silences(url) if s["comment"] == comment), None)


def test_an_admin_silences_an_alert_from_the_page_then_extends_and_expires_the_silence(
    qtbot: QtBot, opened: Any, am: Server, backend: Server
) -> None:
    name = unique("SyncSlow")
    post_alert(am.url, {"alertname": name, "severity": "warning", "component": "queues",
                        "queue_name": "erp", "instance": "backend:8400"}, "erp backs up")  # fmt: skip
    one = opened()
    page, alertmanager = one.page, one.clients[0]

    def firing() -> list[str]:  # what the Overview counts: neither silenced nor inhibited
        return [a["labels"]["alertname"] for a in run_coro(qtbot, alertmanager.firing())]

    select_alert(qtbot, page, name)
    assert name in firing()
    dialog = open_dialog(qtbot, page, page.silence_button)
    assert isinstance(dialog, SilenceDialog)
    # Prefilled from the alert's labels; the instance row removed, the queue made a regex.
    rows = {m.name: m.value for m in dialog.matcher_values()}
    assert rows == {"alertname": name, "component": "queues", "instance": "backend:8400",
                    "queue_name": "erp", "severity": "warning"}  # fmt: skip
    instance_row = [m.name for m in dialog.matcher_values()].index("instance")
    dialog.matchers.selectRow(instance_row)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    queue_row = [m.name for m in dialog.matcher_values()].index("queue_name")
    dialog.matchers.item(queue_row, 1).setText("erp|crm")  # type: ignore[union-attr]
    dialog.matchers.item(queue_row, 2).setCheckState(Qt.CheckState.Checked)  # type: ignore[union-attr]
    # The end is chosen as "in" so long or a custom end: the label says "Ends", not "Duration".
    label = dialog.form.labelForField(dialog.end)
    assert isinstance(label, QLabel) and label.text() == "Ends:"
    choices = [dialog.end.choice.itemText(i) for i in range(dialog.end.choice.count())]
    assert choices == ["in 1 hour", "in 4 hours", "in 1 day", "Custom end…"]
    dialog.end.choice.setCurrentIndex(1)  # in 4 hours
    assert not dialog.confirm.isEnabled() and "comment" in dialog.hint.text()
    comment = f"erp maintenance {uuid.uuid4().hex[:6]}"
    qtbot.keyClicks(dialog.comment, comment)
    answer = confirm(qtbot, dialog)
    assert "created by admin-user" in answer and "audit entry" in answer
    assert not dialog.confirm.isVisible() and not dialog.comment.isEnabled()  # once
    dialog.reject()
    silence = am_silence(am.url, comment)
    assert silence is not None and silence["createdBy"] == "admin-user"
    assert silence["status"]["state"] == "active"
    matchers = {m["name"]: (m["value"], m["isRegex"]) for m in silence["matchers"]}
    assert matchers["queue_name"] == ("erp|crm", True) and "instance" not in matchers
    ends = datetime.fromisoformat(silence["endsAt"].replace("Z", "+00:00"))
    assert abs(ends - (datetime.now(UTC) + timedelta(hours=4))) < timedelta(minutes=1)
    with api(backend.url) as client:
        entries = client.get("/api/v1/audit", params={"action": "silence_create"}).json()["items"]
    assert any(e["reason"] == comment and e["user"] == "admin-user" for e in entries)
    # The page re-reads: the alert silenced by it, the silence listed.
    qtbot.waitUntil(lambda: (shown_alert(page, name) or AlertView("", {}, {}, "", 0, "")).state
                    == "silenced", timeout=WAIT_MS)  # fmt: skip
    assert alert_item(page, name).text(COL_STATE) == "silenced"  # type: ignore[union-attr]
    assert silence["id"] in shown_alert(page, name).silenced_by  # type: ignore[union-attr]
    assert page.result.text() == answer
    assert name not in firing()
    # Extend it by a day from its end.
    select_silence(qtbot, page, silence["id"])
    row = page.silence_table.currentRow()
    assert page.silence_table.item(row, 1).text() == "admin-user"
    shown = next(s for s in page.silences if s.silence_id == silence["id"])
    assert page.silence_table.item(row, 0).toolTip() == shown.matchers_text()
    extend = open_dialog(qtbot, page, page.extend_button)
    assert isinstance(extend, SilenceChangeDialog) and extend.end is not None
    label = extend.form.labelForField(extend.end)
    assert isinstance(label, QLabel) and label.text() == "New end:"
    qtbot.keyClicks(extend.reason, "the maintenance runs long")
    # An end before the current one (yet not in the past) is refused in the dialog.
    extend.end.set_custom((ends - timedelta(hours=1)).astimezone())
    assert not extend.confirm.isEnabled()
    assert extend.hint.text().startswith("The new end must be after the current end, ")
    extend.end.choice.setCurrentIndex(2)  # 1 day later
    answer = confirm(qtbot, extend)
    # Changed in place: the same id, not "replacing" itself; ending tomorrow, with its date.
    assert answer.startswith(f"Silence {silence['id']} extended until "), answer
    assert "replacing" not in answer
    assert (ends + timedelta(days=1)).astimezone().strftime("%Y-%m-%d") in answer
    extend.reject()
    extended = am_silence(am.url, comment)
    assert extended is not None and extended["status"]["state"] == "active"
    new_end = datetime.fromisoformat(extended["endsAt"].replace("Z", "+00:00"))
    assert abs(new_end - (ends + timedelta(days=1))) < timedelta(minutes=1)
    # Expire it, with a reason: expired in Alertmanager, the alert active again.
    qtbot.waitUntil(lambda: any(s.silence_id == extended["id"] and s.state == "active"
                                and abs(s.ends_at - new_end.timestamp()) < 60
                                for s in page.silences), timeout=WAIT_MS)  # fmt: skip
    select_silence(qtbot, page, extended["id"])
    expire = open_dialog(qtbot, page, page.expire_button)
    assert isinstance(expire, SilenceChangeDialog) and expire.end is None
    assert not expire.confirm.isEnabled() and expire.hint.text() == "Give a reason."
    qtbot.keyClicks(expire.reason, "maintenance done")
    answer = confirm(qtbot, expire)
    assert f"Silence {extended['id']} expired" in answer
    expire.reject()
    assert (am_silence(am.url, comment) or {})["status"]["state"] == "expired"
    qtbot.waitUntil(lambda: (shown_alert(page, name) or AlertView("", {}, {}, "", 0, "")).state
                    == "active", timeout=WAIT_MS)  # fmt: skip
    # Expired silences are hidden unless asked for.
    qtbot.waitUntil(lambda: page.silence_id is None, timeout=WAIT_MS)
    comments = [page.silence_table.item(r, 2).text()
                for r in range(page.silence_table.rowCount())]  # fmt: skip
    assert comment not in comments
    page.show_expired.setChecked(True)
    comments = [page.silence_table.item(r, 2).text()
                for r in range(page.silence_table.rowCount())]  # fmt: skip
    assert comment in comments


def test_no_comment_or_an_end_in_the_past_is_refused_and_nothing_is_created(
    qtbot: QtBot, opened: Any, am: Server
) -> None:
    name = unique("Refused")
    post_alert(am.url, {"alertname": name, "severity": "info", "component": "quotas"}, "x")
    page = opened().page
    before = len(am_silences(am.url))
    select_alert(qtbot, page, name)
    dialog = open_dialog(qtbot, page, page.silence_button)
    assert isinstance(dialog, SilenceDialog)
    assert not dialog.confirm.isEnabled()
    assert dialog.hint.text() == "Give a comment: why are these alerts silenced?"
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)  # refused: nothing sent
    qtbot.keyClicks(dialog.comment, "   ")
    assert not dialog.confirm.isEnabled()
    qtbot.keyClicks(dialog.comment, "a comment")
    assert dialog.confirm.isEnabled() and dialog.hint.text() == ""
    dialog.end.set_custom(datetime.now() - timedelta(hours=1))
    assert not dialog.confirm.isEnabled()
    assert dialog.hint.text() == "The end is in the past: choose a later one."
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    dialog.end.set_custom(datetime.now() + timedelta(days=2))
    assert dialog.confirm.isEnabled()
    dialog.matchers.item(0, 0).setText("bad name")  # type: ignore[union-attr]
    assert not dialog.confirm.isEnabled() and "is not a label name" in dialog.hint.text()
    dialog.reject()
    assert dialog.answer_text() == ""
    assert len(am_silences(am.url)) == before


def test_a_refusal_is_said_in_words_and_changes_nothing(
    qtbot: QtBot, opened: Any, am: Server, broker: Server, stack_dir: Path
) -> None:
    name = unique("Refusal")
    post_alert(am.url, {"alertname": name, "severity": "warning", "component": "tasks"}, "x")
    before = len(am_silences(am.url))

    def try_silence(page: AlertsPage) -> str:
        select_alert(qtbot, page, name)
        dialog = open_dialog(qtbot, page, page.silence_button)
        qtbot.keyClicks(dialog.comment, "should not happen")
        answer = confirm(qtbot, dialog)
        assert dialog.confirm.isVisible() and dialog.confirm.isEnabled()  # to try again
        dialog.reject()
        return answer

    # The profile believed its role was admin; the backend knows the token as support's.
    answer = try_silence(opened("admin", token_of="support").page)
    assert answer.startswith("Only an admin can create, extend or expire silences")
    # A backend whose Alertmanager does not answer.
    dead = f"http://127.0.0.1:{free_port()}"
    with running_backend(stack_dir / "deaf", broker.url,
                         {**ROOMY, "TASKDECK_ALERTMANAGER_URL": dead}) as deaf:  # fmt: skip
        answer = try_silence(opened(backend_url=deaf.url).page)
    assert answer.startswith("Alertmanager is not reachable from the backend; nothing was changed")
    assert len(am_silences(am.url)) == before


def test_a_silence_alertmanager_may_have_made_is_not_offered_again_and_is_read_again(
    qtbot: QtBot, opened: Any, am: Server, broker: Server, stack_dir: Path
) -> None:
    name = unique("Hung")
    post_alert(am.url, {"alertname": name, "severity": "warning", "component": "tasks"}, "x")
    run_dir = stack_dir / "hung"
    with running_alertmanager(run_dir) as hung, running_backend(
        run_dir, broker.url, {**ROOMY, "TASKDECK_ALERTMANAGER_URL": hung.url,
                              "TASKDECK_ALERTMANAGER_TIMEOUT_S": "0.5"},
    ) as backend:  # fmt: skip
        one = opened(backend_url=backend.url)
        page = one.page
        select_alert(qtbot, page, name)
        dialog = open_dialog(qtbot, page, page.silence_button)
        qtbot.keyClicks(dialog.comment, "sent into the hang")
        read: list[float] = []
        os.killpg(hung.proc.pid, signal.SIGSTOP)
        try:
            # A read of a hung Alertmanager says why in words, not an empty timeout's text.
            with pytest.raises(AlertmanagerError, match=r"did not answer within 0\.3 s"):
                run_coro(qtbot, AlertmanagerClient(hung.url, timeout_s=0.3).silences())
            one.controller.read_ok.connect(read.append)
            answer = confirm(qtbot, dialog)
        finally:
            os.killpg(hung.proc.pid, signal.SIGCONT)
        assert answer.startswith("Alertmanager got the change but did not answer in time, so it "
                                 "may have been made"), answer  # fmt: skip
        assert "nothing was changed" not in answer
        # Not offered again as it is; the page reads the silences again.
        assert dialog.confirm.isVisible() and not dialog.confirm.isEnabled()
        assert "may have been done" in dialog.hint.text()
        qtbot.waitUntil(lambda: len(read) >= 1, timeout=WAIT_MS)
        qtbot.keyClicks(dialog.comment, ", changed")
        assert dialog.confirm.isEnabled()
        dialog.reject()
