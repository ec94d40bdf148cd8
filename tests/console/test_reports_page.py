"""The Reports page as a user drives it, against the real backend, worker, Prometheus and
Alertmanager of the test stack: a report of the last hour as HTML whose figures are the
backend's own, a folder of CSV tables, a 24-hour PDF, a cancel while collecting that leaves
nothing written, a source down said as "Not in this report", and destinations that cannot
be written said in words with no file left."""

from __future__ import annotations

import asyncio
import csv
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, Qt, QUrl
from pytestqt.qtbot import QtBot

from console.controllers.reports_controller import ReportMade, ReportsController
from console.reports.collect import SECTIONS
from console.services.alertmanager_client import AlertmanagerClient
from console.services.backend_client import BackendClient
from console.services.prometheus_reader import PrometheusReader
from console.views.reports_page import ReportsPage
from taskdeck_dev.procs import LOOPBACK, ManagedProcess, free_port
from tests.conftest import TOKENS, Server
from tests.console.conftest import run_coro
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration
ENVIRONMENT = "staging-eu"
WAIT_MS = 30_000
SYNC = "data_sync.sync_single_file"


@pytest.fixture(scope="module")
def finished(celery_worker: ManagedProcess, backend_server: Server) -> dict[str, int]:
    """Tasks that succeeded and failed in the last hour, all ended: the ledger's statistics
    of the last hour as the backend answers them."""
    marker = uuid.uuid4().hex[:8]
    with api(backend_server.url, "admin") as admin:

        def submit(file_id: str, **kwargs: Any) -> str:
            body = {"name": SYNC, "args": [file_id, "alice"], "kwargs": kwargs,
                    "queue": "data_sync", "user": "alice"}  # fmt: skip
            reply = admin.post("/api/v1/tasks", json=body)
            assert reply.status_code == 202, reply.text
            return str(reply.json()["task_id"])

        ids = [submit(f"page-{marker}-{n}") for n in range(4)]
        ids += [submit(f"page-bad-{marker}-{n}", bogus=n) for n in range(2)]

        def ended() -> bool:
            states = [admin.get(f"/api/v1/tasks/{t}").json().get("state") for t in ids]
            return all(s in ("SUCCESS", "FAILURE") for s in states)

        wait_for(ended, 30, "the tasks to end")
        stats = admin.get("/api/v1/stats/tasks", params={"window_s": 3600}).json()
    assert stats["succeeded"] >= 4 and stats["failed"] >= 2, stats
    return {"succeeded": int(stats["succeeded"]), "failed": int(stats["failed"])}


class Opened:
    def __init__(self, page: ReportsPage, controller: ReportsController) -> None:
        self.page, self.controller = page, controller
        self.percents: list[int] = []
        controller.progress.connect(lambda percent, _what: self.percents.append(percent))
        self.opened: list[str] = []  # what Open and Show folder handed to the desktop
        page.open_url = self._open

    def _open(self, url: QUrl | str) -> bool:
        self.opened.append(QUrl(url).toLocalFile())
        return True


@pytest.fixture
def open_page(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend_server: Server,
    prometheus_server: Server, alertmanager_server: Server,
) -> Iterator[Callable[..., Opened]]:  # fmt: skip
    """Opens the page on the test stack (Prometheus at ``prometheus_url`` if given)."""
    made: list[tuple[ReportsController, BackendClient, PrometheusReader, AlertmanagerClient]] = []

    def open_it(prometheus_url: str | None = None, timeout_s: float = 5.0) -> Opened:
        backend = BackendClient(backend_server.url, TOKENS["admin"])
        prometheus = PrometheusReader(prometheus_url or prometheus_server.url, timeout_s=timeout_s)
        alertmanager = AlertmanagerClient(alertmanager_server.url)
        controller = ReportsController(ENVIRONMENT, backend, prometheus, alertmanager)
        made.append((controller, backend, prometheus, alertmanager))
        page = ReportsPage()
        qtbot.addWidget(page)
        page.resize(1000, 600)
        page.show()
        page.attach(controller)
        return Opened(page, controller)

    yield open_it
    for controller, backend, prometheus, alertmanager in made:
        run_coro(qtbot, controller.aclose())
        run_coro(qtbot, backend.aclose())
        run_coro(qtbot, alertmanager.aclose())
        prometheus.close()


def choose(page: ReportsPage, window: str, fmt: str, destination: Path,
           sections: set[str] | None = None) -> None:  # fmt: skip
    page.window_choice.setCurrentIndex(page.window_choice.findData(window))
    page.format_choice.setCurrentIndex(page.format_choice.findData(fmt))
    for key, box in page.sections.items():
        box.setChecked(sections is None or key in sections)
    page.destination.setText(str(destination))


def make(qtbot: QtBot, opened: Opened, timeout_ms: int = WAIT_MS) -> ReportMade:
    page = opened.page
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.made is not None or bool(page.message_text()), timeout=timeout_ms)
    assert page.made is not None, page.message_text()
    assert page.progress.value() == 100
    assert page.result.isVisible() and page.make_button.isEnabled()
    assert not page.cancel_button.isVisible()
    return page.made


