"""Workers: health from heartbeats; the selected worker's active-task trend and its own
account of what it holds (``show_detail``)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from console.controllers.worker_detail_controller import WorkerDetailController
from console.models.workers_table_model import WorkersTableModel
from console.views.plots.trend_plot import TrendPlot
from console.views.widgets.filter_table import FilterTable
from console.views.widgets.page_title import page_title
from console.views.worker_detail_pane import WorkerDetailPane
from taskdeck_core.api_types import WorkerDetail


class WorkersPage(QWidget):
    # The chosen worker's hostname: for its trend and its detail (WorkerDetailController.select).
    worker_selected = Signal(str)

    def __init__(self, workers: WorkersTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = page_title(self.tr("Workers"))
        self.workers = FilterTable(workers, self.tr("Filter workers (Ctrl+F)"), stretch_column=0)
        self.trend = TrendPlot.for_selection(
            self.tr("Active tasks of the selected worker (1 h)"), self.tr("Select a worker")
        )
        self.detail = WorkerDetailPane()
        self.selected: str | None = None
        # Under the table: the trend, and beside it what the worker itself says it holds.
        self.below = QSplitter(Qt.Orientation.Horizontal)
        self.below.addWidget(self.trend)
        self.below.addWidget(self.detail)
        self.below.setSizes([500, 700])
        self.workers.key_selected.connect(self._changed)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.workers)
        split.addWidget(self.below)
        split.setSizes([350, 350])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(split, 1)

    def _changed(self, key: str) -> None:
        self.trend.clear_message()
        if key != self.selected:
            self.detail.asking(key)
        self.selected = key
        self.worker_selected.emit(key)

    def attach(self, controller: WorkerDetailController | None) -> None:
        """Send the detail pane's controls through ``controller`` (one environment's)."""
        self.detail.attach(controller)

    def set_role(self, role: str) -> None:
        """The signed-in role: the detail pane's controls are an admin's only."""
        self.detail.set_role(role)

    def show_detail(self, detail: WorkerDetail | None, problem: str | None = None) -> None:
        """The selected worker's detail (one of another worker is ignored), or why there is
        none; neither: nothing is selected."""
        if problem is not None:
            self.detail.show_problem(problem)
        elif detail is None:
            self.selected = None
            self.detail.clear()
        elif detail.hostname == self.selected:
            self.detail.show_detail(detail)
