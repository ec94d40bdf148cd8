"""The main window: navigation sidebar, pages, and a status bar indicator per service."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from console.domain.service_status import ServiceKind, ServiceStatus
from console.models.services_table_model import STATE_COLOURS, service_label, state_label


class MainWindow(QMainWindow):
    def __init__(self, environment: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("TaskDeck — {environment}").format(environment=environment))
        self.sidebar = QListWidget()
        self.sidebar.setFixedWidth(180)
        self.sidebar.setObjectName("sidebar")
        self.setStyleSheet(
            "#sidebar { font-size: 11pt; border: none; }"
            "#sidebar::item { padding: 8px 12px; }"
            "QLabel#pageTitle { font-size: 16pt; font-weight: 600; }"
        )
        self.pages = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.sidebar.currentRowChanged.connect(self.pages.setCurrentIndex)
        self._indicators: dict[ServiceKind, QLabel] = {}
        for kind in ServiceKind:
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.RichText)
            self._indicators[kind] = label
            self.statusBar().addPermanentWidget(label)
        self._page_names: list[str] = []

    def add_page(self, key: str, title: str, page: QWidget) -> None:
        self.sidebar.addItem(QListWidgetItem(title))
        self.pages.addWidget(page)
        self._page_names.append(key)
        index = len(self._page_names)
        if index <= 9:
            shortcut = QShortcut(QKeySequence(f"Ctrl+{index}"), self)
            shortcut.activated.connect(lambda row=index - 1: self.sidebar.setCurrentRow(row))
        if self.sidebar.currentRow() < 0:
            self.sidebar.setCurrentRow(0)

    def page_keys(self) -> list[str]:
        return list(self._page_names)

    def show_page(self, key: str) -> None:
        self.sidebar.setCurrentRow(self._page_names.index(key))

    def show_status(self, status: ServiceStatus) -> None:
        label = self._indicators[status.kind]
        colour = STATE_COLOURS[status.connection].name()
        label.setText(
            f'<span style="color:{colour}">●</span> {service_label(status.kind)}: {state_label(status)}'
        )
        label.setToolTip(status.last_error or status.target)
