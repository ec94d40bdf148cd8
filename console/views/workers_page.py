"""Workers: health from heartbeats, and the active-task trend of the selected worker."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from console.models.workers_table_model import WorkersTableModel
from console.views.plots.trend_plot import TrendPlot
from console.views.widgets.filter_table import FilterTable


class WorkersPage(QWidget):
    worker_selected = Signal(str)

    def __init__(self, workers: WorkersTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel(self.tr("Workers"))
        title.setObjectName("pageTitle")
        self.workers = FilterTable(workers, self.tr("Filter workers (Ctrl+F)"), stretch_column=0)
        self.workers.table.selectionModel().currentRowChanged.connect(self._changed)
        self.trend = TrendPlot(self.tr("Active tasks of the selected worker (1 h)"))
        self.trend.set_window(3600)
        self.trend.show_message(self.tr("Select a worker"))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.workers)
        split.addWidget(self.trend)
        split.setSizes([350, 350])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(split, 1)

    def _changed(self) -> None:
        key = self.workers.current_key()
        if key:
            self.trend.clear_message()
            self.worker_selected.emit(key)
