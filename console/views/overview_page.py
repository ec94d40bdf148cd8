"""Overview: the figures that matter at a glance, and their trends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.clock import now as clock_now
from console.domain.live import FAILED_WINDOW_S, LiveCounts
from console.domain.series import DEFAULT_WINDOW, WINDOWS
from console.models.format import clock, number, percent
from console.views.colours import STATE_COLOURS
from console.views.plots.trend_plot import TrendPlot
from console.views.widgets.page_title import page_title
from console.views.widgets.tile import Tile, level_for
from taskdeck_core.api_types import WorkerInfo

AGE_EVERY_MS = 1000
# Where each tile leads, when that page is available (otherwise the tile is not clickable).
TILE_PAGES = {
    "queued": "queues",
    "running": "workers",
    "failed": "tasks",
    "failure_rate": "tasks",
    "workers": "workers",
}
# The service each tile's figure comes through: while it does not answer, the figure stays
# and says it is not current.
TILE_SERVICES = {
    "queued": "broker",
    "running": "broker",
    "failed": "backend",
    "failure_rate": "backend",
    "alerts": "alertmanager",
}


def _percent(value: float) -> str:
    """A failure rate already in percent (the plot's values are scaled like the tile's)."""
    return f"{number(value, 1)} %"


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 60 else f"{value / 60:.1f} min"


class OverviewPage(QWidget):
    navigate = Signal(str)  # page key
    failures_wanted = Signal(float)  # the Tasks page, failures that ended in the last N s
    window_selected = Signal(str)  # window key
    open_alerts = Signal()

    def __init__(
        self, clock: Callable[[], float] = clock_now, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._counts: LiveCounts | None = None
        self._alerts_at: float | None = None
        self._unreachable: dict[str, str] = {}  # service -> why it does not answer
        title = page_title(self.tr("Overview"))
        self.tiles = {
            "queued": Tile(self.tr("Queued")),
            "running": Tile(self.tr("Running")),
            "failed": Tile(self.tr("Failed (5 min)")),
            "failure_rate": Tile(self.tr("Failure rate (5 min)")),
            "workers": Tile(self.tr("Workers up")),
            "alerts": Tile(self.tr("Firing alerts")),
        }
        for key, page in TILE_PAGES.items():
            if page == "tasks":  # the failures the tile counts, not the whole page
                self.tiles[key].clicked.connect(lambda: self.failures_wanted.emit(FAILED_WINDOW_S))
            else:
                self.tiles[key].clicked.connect(lambda page=page: self.navigate.emit(page))
        self.tiles["alerts"].clicked.connect(self.open_alerts.emit)
        self.tiles["alerts"].set_clickable(True, self.tr("Open the Alerts page"))
        self.set_pages([])
        self.tiles["queued"].set_source(self.tr("broker"), None)
        self.tiles["running"].set_source(self.tr("worker heartbeats"), None)
        self.tiles["failed"].set_source(self.tr("ledger"), None)
        self.tiles["failure_rate"].set_source(self.tr("ledger"), None)
        self.tiles["workers"].set_source(self.tr("backend, heartbeats"), None)
        self.tiles["alerts"].set_source(self.tr("Alertmanager"), None)
        self._ages = QTimer(self)
        self._ages.setInterval(AGE_EVERY_MS)
        self._ages.timeout.connect(self._refresh_ages)
        self._ages.start()
        tiles = QHBoxLayout()
        for tile in self.tiles.values():
            tiles.addWidget(tile, 1)

        self.window_buttons = QButtonGroup(self)
        windows = QHBoxLayout()
        windows.addWidget(QLabel(self.tr("Window:")))
        for window in WINDOWS:
            button = QPushButton(QCoreApplication.translate("Window", window.label))
            button.setCheckable(True)
            button.setChecked(window.key == DEFAULT_WINDOW)
            button.clicked.connect(lambda _c=False, key=window.key: self.window_selected.emit(key))
            self.window_buttons.addButton(button)
            windows.addWidget(button)
        self.window_note = QLabel()
        self.window_note.setObjectName("windowNote")
        windows.addWidget(self.window_note)
        windows.addStretch(1)

        self.plots = {
            "queue_depth": TrendPlot(self.tr("Queue depth"), unit=""),
            "task_rate": TrendPlot(
                self.tr("Tasks per second by state"), unit="/s", colours=STATE_COLOURS
            ),
            "failure_rate": TrendPlot(
                self.tr("Failure rate (5 min)"), unit="%", value_format=_percent
            ),
            "p95_runtime": TrendPlot(
                self.tr("p95 runtime (5 min)"), unit="s", value_format=_seconds
            ),
        }
        grid = QGridLayout()
        for n, plot in enumerate(self.plots.values()):
            grid.addWidget(plot, n // 2, n % 2)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(tiles)
        layout.addLayout(windows)
        layout.addLayout(grid, 1)

    def set_pages(self, available: list[str]) -> None:
        """Make a tile clickable only when the page it leads to can be shown."""
        names = {
            "queues": self.tr("Queues"),
            "workers": self.tr("Workers"),
            "tasks": self.tr("Tasks"),
        }
        for key, page in TILE_PAGES.items():
            if page in available:
                hint = self.tr("Open the {page} page").format(page=names.get(page, page))
                self.tiles[key].set_clickable(True, hint)
            else:
                self.tiles[key].set_clickable(False)

    def show_unreachable(self, service: str, reason: str | None) -> None:
        """``service`` (broker, backend, alertmanager) does not answer, for ``reason``: the
        tiles whose figures come through it keep them and say so; None: it answers again."""
        if reason is None:
            self._unreachable.pop(service, None)
        else:
            self._unreachable[service] = reason
        if self._counts is not None:
            self.show_counts(self._counts)
        self._source("alerts", self.tr("Alertmanager"), self._alerts_at)

    def clear_tiles(self) -> None:
        """No figure on any tile (another environment's figures must go)."""
        self._counts, self._alerts_at = None, None
        self._unreachable.clear()
        for tile in self.tiles.values():
            tile.clear()

    def _source(self, key: str, name: str, at: float | None, problem: str = "") -> None:
        reason = self._unreachable.get(TILE_SERVICES.get(key, ""))
        if reason is not None:
            problem = (
                self.tr("unreachable ({reason}); figure from {time}").format(
                    reason=reason, time=clock(at)
                )
                if at is not None
                else self.tr("unreachable ({reason})").format(reason=reason)
            )
        self.tiles[key].set_source(name, at, problem)

    def show_counts(self, counts: LiveCounts) -> None:
        self._counts = counts
        t = self.tiles
        t["queued"].set_value(number(counts.queued), level_for(counts.queued, 100, 1000))
        self._source("queued", self.tr("broker"), counts.queued_at)
        t["running"].set_value(number(counts.running), "neutral")
        self._source("running", self.tr("worker heartbeats"), counts.running_at)
        failed = counts.failed_5m
        t["failed"].set_value(number(failed), level_for(failed, 1, 50))
        problem = counts.finished_problem or ""
        self._source("failed", self.tr("ledger"), counts.finished_at, problem)
        rate = counts.failure_rate
        finished = (
            None if failed is None or counts.succeeded_5m is None else failed + counts.succeeded_5m
        )
        t["failure_rate"].set_value(
            percent(rate), level_for(rate, 0.05, 0.10),
            self.tr("{n} finished").format(n=number(finished)) if finished is not None else "",
        )  # fmt: skip
        self._source("failure_rate", self.tr("ledger"), counts.finished_at, problem)

    def show_workers(self, workers: list[WorkerInfo]) -> None:
        up = sum(1 for w in workers if w.status == "online")
        total = len(workers)
        level = (
            "neutral" if total == 0 else ("ok" if up == total else ("bad" if up == 0 else "warn"))
        )
        down = [w for w in workers if w.status == "offline"]
        detail = (
            self.tr("down: {names}").format(names=", ".join(w.hostname for w in down))
            if down
            else ""
        )
        self.tiles["workers"].set_value(f"{up} / {total}", level, detail)
        alive = [w.last_heartbeat for w in workers if w.status != "offline"]
        heard = min(alive) if alive else max((w.last_heartbeat for w in workers), default=None)
        self.tiles["workers"].set_source(self.tr("backend, heartbeats"), heard)

    def show_alerts(self, alerts: list[dict[str, Any]]) -> None:
        labels = [a.get("labels") or {} for a in alerts]
        names = sorted({str(lab.get("alertname", "?")) for lab in labels})
        critical = any(lab.get("severity") == "critical" for lab in labels)
        level = "ok" if not alerts else ("bad" if critical else "warn")
        self.tiles["alerts"].set_value(number(len(alerts)), level, ", ".join(names))
        self._alerts_at = self._clock()
        self._source("alerts", self.tr("Alertmanager"), self._alerts_at)

    def show_data_start(self, window_s: float, first: float) -> None:
        """Say when the data starts if that is later than the window asked for (first <= 0:
        no data at all)."""
        if first <= 0 or first <= self._clock() - window_s:
            self.window_note.clear()
            return
        when = QLocale().toString(
            QDateTime.fromMSecsSinceEpoch(round(first * 1000)), QLocale.FormatType.ShortFormat
        )
        self.window_note.setText(
            self.tr("Data only since {time}: showing that part of the window").format(time=when)
        )

    def _refresh_ages(self) -> None:
        for tile in self.tiles.values():
            tile.refresh_age()
