"""A snapshot saved from a stack with traffic (failures, a retry, a silence, messages
waiting, a worker gone) opens in the console after that stack is stopped: every page shows
what the stack held, checked against what its servers said before they stopped, and
every action is refused. A damaged file, another format and a newer version are refused
with a message that says which, and leave the console as it was."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from PySide6.QtWidgets import QFileDialog, QLabel
from pytestqt.qtbot import QtBot

from console.app import Console
from console.domain import clock
from console.domain.live import FAILED_WINDOW_S
from console.reports.collect import ReportSources, collect_report
from console.snapshot.file import FORMAT, VERSION, Snapshot, write_snapshot
from console.snapshot.read_only import read_only_text
from taskdeck_core.transport import priority_list_names
from taskdeck_dev.stack import (
    running_alertmanager,
    running_backend,
    running_prometheus,
    running_redis,
    start_worker,
)
from tests.conftest import FAST_WORKLOAD, ROOMY, TOKENS
from tests.console.conftest import run_coro
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration

SYNC = "data_sync.sync_single_file"
USER = "zhang.wei"
WAITING_QUEUE = "default"  # its messages wait: the only worker is stopped first
WORKER = "snapworker@taskdeck"
REPORT = Path(sys.executable).with_name("taskdeck-report")


def submit(client: httpx.Client, file_id: str, queue: str = "data_sync", **kwargs: Any) -> str:
    body = {"name": SYNC, "args": [file_id, USER], "kwargs": kwargs, "queue": queue,
            "user": USER}  # fmt: skip
    reply = client.post("/api/v1/tasks", json=body)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["task_id"])


def state(client: httpx.Client, task_id: str) -> str | None:
    reply = client.get(f"/api/v1/tasks/{task_id}")
    return reply.json()["state"] if reply.status_code == 200 else None


def prometheus_has(url: str, query: str) -> bool:
    reply = httpx.get(f"{url}/api/v1/query", params={"query": query}, timeout=5)
    return reply.status_code == 200 and bool(reply.json()["data"]["result"])


def choose_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The system's file dialogs answer ``path`` (they are not Qt widgets to click)."""
    answer = (str(path), "")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: answer)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: answer)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A stack of its own with traffic, and what its servers said, in the same moments
    the snapshot was taken (the snapshot itself is taken by the first test)."""
    run_dir = tmp_path_factory.mktemp("snapshot-stack")
    with contextlib.ExitStack() as started:
        redis_server = started.enter_context(running_redis(run_dir))
        alertmanager = started.enter_context(running_alertmanager(run_dir))
        backend = started.enter_context(running_backend(
            run_dir, redis_server.url, {**ROOMY, "TASKDECK_WORKER_TIMEOUT_S": "3",
                                        "TASKDECK_ALERTMANAGER_URL": alertmanager.url}))  # fmt: skip
        prometheus = started.enter_context(running_prometheus(
            run_dir, backend, alertmanager, interval="1s", rules_factor=0.05))  # fmt: skip
        worker = start_worker(run_dir, redis_server.url, "snapworker", concurrency=2,
                              env=FAST_WORKLOAD)  # fmt: skip
        started.callback(worker.stop)
        marker = uuid.uuid4().hex[:6]
        with api(backend.url, "admin") as admin:
            good = [submit(admin, f"文件-{marker}-{n}") for n in range(6)]
            bad = [submit(admin, f"s-bad-{marker}-{n}", bogus=n) for n in range(4)]
            wait_for(lambda: all(state(admin, t) == "SUCCESS" for t in good), 30, "successes")
            wait_for(lambda: all(state(admin, t) == "FAILURE" for t in bad), 30, "failures")
            reason = f"snapshot check {marker}"
            reply = admin.post(f"/api/v1/tasks/{bad[0]}/retry", json={"reason": reason})
            assert reply.status_code == 200, reply.text
            retried = reply.json()["new_task_id"]
            wait_for(lambda: state(admin, retried) in ("SUCCESS", "FAILURE"), 30, "the retry")
            worker.stop()  # the worker dies: it is shown offline, and messages wait
            waiting = [submit(admin, f"w-{marker}-{n}", queue=WAITING_QUEUE) for n in range(7)]
            now = time.time()
            silence = {
                "matchers": [{"name": "alertname", "value": "SnapshotCheck"}],
                "ends_at": datetime.fromtimestamp(now + 7200, UTC).isoformat(),
                "comment": f"快照 {marker}",
            }  # fmt: skip
            reply = admin.post("/api/v1/silences", json=silence)
            assert reply.status_code in (200, 201), reply.text
            wait_for(lambda: prometheus_has(prometheus.url, "celery_task_failed_total > 0"), 30,
                     "Prometheus to count the failures")  # fmt: skip
            # Enough samples of the waiting messages for a trend, and for rates to exist.
            seen = 'count_over_time(celery_queue_length{queue_name="default"}[1m]) >= 5'
            wait_for(lambda: prometheus_has(prometheus.url, seen), 30,
                     "Prometheus to see the waiting messages a few times")  # fmt: skip
        yield {
            "run_dir": run_dir, "redis": redis_server, "backend": backend,
            "prometheus": prometheus, "alertmanager": alertmanager, "good": good, "bad": bad,
            "waiting": waiting, "reason": reason, "marker": marker,
            "stop": started.close,
        }  # fmt: skip


def truth(saved: dict[str, Any]) -> dict[str, Any]:
    """What the stack's own servers say now."""
    with api(saved["backend"].url, "admin") as admin:
        stats = admin.get("/api/v1/stats/tasks", params={"window_s": FAILED_WINDOW_S}).json()
        workers = admin.get("/api/v1/workers").json()
        audit = admin.get("/api/v1/audit", params={"limit": 1000}).json()["items"]
        quotas = admin.get("/api/v1/quotas").json()
    broker = redis.Redis.from_url(saved["redis"].url)
    depth = sum(int(broker.llen(k)) for k in priority_list_names(WAITING_QUEUE))
    broker.close()
    return {
        "stats": {"failed": stats["failed"], "succeeded": stats["succeeded"]},
        "workers": sorted((w["hostname"], w["status"]) for w in workers),
        "audit": sorted((e["id"], e["reason"]) for e in audit),
        "quotas": sorted((q["user"], q["used"], q["limit"]) for q in quotas),
        "depth": depth,
    }


