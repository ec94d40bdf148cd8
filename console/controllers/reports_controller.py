"""The Reports page's work: collect one environment's report over a window and write it
as PDF, HTML or a folder of CSV files, saying how far it got, and cancel it on request.

Collecting is a coroutine on the running loop (the window stays responsive). Writing
(laying out and painting a PDF, drawing the HTML's plots) runs on a thread of its own,
painting on QPdfWriter and QImage only (no widget, no QPixmap), so the window keeps
answering while thousands of rows are laid out. The thread writes under a temporary
name; back on the loop the file is renamed into place. A cancel stops the thread at its
next page and removes what it wrote, so a cancel at any moment leaves nothing written.
No widgets here: the page shows what the signals say.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import logging
import math
import os
import re
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import write_problem
from console.reports.collect import SECTION_TITLES, SECTIONS, ReportSources, collect_report
from console.reports.model import Report
from console.reports.render import ReportWriteError, Staged, stage_report
from console.services.alertmanager_client import AlertmanagerClient
from console.services.backend_client import BackendClient
from console.services.prometheus_reader import MetricsSource
from console.tasks import TaskOwner

log = logging.getLogger(__name__)

# The windows offered, as (key, seconds, label); "custom" is from–to.
WINDOWS = (
    ("1h", 3600.0, QT_TRANSLATE_NOOP("ReportsController", "Last hour")),
    ("24h", 86400.0, QT_TRANSLATE_NOOP("ReportsController", "Last 24 hours")),
    ("7d", 7 * 86400.0, QT_TRANSLATE_NOOP("ReportsController", "Last 7 days")),
    ("30d", 30 * 86400.0, QT_TRANSLATE_NOOP("ReportsController", "Last 30 days")),
)
CUSTOM = "custom"
# The formats offered, as (key, label, file suffix; "" for a folder).
FORMATS = (
    ("pdf-a4", QT_TRANSLATE_NOOP("ReportsController", "PDF (A4)"), ".pdf"),
    ("pdf-letter", QT_TRANSLATE_NOOP("ReportsController", "PDF (Letter)"), ".pdf"),
    ("html", QT_TRANSLATE_NOOP("ReportsController", "HTML (one file)"), ".html"),
    ("csv", QT_TRANSLATE_NOOP("ReportsController", "CSV (a folder of tables)"), ""),
)
COLLECTING_SHARE = 80  # percent of the bar: collecting 0–80, writing 80–100
STOP_WAIT_S = 5.0  # how long a cancel waits for the writing thread to stop
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def choice_label(text: str) -> str:
    """A window's or a format's label (of WINDOWS, FORMATS), translated."""
    return QCoreApplication.translate("ReportsController", text)


def section_title(key: str) -> str:
    """A section's title, as the report itself titles it."""
    return QCoreApplication.translate("Report", SECTION_TITLES[key])


def suffix_of(fmt: str) -> str:
    return next(suffix for key, _label, suffix in FORMATS if key == fmt)


def span_label(seconds: float) -> str:
    """A window's length for a file name: 1h, 24h, 7d, 90m …"""
    for key, length, _label in WINDOWS:
        if abs(seconds - length) < 1:
            return key
    minutes = max(1, round(seconds / 60))
    if minutes < 120:
        return f"{minutes}m"
    hours = round(minutes / 60)
    return f"{hours}h" if hours < 72 else f"{round(hours / 24)}d"


def default_name(environment: str, end: float, seconds: float, fmt: str) -> str:
    """``taskdeck-<environment>-<yyyymmdd-hhmm>-<span>`` with the format's suffix."""
    safe = _UNSAFE.sub("_", environment).strip("._") or "environment"
    stamp = datetime.fromtimestamp(end).strftime("%Y%m%d-%H%M")
    return f"taskdeck-{safe}-{stamp}-{span_label(seconds)}{suffix_of(fmt)}"


@dataclass(frozen=True)
class ReportRequest:
    """One report to make: the window (epoch seconds), its sections, format and path."""

    start: float
    end: float
    sections: frozenset[str]
    fmt: str  # a key of FORMATS
    destination: Path  # the file; for CSV, the folder


@dataclass(frozen=True)
class ReportMade:
    """What was written: the path (the folder for CSV), its files, what is missing, and
    whether the window held no data (``empty``: the report's sentence saying so)."""

    path: Path
    files: tuple[Path, ...]
    missing: tuple[str, ...]
    fmt: str
    collect_s: float
    write_s: float
    empty: str = ""