def figure_html(label: str, value: int) -> str:
    return f'<div class="label">{label}</div><div class="value">{value:,}</div>'


def test_the_last_hour_as_html_holds_the_backends_numbers_and_opens(
    qtbot: QtBot, open_page: Callable[..., Opened], finished: dict[str, int], tmp_path: Path
) -> None:
    opened = open_page()
    page = opened.page
    # The proposed destination: the Documents folder, named after the environment and window.
    choose(page, "1h", "html", tmp_path / "unused.html")
    page.destination.clear()
    page._propose_path()
    proposed = Path(page.destination.text())
    assert proposed.name.startswith(f"taskdeck-{ENVIRONMENT}-") and proposed.name.endswith(
        "-1h.html"
    ), proposed
    target = tmp_path / "last-hour.html"
    page.destination.setText(str(target))
    assert page.cancel_button.isHidden()
    made = make(qtbot, opened)
    assert made.path == target and made.missing == ()
    # The bar went from collecting (0–80) to writing (80) to done (100), never back.
    assert opened.percents[0] == 0 and opened.percents[-2:] == [80, 100]
    assert any(0 < p < 80 for p in opened.percents)
    assert opened.percents == sorted(opened.percents)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last-hour.html"]
    text = target.read_text(encoding="utf-8")
    assert ENVIRONMENT in text
    # The numbers are the ledger's statistics for the last hour (all its tasks had ended).
    assert figure_html("Succeeded in the window", finished["succeeded"]) in text
    assert figure_html("Failed in the window", finished["failed"]) in text
    assert str(target) in page.result_path.text()
    assert page.missing.isHidden() and not page.message_text()
    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.folder_button, Qt.MouseButton.LeftButton)
    assert opened.opened == [str(target), str(tmp_path)]


def test_csv_writes_a_folder_of_the_chosen_sections_tables(
    qtbot: QtBot, open_page: Callable[..., Opened], finished: dict[str, int], tmp_path: Path
) -> None:
    opened = open_page()
    folder = tmp_path / "tables"
    choose(opened.page, "1h", "csv", folder, {"summary", "failures"})
    made = make(qtbot, opened)
    names = {p.name for p in folder.iterdir()}
    assert {"summary.csv", "tasks_by_state.csv", "busiest_queues.csv",
            "failure_groups.csv"} <= names, names  # fmt: skip
    assert not names & {"audit.csv", "quotas.csv", "alerts.csv"}, names  # not chosen
    assert set(made.files) == {folder / n for n in names}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]  # no staging folder left
    with (folder / "summary.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert ["Summary", "Succeeded in the window", f"{finished['succeeded']:,}"] in rows, rows
    assert opened.page.open_button.isHidden()
    qtbot.mouseClick(opened.page.folder_button, Qt.MouseButton.LeftButton)
    assert opened.opened == [str(folder)]


def test_a_24_hour_pdf_is_written_quickly(
    qtbot: QtBot, open_page: Callable[..., Opened], finished: dict[str, int], tmp_path: Path
) -> None:
    opened = open_page()
    target = tmp_path / "day.pdf"
    choose(opened.page, "24h", "pdf-a4", target)
    made = make(qtbot, opened)
    assert target.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["day.pdf"]
    # Written on the writing thread, then renamed into place (about 0.03 s here).
    assert made.write_s < 2.0, made.write_s


def test_cancel_while_collecting_writes_nothing(
    qtbot: QtBot, open_page: Callable[..., Opened], listening_port: int, tmp_path: Path
) -> None:
    # Prometheus here accepts connections and never answers: the collection waits on it.
    opened = open_page(f"http://{LOOPBACK}:{listening_port}", timeout_s=30.0)
    page = opened.page
    choose(page, "1h", "pdf-a4", tmp_path / "never.pdf")
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    assert page.cancel_button.isVisible() and not page.make_button.isEnabled()
    # The sections that need only the backend are done; those waiting on Prometheus are not.
    qtbot.waitUntil(lambda: page.progress.value() > 0, timeout=WAIT_MS)
    assert page.progress.value() < 80 and opened.controller.busy
    began = time.monotonic()
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not opened.controller.busy, timeout=5_000)
    assert time.monotonic() - began < 2.0
    assert "Cancelled" in page.message_text() and "no report was written" in page.message_text()
    assert page.made is None and page.result.isHidden() and page.make_button.isEnabled()
    assert list(tmp_path.iterdir()) == []


def test_a_source_down_is_said_as_not_in_this_report(
    qtbot: QtBot, open_page: Callable[..., Opened], tmp_path: Path
) -> None:
    closed = f"http://{LOOPBACK}:{free_port()}"  # nothing listens: refused at once
    opened = open_page(closed)
    target = tmp_path / "partial.html"
    choose(opened.page, "1h", "html", target, {"summary", "trends"})
    made = make(qtbot, opened)
    assert made.missing and target.exists()
    warning = opened.page.missing
    assert warning.isVisible() and warning.text().startswith("Not in this report")
    assert "Prometheus" in warning.text() and made.missing[0] in warning.text()


