"""Connections: the state of every service the console is connected to, and what it learned
of the watched system (its transport, and what TaskDeck can do there)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.services_table_model import COL_DETAILS, COL_ERROR, ServicesTableModel
from console.views.colours import BAD, OK, WARN
from console.views.widgets.page_title import page_title
from taskdeck_core.api_types import Capability, Environment, TransportInfo
from taskdeck_core.transport import show_sep

CONTEXT = "ConnectionsPage"
SEP_SOURCES = {
    "configured": QT_TRANSLATE_NOOP("ConnectionsPage", "set in the profile"),
    "detected": QT_TRANSLATE_NOOP("ConnectionsPage", "detected from the queue bindings"),
    "assumed": QT_TRANSLATE_NOOP(
        "ConnectionsPage", "kombu's default, assumed: the broker holds no queue binding yet"
    ),
}
STEPS_SOURCES = {
    "configured": QT_TRANSLATE_NOOP("ConnectionsPage", "set in the profile"),
    "assumed": QT_TRANSLATE_NOOP(
        "ConnectionsPage",
        "kombu's default, assumed: every list holding messages is one of its steps",
    ),
    "unknown": QT_TRANSLATE_NOOP(
        "ConnectionsPage",
        "unknown: lists of steps {seen} hold messages, outside kombu's default; "
        "set the steps in the profile",
    ),
}
# The backend's own steps, where they differ from those shown: it writes into their lists.
BACKEND_STEPS_SOURCES = {
    "configured": QT_TRANSLATE_NOOP("ConnectionsPage", "set in TASKDECK_PRIORITY_STEPS"),
    "assumed": QT_TRANSLATE_NOOP("ConnectionsPage", "kombu's default, assumed"),
    "unknown": QT_TRANSLATE_NOOP("ConnectionsPage", "unknown"),
}
CAPABILITIES = {
    "durable_cancel": QT_TRANSLATE_NOOP("ConnectionsPage", "Durable cancel"),
    "retry_whole_arguments": QT_TRANSLATE_NOOP("ConnectionsPage", "Retry with whole arguments"),
    "lifecycle_stream": QT_TRANSLATE_NOOP("ConnectionsPage", "Lifecycle stream"),
    "move": QT_TRANSLATE_NOOP("ConnectionsPage", "Change priority (move)"),
}


def _steps(steps: list[int]) -> str:
    return ", ".join(map(str, steps))


def _value_label() -> QLabel:
    label = QLabel("—")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


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

        # What the console learned of the system's transport, from the broker itself.
        self.transport_box = QGroupBox(self.tr("The watched system, as read from its broker"))
        self.sep_value, self.steps_value, self.queues_value = (_value_label() for _ in range(3))
        self.depths_value = _value_label()
        self.depths_value.setText(
            self.tr(
                "counted from each queue's lists of all ten priorities 0–9, whatever the steps: "
                "a message waiting in any of them is in the depth"
            )
        )
        # The steps shown come from both: the console's look at the broker (with the
        # profile's settings) and the backend's, which writes into the steps' lists.
        self._transport: TransportInfo | None = None
        self._backend_transport: TransportInfo | None = None
        self.foreign_warning = _value_label()
        self.foreign_warning.setStyleSheet(f"color: {BAD}")
        self.foreign_warning.setVisible(False)
        form = QFormLayout(self.transport_box)
        form.addRow(self.tr("Separator"), self.sep_value)
        form.addRow(self.tr("Priority steps"), self.steps_value)
        form.addRow(self.tr("Depths"), self.depths_value)
        form.addRow(self.tr("Queues"), self.queues_value)
        form.addRow(self.foreign_warning)

        # What TaskDeck can do there, as the backend says.
        self.capabilities_box = QGroupBox(self.tr("What TaskDeck can do here, as the backend says"))
        self.capabilities_note = _value_label()
        self._capability_grid = QGridLayout()
        self._capability_grid.setColumnStretch(2, 1)
        self.capability_rows: dict[str, tuple[QLabel, QLabel, QLabel]] = {}
        for row, (name, text) in enumerate(CAPABILITIES.items()):
            labels = (
                QLabel(QCoreApplication.translate("ConnectionsPage", text)),
                QLabel("—"),
                _value_label(),
            )
            for column, label in enumerate(labels):
                self._capability_grid.addWidget(label, row, column, Qt.AlignmentFlag.AlignTop)
            self.capability_rows[name] = labels
        box_layout = QVBoxLayout(self.capabilities_box)
        box_layout.addWidget(self.capabilities_note)
        box_layout.addLayout(self._capability_grid)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.transport_box)
        layout.addWidget(self.capabilities_box)
        self.clear_environment()

    # -- the transport, as the console learned it ------------------------------------------

    def show_transport(self, info: TransportInfo) -> None:
        self.sep_value.setText(
            self.tr("{sep}  ({source})").format(
                sep=show_sep(info.sep),
                source=QCoreApplication.translate("ConnectionsPage", SEP_SOURCES[info.sep_source]),
            )
        )
        self._transport = info
        self._show_steps()
        self.queues_value.setText(", ".join(info.queues) or self.tr("none bound yet"))
        count = info.foreign_binding_count
        if count:
            self.foreign_warning.setText(
                self.tr(
                    "{n} binding entries cannot be read with this separator; the system's own "
                    "kombu clients fail on them. First: {first}"
                ).format(n=count, first=info.foreign_bindings[0])
            )
        self.foreign_warning.setVisible(bool(count))

    def steps_in_use(self) -> tuple[list[int], str] | None:
        """The priority steps the console goes by, and where they come from (None until the
        broker has been read): the profile's; else the backend's when its owners configured
        them (TASKDECK_PRIORITY_STEPS), since the backend writes into their lists; else
        what the console learned from the broker."""
        info, backend = self._transport, self._backend_transport
        if info is None:
            return None
        if info.steps_source != "configured" and backend and backend.steps_source == "configured":
            return list(backend.steps), self.tr(
                "set in the backend's TASKDECK_PRIORITY_STEPS; the profile sets none"
            )
        source = QCoreApplication.translate("ConnectionsPage", STEPS_SOURCES[info.steps_source])
        return list(info.steps), source.format(seen=_steps(info.steps_seen))

    def _show_steps(self) -> None:
        in_use = self.steps_in_use()
        if in_use is None:
            return
        steps, source = in_use
        text = self.tr("{steps}  ({source})").format(steps=_steps(steps), source=source)
        backend = self._backend_transport
        if backend is not None and list(backend.steps) != steps:
            backend_source = QCoreApplication.translate(
                "ConnectionsPage", BACKEND_STEPS_SOURCES[backend.steps_source]
            )
            text += "\n" + self.tr(
                "The backend goes by steps {steps} ({source}) and moves messages into their "
                "lists: set the same steps in the profile and in the backend's "
                "TASKDECK_PRIORITY_STEPS."
            ).format(steps=_steps(backend.steps), source=backend_source)
        self.steps_value.setText(text)

    # -- the capabilities, as the backend says -----------------------------------------------

    def show_environment(self, environment: Environment) -> None:
        self.capabilities_note.setVisible(False)
        self._backend_transport = environment.transport
        self._show_steps()
        shown: dict[str, Capability] = {c.name: c for c in environment.capabilities}
        for name, (_, state, detail) in self.capability_rows.items():
            capability = shown.get(name)
            if capability is None:
                state.setText("—")
                state.setStyleSheet("")
                detail.setText(self.tr("not reported by this backend"))
                continue
            if capability.available:
                state.setText(self.tr("available"))
                state.setStyleSheet(f"color: {OK}")
            else:
                state.setText(self.tr("unavailable"))
                state.setStyleSheet(f"color: {WARN}")
            detail.setText(capability.detail)

    def show_environment_failure(self, error: str) -> None:
        self.capabilities_note.setText(
            self.tr("The backend did not say what it supports: {error}").format(error=error)
        )
        self.capabilities_note.setVisible(True)

    def clear_environment(self) -> None:
        """Nothing learned yet (a new connection)."""
        self._transport = self._backend_transport = None
        for label in (self.sep_value, self.steps_value, self.queues_value):
            label.setText(self.tr("not read yet"))
        self.foreign_warning.setVisible(False)
        self.capabilities_note.setText(self.tr("Not asked yet."))
        self.capabilities_note.setVisible(True)
        for _, state, detail in self.capability_rows.values():
            state.setText("—")
            state.setStyleSheet("")
            detail.setText("")