def destination_problem(destination: Path, fmt: str) -> str | None:
    """Why ``destination`` cannot take the report, in words, or None if it looks writable."""
    if not str(destination).strip():
        return QCoreApplication.translate("ReportsController", "Choose where to write the report.")
    folder = destination.parent
    if fmt == "csv":
        if destination.exists() and not destination.is_dir():
            return QCoreApplication.translate(
                "ReportsController", "{path} is a file: choose a folder for the CSV files."
            ).format(path=destination)
    elif destination.is_dir():
        return QCoreApplication.translate(
            "ReportsController", "{path} is a folder: choose a file name."
        ).format(path=destination)
    # The nearest part of the path that exists must be a folder we may write in.
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return QCoreApplication.translate(
            "ReportsController", "{folder} is not a folder (it is a file): choose another place."
        ).format(folder=existing)
    if existing != folder:
        return QCoreApplication.translate(
            "ReportsController", "The folder {folder} does not exist: choose an existing folder."
        ).format(folder=folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        return QCoreApplication.translate("ReportsController", "The folder {folder} cannot be written in (permission denied): choose "
                   "another folder.").format(folder=folder)  # fmt: skip
    return None


def request_problem(request: ReportRequest) -> str | None:
    """What is wrong with ``request``, in words, or None."""
    if not (math.isfinite(request.start) and math.isfinite(request.end)):
        return QCoreApplication.translate("ReportsController", "The window is not a valid time.")
    if request.end <= request.start:
        return QCoreApplication.translate(
            "ReportsController",
            "The window ends before it starts: choose a “to” later than the “from”.",
        )
    if not request.sections:
        return QCoreApplication.translate("ReportsController", "Choose at least one section.")
    unknown = request.sections - set(SECTIONS)
    if unknown:
        return QCoreApplication.translate("ReportsController", "Unknown sections: {names}.").format(
            names=", ".join(sorted(unknown))
        )
    if request.fmt not in {key for key, _label, _suffix in FORMATS}:
        return QCoreApplication.translate("ReportsController", "Unknown format {fmt}.").format(
            fmt=request.fmt
        )
    return destination_problem(request.destination, request.fmt)


class _Stopped(Exception):
    """The writing thread was told to stop: the report was cancelled."""


_writer: concurrent.futures.ThreadPoolExecutor | None = None


def _writer_pool() -> concurrent.futures.ThreadPoolExecutor:
    """The thread reports are written on (one at a time; made on first use)."""
    global _writer
    if _writer is None:
        _writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="report-writer")
    return _writer


def wait_for_writer(timeout_s: float) -> bool:
    """Wait until the writing thread has no report in hand (it stops at its next page once
    told to); False if it still has after ``timeout_s``. For an orderly end of the event
    loop: a report finishing later would post its end to a loop that is gone."""
    if _writer is None:
        return True
    try:
        _writer.submit(lambda: None).result(timeout=timeout_s)
    except concurrent.futures.TimeoutError:
        return False
    return True


async def write_off_thread(report: Report, fmt: str, destination: Path) -> tuple[Path, ...]:
    """Write ``report`` as ``fmt`` (a key of FORMATS) to ``destination`` on the writing
    thread, then rename it into place here; the files written. Cancelled, the thread stops
    at its next page and what it wrote is removed: nothing is left under any name."""
    stop = threading.Event()

    def checkpoint() -> None:
        if stop.is_set():
            raise _Stopped

    future = _writer_pool().submit(stage_report, report, fmt, destination, checkpoint)
    wrapped = asyncio.wrap_future(future)
    try:
        staged: Staged = await asyncio.shield(wrapped)
    except asyncio.CancelledError:
        stop.set()

        def discard(done: concurrent.futures.Future[Staged]) -> None:
            if not done.cancelled() and done.exception() is None:
                done.result().discard()

        future.add_done_callback(discard)  # on the thread when it ends, or now if it has
        await asyncio.wait({wrapped}, timeout=STOP_WAIT_S)
        if wrapped.done() and not wrapped.cancelled():
            wrapped.exception()  # retrieved: a stop is no error
        raise
    return tuple(staged.commit())


