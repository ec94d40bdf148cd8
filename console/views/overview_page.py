"""Overview: the figures that matter at a glance, and their trends."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.live import LiveCounts
from console.domain.series import DEFAULT_WINDOW, WINDOWS
from console.models.format import number, percent
from console.views.plots.trend_plot import TrendPlot
from console.views.widgets.page_title import page_title
from console.views.widgets.tile import Tile, level_for
from taskdeck_core.api_types import WorkerInfo


def _percent(value: float) -> str:
    return f"{value * 100:.1f} %"


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 60 else f"{value / 60:.1f} min"


class OverviewPage(QWidget):
    navigate = Signal(str)  # page key
    window_selected = Signal(str)  # window key
    open_alerts = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = page_title(self.tr("Overview"))
        self.tiles = {
            "queued": Tile(self.tr("Queued")),
            "running": Tile(self.tr("Running")),
            "failed": Tile(self.tr("Failed (5 min)")),
            "failure_rate": Tile(self.tr("Failure rate (5 min)")),
            "workers": Tile(self.tr("Workers up")),
            "alerts": Tile(self.tr("Firing alerts")),
        }
        self.tiles["queued"].clicked.connect(lambda: self.navigate.emit("queues"))
        self.tiles["running"].clicked.connect(lambda: self.navigate.emit("workers"))
        self.tiles["failed"].clicked.connect(lambda: self.navigate.emit("tasks"))
        self.tiles["failure_rate"].clicked.connect(lambda: self.navigate.emit("tasks"))
        self.tiles["workers"].clicked.connect(lambda: self.navigate.emit("workers"))
        self.tiles["alerts"].clicked.connect(self.open_alerts.emit)
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
        windows.addStretch(1)

        self.plots = {
            "queue_depth": TrendPlot(self.tr("Queue depth"), unit=""),
            "task_rate": TrendPlot(self.tr("Tasks per second by state"), unit="/s"),
            "failure_rate": TrendPlot(
                self.tr("Failure rate (5 min)"), unit="", value_format=_percent
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

    def show_counts(self, counts: LiveCounts) -> None:
        self.tiles["queued"].set_value(number(counts.queued), level_for(counts.queued, 100, 1000))
        self.tiles["running"].set_value(number(counts.running), "neutral")
        self.tiles["failed"].set_value(number(counts.failed_5m), level_for(counts.failed_5m, 1, 50))
        rate = counts.failure_rate
        self.tiles["failure_rate"].set_value(
            percent(rate), level_for(rate, 0.05, 0.10),
            self.tr("{n} finished").format(n=number(counts.failed_5m + counts.succeeded_5m)),
        )  # fmt: skip

    def show_workers(self, workers: list[WorkerInfo]) -> None:
        up = sum(1 for w in workers if w.status == "online")
        total = len(workers)
        level = (
            "neutral" if total == 0 else ("ok" if up == total else ("bad" if up == 0 else "warn"))
        )
        self.tiles["workers"].set_value(f"{up} / {total}", level)

    def show_alerts(self, alerts: list[dict[str, Any]]) -> None:
        labels = [a.get("labels") or {} for a in alerts]
        names = sorted({str(lab.get("alertname", "?")) for lab in labels})
        critical = any(lab.get("severity") == "critical" for lab in labels)
        level = "ok" if not alerts else ("bad" if critical else "warn")
        self.tiles["alerts"].set_value(number(len(alerts)), level, ", ".join(names)[:60])
