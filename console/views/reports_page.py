"""Reports: one environment's report over a window (the last hour … 30 days, or from–to),
of the sections chosen, written as PDF, HTML or a folder of CSV files where the user says;
a progress bar and Cancel while it is made, then the file with Open and Show folder, and
what could not be put in it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import shiboken6
from PySide6.QtCore import QDateTime, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.controllers.reports_controller import (
    CUSTOM,
    FORMATS,
    WINDOWS,
    ReportMade,
    ReportRequest,
    ReportsController,
    choice_label,
    default_name,
    section_title,
    suffix_of,
)
from console.domain.clock import now as clock_now
from console.reports.collect import SECTIONS
from console.views.colours import BAD, WARN
from console.views.widgets.page_title import page_title

DEFAULT_WINDOW = "24h"


def documents_folder() -> Path:
    """The user's Documents folder (their home if the system has none)."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found and Path(found).is_dir() else Path.home()


class ReportsPage(QWidget):
    status = Signal(str)  # a line for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller: ReportsController | None = None
        self.environment = ""
        self.made: ReportMade | None = None
        self._auto_path = ""  # the destination as last proposed (replaced while untouched)
        self.open_url = QDesktopServices.openUrl  # Open and Show folder hand the path here
        title = page_title(self.tr("Reports"))
        intro = QLabel(self.tr("A report of this environment over a window of time, to keep or "
                               "send: as PDF, as one HTML file, or as CSV tables."))  # fmt: skip
        intro.setWordWrap(True)
        # The window.
        self.window_choice = QComboBox()
        for key, _seconds, label in WINDOWS:
            self.window_choice.addItem(choice_label(label), key)
        self.window_choice.addItem(self.tr("From … to …"), CUSTOM)
        self.window_choice.setCurrentIndex(self.window_choice.findData(DEFAULT_WINDOW))
        now = QDateTime.currentDateTime()
        self.window_from = QDateTimeEdit(now.addDays(-1))
        self.window_to = QDateTimeEdit(now)
        for edit in (self.window_from, self.window_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        window_row = QHBoxLayout()
        window_row.addWidget(self.window_choice)
        window_row.addWidget(QLabel(self.tr("from")))
        window_row.addWidget(self.window_from)
        window_row.addWidget(QLabel(self.tr("to")))
        window_row.addWidget(self.window_to)
        window_row.addStretch(1)
        # The sections.
        self.sections: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        for n, key in enumerate(SECTIONS):
            box = QCheckBox(section_title(key))
            box.setChecked(True)
            self.sections[key] = box
            grid.addWidget(box, n // 4, n % 4)
        # The format and the destination.
        self.format_choice = QComboBox()
        for key, label, _suffix in FORMATS:
            self.format_choice.addItem(choice_label(label), key)
        self.destination = QLineEdit()
        self.destination.setClearButtonEnabled(True)
        self.choose_button = QPushButton(self.tr("Choose…"))
        self.choose_button.clicked.connect(self.choose_destination)
        self.dialog: QFileDialog | None = None
        destination_row = QHBoxLayout()
        destination_row.addWidget(self.destination, 1)
        destination_row.addWidget(self.choose_button)
        form = QFormLayout()
        form.addRow(self.tr("Window:"), window_row)
        form.addRow(self.tr("Sections:"), grid)
        form.addRow(self.tr("Format:"), self.format_choice)
        form.addRow(self.tr("Write to:"), destination_row)
        # Making it.
        self.make_button = QPushButton(self.tr("Make report"))
        self.make_button.setDefault(True)
        self.make_button.clicked.connect(self.make_report)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.step = QLabel("")
        self.step.setWordWrap(True)
        run_row = QHBoxLayout()
        run_row.addWidget(self.make_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)
        # What it came to.
        self.message = QLabel("")
        self.message.setObjectName("reportMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_path = QLabel("")
        self.result_path.setWordWrap(True)
        self.result_path.setTextFormat(Qt.TextFormat.PlainText)
        self.result_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.clicked.connect(self.open_result)
        self.folder_button = QPushButton(self.tr("Show folder"))
        self.folder_button.clicked.connect(self.show_folder)
        result_row = QHBoxLayout()
        result_row.addWidget(self.result_path, 1)
        result_row.addWidget(self.open_button)
        result_row.addWidget(self.folder_button)
        self.result = QWidget()
        self.result.setLayout(result_row)
        result_row.setContentsMargins(0, 0, 0, 0)
        self.missing = QLabel("")
        self.missing.setObjectName("reportMissing")
        self.missing.setWordWrap(True)
        self.missing.setTextFormat(Qt.TextFormat.PlainText)
        self.missing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.missing.setStyleSheet(
            f"#reportMissing {{ color: {WARN}; font-weight: 600; border-left: 4px solid {WARN};"
            " padding-left: 6px; }"
        )
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.step)
        layout.addWidget(self.message)
        layout.addWidget(self.result)
        layout.addWidget(self.missing)
        layout.addStretch(1)
        self.window_choice.currentIndexChanged.connect(self._window_changed)
        self.format_choice.currentIndexChanged.connect(self._propose_path)
        self._reset()
        self._window_changed()

    # -- wiring ------------------------------------------------------------------------

    def attach(self, controller: ReportsController) -> None:
        """Make reports with ``controller`` (one environment's)."""
        self.controller = controller
        self.environment = controller.environment
        controller.busy_changed.connect(self._set_busy)
        controller.progress.connect(self.show_progress)
        controller.made.connect(self.show_made)
        controller.failed.connect(self.show_failure)
        controller.cancelled.connect(self.show_cancelled)
        self._propose_path()
        self._set_busy(controller.busy)

    def clear(self) -> None:
        """Forget the environment: its controller, and what its last report came to."""
        if self.controller is not None and shiboken6.isValid(self.controller):
            for signal, slot in (
                (self.controller.busy_changed, self._set_busy),
                (self.controller.progress, self.show_progress),
                (self.controller.made, self.show_made),
                (self.controller.failed, self.show_failure),
                (self.controller.cancelled, self.show_cancelled),
            ):
                with contextlib.suppress(RuntimeError):  # not connected (any more)
                    signal.disconnect(slot)
        self.controller = None
        self._reset()

    def _reset(self) -> None:
        self.made = None
        self.progress.setValue(0)
        self.step.clear()
        self._say("", None)
        self.result.hide()
        self.result_path.clear()
        self.missing.clear()
        self.missing.hide()
        self._set_busy(False)

    # -- the choices -------------------------------------------------------------------

    def window_key(self) -> str:
        return str(self.window_choice.currentData())

    def format_key(self) -> str:
        return str(self.format_choice.currentData())

    def chosen_sections(self) -> frozenset[str]:
        return frozenset(key for key, box in self.sections.items() if box.isChecked())

    def window_span(self, now: float | None = None) -> tuple[float, float]:
        """The chosen window as (start, end) epoch seconds."""
        key = self.window_key()
        if key == CUSTOM:
            start = self.window_from.dateTime().toSecsSinceEpoch()
            return float(start), float(self.window_to.dateTime().toSecsSinceEpoch())
        end = clock_now() if now is None else now
        seconds = next(length for k, length, _label in WINDOWS if k == key)
        return end - seconds, end

    def _window_changed(self) -> None:
        custom = self.window_key() == CUSTOM
        self.window_from.setEnabled(custom)
        self.window_to.setEnabled(custom)
        self._propose_path()

    def proposed_path(self, now: float | None = None) -> Path:
        """Where the report goes unless the user says otherwise: the folder of the path shown
        (Documents at first), named after the environment, the time and the window."""
        start, end = self.window_span(now)
        shown = self.destination.text().strip()
        folder = Path(shown).parent if shown else documents_folder()
        environment = self.environment or "taskdeck"
        return folder / default_name(environment, end, max(1.0, end - start), self.format_key())

    def _propose_path(self) -> None:
        """A new name for the choices made, unless the user wrote a path of their own."""
        shown = self.destination.text().strip()
        if shown and shown != self._auto_path:
            path = Path(shown)  # their name, with the format's suffix
            if path.name and path.suffix.lower() in (".pdf", ".html", ".htm", ""):
                self.destination.setText(str(path.with_suffix(suffix_of(self.format_key()))))
            return
        self._auto_path = str(self.proposed_path())
        self.destination.setText(self._auto_path)

    def choose_destination(self) -> None:
        """A file dialog (not the system's own) for the file, or the CSV files' folder."""
        csv = self.format_key() == "csv"
        dialog = QFileDialog(self, self.tr("Folder for the CSV files") if csv
                             else self.tr("Write the report to"))  # fmt: skip
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        current = Path(self.destination.text().strip() or str(self.proposed_path()))
        dialog.setDirectory(str(current.parent))
        dialog.selectFile(current.name)
        if not csv:
            suffix = suffix_of(self.format_key())
            dialog.setDefaultSuffix(suffix.lstrip("."))
            dialog.setNameFilter(f"{self.format_choice.currentText()} (*{suffix})")
        dialog.fileSelected.connect(self._destination_chosen)
        self.dialog = dialog
        dialog.open()  # not exec(): a nested event loop would re-enter the running tasks

    def _destination_chosen(self, path: str) -> None:
        if path:
            self.destination.setText(path)

    # -- making it ---------------------------------------------------------------------

    def request(self) -> ReportRequest:
        """The report the choices ask for (the proposed name made for now, if untouched)."""
        if self.destination.text().strip() == self._auto_path:
            self._auto_path = str(self.proposed_path())
            self.destination.setText(self._auto_path)
        start, end = self.window_span()
        return ReportRequest(start, end, self.chosen_sections(), self.format_key(),
                             Path(self.destination.text().strip()))  # fmt: skip

    def make_report(self) -> None:
        if self.controller is None:
            self.show_failure(self.tr("Not connected to an environment."))
            return
        self._reset()
        self.controller.make(self.request())

    def cancel(self) -> None:
        if self.controller is not None:
            self.controller.cancel()

    # -- what the controller says ------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self.make_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy or self.progress.value() > 0)
        for widget in (self.window_choice, self.format_choice, self.destination,
                       self.choose_button, *self.sections.values()):  # fmt: skip
            widget.setEnabled(not busy)
        if not busy:
            custom = self.window_key() == CUSTOM
            self.window_from.setEnabled(custom)
            self.window_to.setEnabled(custom)
        else:
            self.window_from.setEnabled(False)
            self.window_to.setEnabled(False)

    def show_progress(self, percent: int, what: str) -> None:
        self.progress.setVisible(True)
        self.progress.setValue(percent)
        self.step.setText(what)

    def show_made(self, made: ReportMade) -> None:
        self.made = made
        self.progress.setValue(100)
        self.step.clear()
        if made.fmt == "csv":
            self.result_path.setText(self.tr("Written: {path} ({n} files)").format(
                path=made.path, n=len(made.files)))  # fmt: skip
        else:
            self.result_path.setText(self.tr("Written: {path}").format(path=made.path))
        self.open_button.setVisible(made.fmt != "csv")
        self.result.show()
        if made.missing:
            lines = "\n".join(f"•  {item}" for item in made.missing)
            self.missing.setText(self.tr("Not in this report: the parts below could not be "
                                         "read.\n{lines}").format(lines=lines))  # fmt: skip
            self.missing.show()
            self._say("", None)
        if made.empty:
            self._say(self.tr("The window holds no data: no task, sample, failure, alert or "
                              "audit entry falls in it. The report says so."), None)  # fmt: skip
            self.status.emit(self.tr("Report written to {path}; the window holds no data").format(
                path=made.path))  # fmt: skip
            return
        self.status.emit(self.tr("Report written to {path}").format(path=made.path))

    def show_failure(self, text: str) -> None:
        self.progress.setValue(0)
        self.progress.hide()
        self.step.clear()
        self._say(text, BAD)
        self.status.emit(text)

    def show_cancelled(self) -> None:
        self.progress.setValue(0)
        self.progress.hide()
        self.step.clear()
        text = self.tr("Cancelled: no report was written.")
        self._say(text, None)
        self.status.emit(text)

    def _say(self, text: str, colour: str | None) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(
            f"#reportMessage {{ color: {colour}; font-weight: 600; }}" if colour else ""
        )
        self.message.setVisible(bool(text))

    def message_text(self) -> str:
        return self.message.text() if not self.message.isHidden() else ""

    # -- the result --------------------------------------------------------------------

    def open_result(self) -> None:
        if self.made is not None:
            self.open_url(QUrl.fromLocalFile(str(self.made.path)))

    def show_folder(self) -> None:
        if self.made is not None:
            path = self.made.path
            folder = path if self.made.fmt == "csv" else path.parent
            self.open_url(QUrl.fromLocalFile(str(folder)))
