"""Workers: health from heartbeats, and the active-task trend of the selected worker."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from console.models.workers_table_model import WorkersTableModel
from console.views.plots.trend_plot import TrendPlot
from console.views.widgets.filter_table import FilterTable
from console.views.widgets.page_title import page_title


class WorkersPage(QWidget):
    worker_selected = Signal(str)

    def __init__(self, workers: WorkersTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = page_title(self.tr("Workers"))
        self.workers = FilterTable(workers, self.tr("Filter workers (Ctrl+F)"), stretch_column=0)
        self.trend = TrendPlot.for_selection(
            self.tr("Active tasks of the selected worker (1 h)"), self.tr("Select a worker")
        )
        self.workers.key_selected.connect(self._changed)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.workers)
        split.addWidget(self.trend)
        split.setSizes([350, 350])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(split, 1)

    def _changed(self, key: str) -> None:
        self.trend.clear_message()
        self.worker_selected.emit(key)