def test_what_cannot_be_written_is_said_and_leaves_no_file(
    qtbot: QtBot, open_page: Callable[..., Opened], tmp_path: Path
) -> None:
    opened = open_page()
    page = opened.page
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    # A destination under a file.
    choose(page, "1h", "html", a_file / "report.html", {"audit"})
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    assert "is not a folder" in page.message_text() and str(a_file) in page.message_text()
    assert not opened.controller.busy and page.made is None
    # A window that ends before it starts, and no section.
    choose(page, "custom", "html", tmp_path / "r.html", {"audit"})
    now = QDateTime.currentDateTime()
    page.window_from.setDateTime(now)
    page.window_to.setDateTime(now.addSecs(-3600))
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    assert "ends before it starts" in page.message_text()
    choose(page, "1h", "html", tmp_path / "r.html", set())
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    assert "at least one section" in page.message_text()
    # The folder goes away while the report is collected: the renderer's own words.
    gone = tmp_path / "gone"
    gone.mkdir()
    choose(page, "1h", "html", gone / "r.html", {"audit"})
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    gone.rmdir()
    qtbot.waitUntil(lambda: bool(page.message_text()), timeout=WAIT_MS)
    assert page.message_text().startswith("The report could not be written: ")
    assert "does not exist" in page.message_text(), page.message_text()
    assert page.made is None and page.progress.isHidden() and page.make_button.isEnabled()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert a_file.read_text() == "keep me"
    assert set(SECTIONS) == set(page.sections)


def test_clear_forgets_the_environment(
    qtbot: QtBot, open_page: Callable[..., Opened], tmp_path: Path
) -> None:
    opened = open_page()
    page = opened.page
    choose(page, "1h", "html", tmp_path / "r.html", {"audit"})
    make(qtbot, opened)
    page.clear()
    assert page.controller is None and page.result.isHidden() and page.made is None
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    assert "Not connected" in page.message_text()


def pdf_pages(path: Path) -> list[str]:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60)  # fmt: skip
    return done.stdout.split("\f")[:-1]


def test_a_window_before_any_task_says_it_holds_no_data(
    qtbot: QtBot, open_page: Callable[..., Opened], finished: dict[str, int], tmp_path: Path
) -> None:
    opened = open_page()
    page = opened.page
    statuses: list[str] = []
    page.status.connect(statuses.append)
    # A week in 2020, long before the test stack held anything.
    since = QDateTime.fromString("2020-01-01 00:00", "yyyy-MM-dd HH:mm")
    page.window_choice.setCurrentIndex(page.window_choice.findData("custom"))
    page.window_from.setDateTime(since)
    page.window_to.setDateTime(since.addDays(7))
    written: dict[str, ReportMade] = {}
    for fmt, name in (("html", "empty.html"), ("pdf-a4", "empty.pdf"), ("csv", "tables")):
        page.format_choice.setCurrentIndex(page.format_choice.findData(fmt))
        for box in page.sections.values():
            box.setChecked(True)
        page.destination.setText(str(tmp_path / name))
        written[fmt] = make(qtbot, opened)
        assert written[fmt].empty.startswith("The window holds no data")
        assert "the window holds no data" in statuses[-1], statuses
        assert "holds no data" in page.message_text()
    # HTML: said under the title, and each empty table says what it lacks in words.
    text = (tmp_path / "empty.html").read_text(encoding="utf-8")
    assert '<p class="empty-window" role="note">The window holds no data' in text
    for said in ("The window holds no tasks", "No task was created in the window.",
                 "No task failed in the window.", "No audit entry was made in the window.",
                 "No alert fired in the window.", "No samples in this window.",
                 "Prometheus holds no samples of these plots in the window."):  # fmt: skip
        assert said in text, said
    # PDF: on the first page, and in the sections.
    pages = pdf_pages(tmp_path / "empty.pdf")
    assert "The window holds no data" in pages[0]
    rest = re.sub(r"\s+", " ", "\n".join(pages[1:]))
    for said in ("The window holds no tasks", "No task was created in the window.",
                 "No task failed in the window.", "No audit entry was made in the window.",
                 "no data in this window"):  # fmt: skip
        assert said in rest, said
    # CSV: the tables' headers and no rows.
    with (tmp_path / "tables" / "tasks_by_state.csv").open(encoding="utf-8-sig") as f:
        assert list(csv.reader(f)) == [["state", "tasks", "share (%)"]]
    with (tmp_path / "tables" / "audit.csv").open(encoding="utf-8-sig") as f:
        assert len(list(csv.reader(f))) == 1
    # The last hour is not empty: no such words.
    choose(page, "1h", "html", tmp_path / "hour.html", {"summary"})
    made = make(qtbot, opened)
    assert made.empty == "" and "holds no data" not in page.message_text()
    assert "holds no data" not in (tmp_path / "hour.html").read_text(encoding="utf-8")