def test_a_snapshot_opens_after_its_stack_is_stopped_with_every_page_as_saved(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, saved: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    from console.app import build_console
    from console.domain.endpoints import SANDBOX_SETTINGS, Endpoints

    endpoints = Endpoints(saved["redis"].url, saved["backend"].url, saved["prometheus"].url,
                          saved["alertmanager"].url, backend_token=TOKENS["admin"],
                          transport=SANDBOX_SETTINGS)  # fmt: skip
    live = build_console(endpoints, "生产-east")
    qtbot.addWidget(live.window)
    live.window.resize(1366, 768)
    live.window.show()
    path = tmp_path / "east.tdsnap"
    choose_file(monkeypatch, path)
    try:
        # The live console has seen the stack; the user saves a snapshot from the menu.
        qtbot.waitUntil(
            lambda: live.queues_model.row_for(WAITING_QUEUE) is not None, timeout=20_000
        )
        before = truth(saved)
        assert before["depth"] == 7
        live.window.save_snapshot_action.trigger()
        qtbot.waitUntil(lambda: "Snapshot saved" in live.window.statusBar().currentMessage(),
                        timeout=60_000)  # fmt: skip
        assert path.is_file()
        after = truth(saved)
    finally:
        run_coro(qtbot, live.aclose())
    assert before == after  # nothing moved while the snapshot was taken
    # The stack stops: everything below comes from the file.
    saved["stop"]()
    with pytest.raises(httpx.ConnectError):
        httpx.get(saved["backend"].url + "/health", timeout=2)

    offline = Console()
    qtbot.addWidget(offline.window)
    offline.window.resize(1366, 768)
    offline.window.show()
    w = offline.window
    try:
        w.open_snapshot_action.trigger()
        qtbot.waitUntil(lambda: offline.link is not None, timeout=20_000)
        assert "SNAPSHOT" in w.banner.text() and "生产-east" in w.banner.text()
        assert "read-only" in w.windowTitle()
        taken = offline.snapshot.taken_at if offline.snapshot else 0.0
        assert clock.now() == taken  # ages and windows are the snapshot's, not today's
        assert offline.link is not None and not offline.link.alerts.notifications  # no news

        # Overview: the tiles as the ledger and the broker said.
        tiles = offline.overview_page.tiles
        stats = before["stats"]
        qtbot.waitUntil(lambda: tiles["failed"].value_text() == str(stats["failed"]),
                        timeout=15_000)  # fmt: skip
        assert stats["failed"] >= 4
        qtbot.waitUntil(lambda: tiles["queued"].value_text() == "7", timeout=15_000)
        plot = offline.overview_page.plots["queue_depth"]

        def plotted() -> bool:
            for key in plot.keys():
                x, y = plot.curve(key).getData()
                if x is not None and len(x) and float(max(x)) <= taken + 5:
                    return True
            return False

        qtbot.waitUntil(plotted, timeout=15_000)

        # Queues: the depth is the broker's LLEN sum, and the waiting messages are listed.
        def depth() -> int | None:
            row = offline.queues_model.row_for(WAITING_QUEUE)
            return row.depth if row is not None else None

        qtbot.waitUntil(lambda: depth() == before["depth"], timeout=15_000)
        w.show_page("queues")
        offline.queues_page.queues.select_key(WAITING_QUEUE)
        qtbot.waitUntil(lambda: offline.messages_model.rowCount() == 7, timeout=15_000)
        ids = {offline.messages_model.row_at(r).task_id for r in range(7)}
        assert ids == set(saved["waiting"])
        offline.queues_page.messages.table.selectRow(0)
        qtbot.waitUntil(lambda: bool(offline.queues_page.selected_task_ids()), timeout=5_000)
        assert not offline.queues_page.cancel_button.isEnabled()
        assert offline.queues_page.cancel_button.toolTip() == read_only_text()

        # Workers: the worker, as the backend listed it.
        hosts = {host for host, _status in before["workers"]}
        qtbot.waitUntil(lambda: offline.workers_model.row_for(WORKER) is not None, timeout=15_000)
        assert WORKER in hosts
        row = offline.workers_model.row_for(WORKER)
        assert row is not None and row.status == "offline"  # as the backend said: dead
        assert tiles["workers"].value_text() == "0 / 1"

        # Tasks: the failures, filtered in the snapshot; retrying is refused.
        w.show_page("tasks")
        page = offline.tasks_page
        from console.domain.task_query import TaskQuery

        page.set_query(TaskQuery(state="FAILURE"))

        def shown_tasks() -> list[Any]:
            model = offline.tasks_model
            return [t for r in range(model.rowCount()) if (t := model.task_at(r)) is not None]

        def shown_ids() -> set[str]:
            return {t.task_id for t in shown_tasks()}

        qtbot.waitUntil(lambda: set(saved["bad"]) <= shown_ids(), timeout=15_000)
        assert {t.state for t in shown_tasks()} == {"FAILURE"}
        page.table.selectRow(0)
        qtbot.waitUntil(lambda: page.table.selectionModel().hasSelection(), timeout=5_000)
        assert not page.retry_button.isEnabled()
        assert page.retry_button.toolTip() == read_only_text()

        # Audit: the retry, with its reason.
        w.show_page("audit")
        audit = offline.audit_page.model

        def reasons() -> set[str]:
            return {audit.row_at(r).reason for r in range(audit.rowCount())}

        qtbot.waitUntil(lambda: saved["reason"] in reasons(), timeout=15_000)
        assert len(reasons()) >= 1
        assert {reason for _id, reason in before["audit"]} == reasons()

        # Quotas: the user's row; changing it is refused.
        w.show_page("quotas")
        qtbot.waitUntil(lambda: offline.quotas_model.row_for(USER) is not None, timeout=15_000)
        assert {user for user, _used, _limit in before["quotas"]} == {
            offline.quotas_model.row_at(r).user for r in range(offline.quotas_model.rowCount())
        }
        assert not offline.quotas_page.default_button.isEnabled()

        # Alerts: the silence made through the backend; silencing is refused.
        w.show_page("alerts")
        alerts = offline.alerts_page
        qtbot.waitUntil(lambda: any(saved["marker"] in s.comment for s in alerts.silences),
                        timeout=15_000)  # fmt: skip
        assert not alerts.silence_button.isEnabled()

        # Connections: each service says it is the snapshot's file, not a live server.
        def from_file() -> bool:
            rows = offline.services_model.rows()
            return len(rows) == 4 and all(
                r.last_ok is not None and "as saved at" in r.last_ok.summary for r in rows
            )

        qtbot.waitUntil(from_file, timeout=15_000)
        assert all(path.name in r.target for r in offline.services_model.rows())
        assert "from the snapshot" in w.statusBar().findChildren(QLabel)[-1].text()

        # A report from the open snapshot, through the Reports page's own controller: the
        # ledger's figures of the snapshot's last hour, nothing missing.
        link = offline.link
        assert link is not None
        sources = ReportSources("east", link.backend, link.prometheus, link.alertmanager)
        report = run_coro(qtbot, collect_report(sources, taken - 3600, taken), 30_000)
        assert report.missing == ()
        summary = next(s_ for s_ in report.sections if s_.key == "summary")
        assert any(value == str(stats["failed"]) for _label, value in summary.figures), (
            summary.figures
        )
    finally:
        run_coro(qtbot, offline.aclose())
        clock.thaw()

    # And from the command line, as a scheduled job would: no server needed.
    out = tmp_path / "east.html"
    done = subprocess.run(
        [str(REPORT), "--snapshot", str(path), "--window", "1h", "--format", "html",
         "--out", str(out)], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert "生产-east" in html and saved["reason"] in html
    assert saved["bad"][0][:8] in html or saved["marker"] in html


def write_raw(path: Path, top: Any, compressed: bool = True) -> Path:
    data = json.dumps(top).encode()
    path.write_bytes(gzip.compress(data) if compressed else data)
    return path


def tiny_snapshot() -> Snapshot:
    return Snapshot(environment="small", taken_at=time.time() - 86400, window_s=3600.0,
                    sources={"backend": "http://127.0.0.1:1"})  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("damaged", "damaged TaskDeck snapshot"),
        ("foreign", "not a TaskDeck snapshot"),
        ("newer", "newer TaskDeck"),
        ("pdf", "PDF file"),
    ],
)
def test_a_file_that_cannot_be_opened_says_why_and_leaves_the_snapshot_shown(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, kind: str, said: str,
) -> None:  # fmt: skip
    good = tmp_path / "good.tdsnap"
    write_snapshot(tiny_snapshot(), good)
    bad = tmp_path / f"{kind}.tdsnap"
    if kind == "damaged":
        bad.write_bytes(good.read_bytes()[:-20])
    elif kind == "foreign":
        write_raw(bad, {"format": "something-else", "version": 1})
    elif kind == "newer":
        top = json.loads(gzip.decompress(good.read_bytes()))
        write_raw(bad, {**top, "version": VERSION + 1})
    else:
        bad.write_bytes(b"%PDF-1.4\n%...")
    console = Console()
    qtbot.addWidget(console.window)
    try:
        choose_file(monkeypatch, good)
        console.window.open_snapshot_action.trigger()
        qtbot.waitUntil(lambda: console.snapshot is not None, timeout=10_000)
        shown = console.snapshot
        title = console.window.windowTitle()
        choose_file(monkeypatch, bad)
        console.window.open_snapshot_action.trigger()
        qtbot.waitUntil(lambda: console.snapshot_problem is not None, timeout=10_000)
        box = console.snapshot_problem
        assert box is not None and said in box.text() and bad.name in box.text()
        assert "Traceback" not in box.text()
        assert console.snapshot is shown and console.window.windowTitle() == title
        box.accept()
    finally:
        run_coro(qtbot, console.aclose())
        clock.thaw()


