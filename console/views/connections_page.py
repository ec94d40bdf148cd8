"""Connections: the state of every service the console is connected to."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from console.models.services_table_model import COL_DETAILS, COL_ERROR, ServicesTableModel
from console.views.widgets.page_title import page_title


class ConnectionsPage(QWidget):
    def __init__(self, model: ServicesTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = page_title(self.tr("Connections"))
        subtitle = QLabel(
            self.tr("Connection state of the broker, the backend, Prometheus and Alertmanager.")
        )
        subtitle.setWordWrap(True)
        self.table = QTableView()
        self.model = model
        self.table.setModel(model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_DETAILS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_ERROR, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.table, 1)