class ReportsController(QObject):
    busy_changed = Signal(bool)  # a report is being made, or not any more
    progress = Signal(int, str)  # percent (0–100), what is being done
    made = Signal(object)  # ReportMade
    failed = Signal(str)  # why no report was written, in words
    cancelled = Signal()  # cancelled on request: nothing was written

    def __init__(
        self,
        environment: str,
        backend: BackendClient | None,
        prometheus: MetricsSource | None,
        alertmanager: AlertmanagerClient | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.environment = environment
        self.sources = ReportSources(environment, backend, prometheus, alertmanager)
        self._tasks = TaskOwner()
        self._task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def make(self, request: ReportRequest) -> bool:
        """Start making ``request``'s report; False (and ``failed``) if it cannot be made,
        or while another is being made."""
        return self._start(request, self._make(request))

    def write(self, report: Report, request: ReportRequest) -> bool:
        """Start writing a report already collected (``report``) as ``request`` says (its
        format and destination; the window and sections are the report's own); False (and
        ``failed``) if it cannot be written, or while another is being made."""
        return self._start(request, self._write(report, request, 0.0))

    def _start(self, request: ReportRequest, work: Coroutine[Any, Any, None]) -> bool:
        if self.busy:
            work.close()
            return False
        problem = request_problem(request)
        if problem is not None:
            work.close()
            self.failed.emit(problem)
            return False
        task = self._tasks.run(work, key="report")
        if task is None:
            return False
        self._task = task
        self.busy_changed.emit(True)
        return True

    def cancel(self) -> None:
        """Stop the report under way; nothing is written."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _make(self, request: ReportRequest) -> None:
        began = time.monotonic()
        try:
            self.progress.emit(
                0, QCoreApplication.translate("ReportsController", "Collecting the report…")
            )

            def collected(fraction: float, what: str) -> None:
                percent = round(COLLECTING_SHARE * max(0.0, min(1.0, fraction)))
                self.progress.emit(
                    percent,
                    QCoreApplication.translate("ReportsController", "Collected: {what}").format(
                        what=what
                    ),
                )

            report = await collect_report(
                self.sources, request.start, request.end, set(request.sections), collected
            )
        except asyncio.CancelledError:
            self.cancelled.emit()
            self.busy_changed.emit(False)
            raise
        except Exception as exc:  # noqa: BLE001 - said on the page, never a crash
            log.exception("the report of %s failed", self.environment)
            self.failed.emit(QCoreApplication.translate("ReportsController", "The report could not be made: {error}").format(
                error=f"{type(exc).__name__}: {exc}"))  # fmt: skip
            self.busy_changed.emit(False)
            return
        await self._write(report, request, time.monotonic() - began)

    async def _write(self, report: Report, request: ReportRequest, collect_s: float) -> None:
        try:
            self.progress.emit(
                COLLECTING_SHARE,
                QCoreApplication.translate("ReportsController", "Writing the report…"),
            )
            written = time.monotonic()
            files = await write_off_thread(report, request.fmt, request.destination)
            write_s = time.monotonic() - written
            log.info("report of %s written to %s: collected in %.2f s, written in %.2f s",
                     self.environment, request.destination, collect_s, write_s)  # fmt: skip
            self.progress.emit(100, QCoreApplication.translate("ReportsController", "Written"))
            self.made.emit(ReportMade(request.destination, files, report.missing, request.fmt,
                                      collect_s, write_s, report.empty))  # fmt: skip
        except asyncio.CancelledError:
            self.cancelled.emit()
            raise
        except ReportWriteError as exc:
            self.failed.emit(
                QCoreApplication.translate(
                    "ReportsController", "The report could not be written: {problem}"
                ).format(problem=write_problem(exc))
            )
        except OSError as exc:
            self.failed.emit(QCoreApplication.translate("ReportsController", "The report could not be written: {problem}").format(
                problem=os.strerror(exc.errno or errno.EIO)))  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - said on the page, never a crash
            log.exception("the report of %s failed", self.environment)
            self.failed.emit(QCoreApplication.translate("ReportsController", "The report could not be made: {error}").format(
                error=f"{type(exc).__name__}: {exc}"))  # fmt: skip
        finally:
            self.busy_changed.emit(False)

    async def aclose(self) -> None:
        """Cancel the report under way (nothing is written) and start no more."""
        await self._tasks.aclose()