def test_the_format_mark_and_version_are_written() -> None:
    data = json.loads(gzip.decompress(
        __import__("console.snapshot.file", fromlist=["to_bytes"]).to_bytes(tiny_snapshot())))  # fmt: skip
    assert data["format"] == FORMAT and data["version"] == VERSION


def test_leaving_a_snapshot_for_a_live_environment_thaws_the_clock_and_the_actions(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, endpoints: Any,
) -> None:  # fmt: skip
    saved_file = tmp_path / "old.tdsnap"
    write_snapshot(tiny_snapshot(), saved_file)
    console = Console()
    qtbot.addWidget(console.window)
    try:
        choose_file(monkeypatch, saved_file)
        console.window.open_snapshot_action.trigger()
        qtbot.waitUntil(lambda: console.snapshot is not None, timeout=10_000)
        assert clock.frozen() is not None
        assert not console.window.save_snapshot_action.isEnabled()
        run_coro(qtbot, console.switch(endpoints, "live"))
        assert console.snapshot is None and clock.frozen() is None
        assert abs(clock.now() - time.time()) < 5
        assert "SNAPSHOT" not in console.window.banner.text()
        assert console.window.save_snapshot_action.isEnabled()
        # The admin token's role comes back: the Tasks page may retry again.
        qtbot.waitUntil(lambda: console.tasks_page.role == "admin", timeout=10_000)
    finally:
        run_coro(qtbot, console.aclose())
        clock.thaw()
