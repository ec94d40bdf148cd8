"""Asking for a silence change: a new silence (matchers, end, comment), a new end for one,
or its expiry (a reason). Each sends once when confirmed and shows the backend's answer,
or why it refused, in the dialog; Confirm stays disabled, saying why, until what is typed
can be sent."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import shiboken6
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.controllers.alerts_controller import maybe_made
from console.models.alerts import MatcherView
from console.models.format import moment
from console.services.backend_client import BackendError
from console.tasks import TaskOwner
from console.views.colours import BAD
from taskdeck_core.silence_types import LABEL_NAME_PATTERN, MAX_COMMENT, MAX_DAYS, MAX_MATCHERS

QUICK_PICKS_S = (3600, 4 * 3600, 86400)
CUSTOM = -1
COL_NAME, COL_VALUE, COL_REGEX = 0, 1, 2
# What a dialog sends: the backend's answer in words, or BackendError.
CreateSubmit = Callable[[list[MatcherView], datetime, str], Awaitable[str]]
ChangeSubmit = Callable[[datetime | None, str], Awaitable[str]]
Explain = Callable[[BackendError], str]


class EndPicker(QWidget):
    """When a silence ends: a quick pick (from ``base()``, now or the silence's current
    end) or a custom date and time."""

    def __init__(
        self, base: Callable[[], float], later: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.base = base
        self.choice = QComboBox()
        names = (
            (self.tr("1 hour later"), self.tr("4 hours later"), self.tr("1 day later")) if later
            else (self.tr("in 1 hour"), self.tr("in 4 hours"), self.tr("in 1 day"))
        )  # fmt: skip
        for seconds, text in zip(QUICK_PICKS_S, names, strict=True):
            self.choice.addItem(text, seconds)
        self.choice.addItem(self.tr("Custom end…"), CUSTOM)
        self.custom = QDateTimeEdit()
        self.custom.setCalendarPopup(True)
        self.custom.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.custom.setDateTime(QDateTime.fromSecsSinceEpoch(int(base()) + 3600))
        self.custom.hide()
        self.preview = QLabel("")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.choice)
        layout.addWidget(self.custom)
        layout.addWidget(self.preview, 1)
        self.choice.currentIndexChanged.connect(self._chosen)
        self.custom.dateTimeChanged.connect(self._show_preview)
        self._show_preview()

    def _chosen(self) -> None:
        self.custom.setVisible(self.choice.currentData() == CUSTOM)
        self._show_preview()

    def _show_preview(self) -> None:
        end = self.end().astimezone()
        self.preview.setText(self.tr("ends {when}").format(when=end.strftime("%Y-%m-%d %H:%M")))

    def set_custom(self, end: datetime) -> None:
        """Choose a custom end (local time of the clock)."""
        self.choice.setCurrentIndex(self.choice.findData(CUSTOM))
        self.custom.setDateTime(QDateTime.fromSecsSinceEpoch(int(end.timestamp())))

    def content(self) -> tuple[int, int]:
        """The choice as made (a quick pick, or the custom end), not the moment it comes to."""
        return int(self.choice.currentData()), self.custom.dateTime().toSecsSinceEpoch()

    def end(self) -> datetime:
        seconds = self.choice.currentData()
        if seconds == CUSTOM:
            return datetime.fromtimestamp(self.custom.dateTime().toSecsSinceEpoch(), UTC)
        return datetime.fromtimestamp(self.base() + float(seconds), UTC)

    def problem(self) -> str:
        end = self.end().timestamp()
        if end <= time.time():
            return self.tr("The end is in the past: choose a later one.")
        if end > time.time() + MAX_DAYS * 86400:
            return self.tr("The end is more than {days} days away: choose an earlier one.").format(
                days=MAX_DAYS
            )
        return ""


class _AskDialog(QDialog):
    """What the silence dialogs share: a hint, the answer, Confirm (once) and Cancel."""

    def __init__(self, title: str, subject: str, explain: Explain, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        self.explain = explain
        self.succeeded = False
        # What was sent without an answer (it may have been done): not offered again as is.
        self.unanswered: object = None
        # A request under way finishes even if the dialog is closed meanwhile: the page
        # shows what it came to.
        self._tasks = TaskOwner()
        self.layout_ = QVBoxLayout(self)
        head = QLabel(subject)
        head.setWordWrap(True)
        head.setTextFormat(Qt.TextFormat.PlainText)
        self.layout_.addWidget(head)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.hint = QLabel("")
        self.hint.setObjectName("silenceHint")
        self.hint.setWordWrap(True)
        self.answer = QLabel("")
        self.answer.setObjectName("silenceAnswer")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.PlainText)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox()
        self.confirm = QPushButton(self.tr("Confirm"))
        self.confirm.setDefault(True)
        buttons.addButton(self.confirm, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        self.confirm.clicked.connect(self._confirmed)
        self._buttons = buttons

    def _finish_layout(self) -> None:
        self.layout_.addWidget(self.hint)
        self.layout_.addWidget(self.answer)
        self.layout_.addWidget(self._buttons)
        self._check()

    def problems(self) -> list[str]:
        raise NotImplementedError

    def content(self) -> object:
        """What Confirm would send, comparable: the same is not sent twice unanswered."""
        raise NotImplementedError

    def _check(self) -> None:
        self._update(self._tasks.running("send"))

    def _update(self, sending: bool) -> None:
        problems = self.problems()
        if not problems and self.unanswered is not None and self.content() == self.unanswered:
            problems = [self.tr("This was sent and may have been done: look at the silences "
                                "list before sending it again (change it to send something "
                                "else).")]  # fmt: skip
        self.confirm.setEnabled(not problems and not sending and not self.succeeded)
        if not self.succeeded and not sending:
            self.hint.setText(problems[0] if problems else "")

    def _confirmed(self) -> None:
        self._check()  # an end may have passed since
        if not self.confirm.isEnabled():
            return
        self.confirm.setEnabled(False)  # a second click does nothing
        self._tasks.run(self._send(self.content()), key="send")
        self.hint.setText(self.tr("Asking the backend…"))
        self.answer.clear()

    def _submit(self) -> Awaitable[str]:
        raise NotImplementedError

    def _fields(self) -> list[QWidget]:
        raise NotImplementedError

    async def _send(self, content: object) -> None:
        try:
            text = await self._submit()
        except BackendError as exc:
            if not shiboken6.isValid(self):
                return
            if maybe_made(exc):
                self.unanswered = content
            self.answer.setStyleSheet(f"#silenceAnswer {{ color: {BAD}; font-weight: 600; }}")
            self.answer.setText(self.explain(exc))
            self._update(sending=False)
            return
        if not shiboken6.isValid(self):
            return
        self.succeeded = True
        self.answer.setStyleSheet("")
        self.answer.setText(text)
        self.hint.setText("")
        self.confirm.hide()
        self.close_button.setText(self.tr("Close"))
        for field in self._fields():
            field.setEnabled(False)

    def answer_text(self) -> str:
        return self.answer.text()


class SilenceDialog(_AskDialog):
    """A new silence: its matchers (from the alert's labels; a row's name, value and
    regex flag can be changed, rows removed and added), its end, and a comment."""

    def __init__(
        self, subject: str, matchers: list[MatcherView], submit: CreateSubmit, explain: Explain,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(self.tr("Silence alerts"), subject, explain, parent)
        self.submit = submit
        self.matchers = QTableWidget(0, 3)
        self.matchers.setHorizontalHeaderLabels(
            [self.tr("Label"), self.tr("Value"), self.tr("Regex")]
        )
        self.matchers.verticalHeader().hide()
        header = self.matchers.horizontalHeader()
        header.setSectionResizeMode(COL_VALUE, QHeaderView.ResizeMode.Stretch)
        self.matchers.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.matchers.setMinimumHeight(180)
        for matcher in matchers:
            self.add_row(matcher)
        self.add_button = QPushButton(self.tr("Add matcher"))
        self.remove_button = QPushButton(self.tr("Remove selected"))
        self.add_button.clicked.connect(lambda: self.add_row(MatcherView("", "")))
        self.remove_button.clicked.connect(self.remove_selected)
        rows = QHBoxLayout()
        rows.addWidget(self.add_button)
        rows.addWidget(self.remove_button)
        rows.addStretch(1)
        self.layout_.insertWidget(1, self.matchers)
        self.layout_.insertLayout(2, rows)
        self.end = EndPicker(time.time)
        self.comment = QLineEdit()
        self.comment.setMaxLength(MAX_COMMENT)
        self.comment.setPlaceholderText(self.tr("Why (kept with the silence and audited)"))
        self.form.addRow(self.tr("Ends:"), self.end)  # in so long, or at a custom end
        self.form.addRow(self.tr("Comment:"), self.comment)
        self.comment.textChanged.connect(self._check)
        self.matchers.itemChanged.connect(self._check)
        self.end.choice.currentIndexChanged.connect(self._check)
        self.end.custom.dateTimeChanged.connect(self._check)
        self._finish_layout()

    def add_row(self, matcher: MatcherView) -> int:
        row = self.matchers.rowCount()
        self.matchers.insertRow(row)
        self.matchers.setItem(row, COL_NAME, QTableWidgetItem(matcher.name))
        self.matchers.setItem(row, COL_VALUE, QTableWidgetItem(matcher.value))
        regex = QTableWidgetItem("")
        regex.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        regex.setCheckState(Qt.CheckState.Checked if matcher.is_regex else Qt.CheckState.Unchecked)
        self.matchers.setItem(row, COL_REGEX, regex)
        self._check()
        return row

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.matchers.selectedIndexes()}, reverse=True):
            self.matchers.removeRow(row)
        self._check()

    def matcher_values(self) -> list[MatcherView]:
        found: list[MatcherView] = []
        for row in range(self.matchers.rowCount()):
            name, value, regex = (self.matchers.item(row, c) for c in (COL_NAME, COL_VALUE,
                                                                        COL_REGEX))  # fmt: skip
            found.append(MatcherView(
                name.text().strip() if name else "", value.text() if value else "",
                regex is not None and regex.checkState() == Qt.CheckState.Checked,
            ))  # fmt: skip
        return found

    def problems(self) -> list[str]:
        if not hasattr(self, "comment"):
            return [""]  # still being built
        problems: list[str] = []
        matchers = self.matcher_values()
        if not matchers:
            problems.append(self.tr("Add at least one matcher."))
        if len(matchers) > MAX_MATCHERS:
            problems.append(self.tr("At most {n} matchers.").format(n=MAX_MATCHERS))
        for matcher in matchers:
            if not matcher.name:
                problems.append(self.tr("Every matcher needs a label name."))
                break
            if not re.fullmatch(LABEL_NAME_PATTERN, matcher.name):
                problems.append(self.tr("“{name}” is not a label name (letters, digits and _, "
                                        "not starting with a digit).").format(name=matcher.name))  # fmt: skip
                break
            if matcher.is_regex:
                try:
                    re.compile(matcher.value)
                except re.error as exc:
                    problems.append(self.tr("“{value}” is not a regular expression: {error}.")
                                    .format(value=matcher.value, error=exc))  # fmt: skip
                    break
        if matchers and all(m.value == "" and not m.is_regex for m in matchers):
            problems.append(self.tr("At least one matcher needs a value."))
        end = self.end.problem()
        if end:
            problems.append(end)
        if not self.comment.text().strip():
            problems.append(self.tr("Give a comment: why are these alerts silenced?"))
        return problems

    def _submit(self) -> Awaitable[str]:
        return self.submit(self.matcher_values(), self.end.end(), self.comment.text().strip())

    def content(self) -> object:
        return (tuple(self.matcher_values()), self.end.content(), self.comment.text().strip())

    def _fields(self) -> list[QWidget]:
        return [self.matchers, self.add_button, self.remove_button, self.end, self.comment]


class SilenceChangeDialog(_AskDialog):
    """A silence's new end (when ``end_base`` is given) or its expiry, with a reason."""

    def __init__(
        self, title: str, subject: str, submit: ChangeSubmit, explain: Explain,
        end_base: float | None = None, parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(title, subject, explain, parent)
        self.submit = submit
        self.end: EndPicker | None = None
        self.current_end = end_base
        if end_base is not None:
            base = end_base
            self.end = EndPicker(lambda: max(time.time(), base), later=True)
            self.form.addRow(self.tr("New end:"), self.end)
            self.end.choice.currentIndexChanged.connect(self._check)
            self.end.custom.dateTimeChanged.connect(self._check)
        self.reason = QLineEdit()
        self.reason.setMaxLength(MAX_COMMENT)
        self.reason.setPlaceholderText(self.tr("Why (recorded in the audit log)"))
        self.form.addRow(self.tr("Reason:"), self.reason)
        self.reason.textChanged.connect(self._check)
        self._finish_layout()

    def problems(self) -> list[str]:
        if not hasattr(self, "reason"):
            return [""]
        problems: list[str] = []
        if self.end is not None and self.end.problem():
            problems.append(self.end.problem())
        elif (self.end is not None and self.current_end is not None
              and self.end.end().timestamp() <= self.current_end):  # fmt: skip
            problems.append(self.tr("The new end must be after the current end, {end}.").format(
                end=moment(self.current_end)))  # fmt: skip
        if not self.reason.text().strip():
            problems.append(self.tr("Give a reason."))
        return problems

    def _submit(self) -> Awaitable[str]:
        end = self.end.end() if self.end is not None else None
        return self.submit(end, self.reason.text().strip())

    def content(self) -> object:
        return (self.end.content() if self.end is not None else None, self.reason.text().strip())

    def _fields(self) -> list[QWidget]:
        return [w for w in (self.end, self.reason) if w is not None]
