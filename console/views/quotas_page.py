"""Quotas: every user's slots against their limit, the selected user's trend and open
tasks, and, for admins, changing a limit or reconciling the slots with the ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from console.controllers.quotas_controller import (
    QuotasController,
    default_text,
    limit_text,
    reconcile_text,
)
from console.controllers.tasks_controller import problem_text
from console.domain.clock import now as clock_now
from console.models.format import clock, number
from console.models.quotas_table_model import (
    COL_USAGE,
    QuotasTableModel,
    QuotaView,
    SaturationRole,
    saturation_colour,
)
from console.services.backend_client import BackendError
from console.snapshot.read_only import READ_ONLY_ROLE, read_only_text
from console.tasks import TaskOwner
from console.views.colours import BAD, WARN
from console.views.plots.trend_plot import TrendPlot
from console.views.widgets.filter_table import FilterTable
from console.views.widgets.page_title import page_title
from taskdeck_core.api_types import QuotaDefault

LIMIT_MIN, LIMIT_MAX = 1, 100_000  # as the backend accepts them
REASON_MAX = 2000
TASKS_LISTED = 200  # the selected user's open tasks listed at most
# What a dialog sends: (limit or None, reason) -> the backend's answer in words.
Submit = Callable[[int | None, str], Awaitable[str]]


def refusal_text(exc: BackendError) -> str:
    """A change that did not go through, in words: refused (nothing changed), not sent
    (nothing changed), or sent with no answer (it may have been made)."""
    if exc.code in ("timeout", "no_answer"):
        return QCoreApplication.translate("QuotasPage", "The backend did not answer: the change may or may not have been "
                  "made. The table shows what holds once the backend answers again.")  # fmt: skip
    if exc.status is None:
        return QCoreApplication.translate("QuotasPage", "{problem}. Nothing was sent, so nothing was changed.").format(
            problem=problem_text(exc))  # fmt: skip
    return QCoreApplication.translate("QuotasPage", "The backend refused (HTTP {status}): {problem}. Nothing was changed.").format(
        status=exc.status, problem=problem_text(exc))  # fmt: skip


class UsageBarDelegate(QStyledItemDelegate):
    """Used / limit as a bar: its length the share of the limit, green below 70 %, orange
    below 90 %, red from there; the text over it."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:  # fmt: skip
        share = index.data(SaturationRole)
        if not isinstance(share, float):
            super().paint(painter, option, index)
            return
        style = option.widget.style() if option.widget else None
        if style is not None:  # the row's background and selection, as any cell
            plain = QStyleOptionViewItem(option)
            self.initStyleOption(plain, index)
            plain.text = ""
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, option.widget)
        rect = QRectF(option.rect).adjusted(3, 4, -3, -4)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = option.palette.color(QPalette.ColorRole.Mid)
        track.setAlpha(90)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(rect, 3, 3)
        filled = QRectF(rect)
        filled.setWidth(rect.width() * max(0.0, min(1.0, share)))
        painter.setBrush(QColor(saturation_colour(share)))
        painter.drawRoundedRect(filled, 3, 3)
        # The text over the bar is white, over the empty track the palette's own text
        # colour: readable at any share, light or dark.
        text, centre = str(index.data()), int(Qt.AlignmentFlag.AlignCenter)
        painter.setClipRect(rect.adjusted(filled.width(), 0, 0, 0))
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(rect, centre, text)
        painter.setClipRect(filled)
        painter.setPen(QColor("white"))
        painter.drawText(rect, centre, text)
        painter.restore()


class QuotaDialog(QDialog):
    """A change to one user's quota: the new limit (for a limit change) and a reason, sent
    when confirmed; the backend's answer, or why it refused, is shown in the dialog.

    The limit is a whole number from 1 to 100,000 (the spin box allows nothing else);
    Confirm stays disabled until a reason is given, and while the request is under way."""

    def __init__(
        self, title: str, subject: str, submit: Submit, limit: int | None = None,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.submit = submit
        self.succeeded = False
        # A request under way finishes even if the dialog is closed meanwhile: the page
        # shows what it came to.
        self._tasks = TaskOwner()
        layout = QVBoxLayout(self)
        head = QLabel(subject)
        head.setWordWrap(True)
        head.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(head)
        form = QFormLayout()
        self.limit = QSpinBox()
        self.limit.setRange(LIMIT_MIN, LIMIT_MAX)
        self.limit.setGroupSeparatorShown(True)
        self.limit.setToolTip(self.tr("Tasks queued or running at once: 1 … 100,000"))
        if limit is not None:
            self.limit.setValue(max(LIMIT_MIN, min(LIMIT_MAX, limit)))
            form.addRow(self.tr("New limit:"), self.limit)
        else:
            self.limit.hide()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("Why (recorded in the audit log)"))
        self.reason.setMaxLength(REASON_MAX)
        form.addRow(self.tr("Reason:"), self.reason)
        layout.addLayout(form)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.answer = QLabel("")
        self.answer.setObjectName("quotaAnswer")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.PlainText)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.answer)
        buttons = QDialogButtonBox()
        self.confirm = QPushButton(self.tr("Confirm"))
        self.confirm.setDefault(True)
        buttons.addButton(self.confirm, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        self.confirm.clicked.connect(self._confirmed)
        layout.addWidget(buttons)
        self.reason.textChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        sending = self._tasks.running("send")
        ready = bool(self.reason.text().strip()) and not sending and not self.succeeded
        self.confirm.setEnabled(ready)
        if not self.succeeded and not sending:
            self.hint.setText("" if ready else self.tr("Give a reason."))

    def _confirmed(self) -> None:
        if not self.confirm.isEnabled():
            return
        self.confirm.setEnabled(False)  # a second click does nothing
        limit = self.limit.value() if self.limit.isVisibleTo(self) else None
        self._tasks.run(self._send(limit, self.reason.text().strip()), key="send")
        self.hint.setText(self.tr("Asking the backend…"))
        self.answer.clear()

    async def _send(self, limit: int | None, reason: str) -> None:
        try:
            text = await self.submit(limit, reason)
        except BackendError as exc:
            if not shiboken6.isValid(self):
                return
            self.answer.setStyleSheet(f"#quotaAnswer {{ color: {BAD}; font-weight: 600; }}")
            self.answer.setText(refusal_text(exc))
            self.hint.setText("")
            self.confirm.setEnabled(bool(self.reason.text().strip()))
            return
        if not shiboken6.isValid(self):
            return
        self.succeeded = True
        self.answer.setStyleSheet("")
        self.answer.setText(text)
        self.hint.setText("")
        self.confirm.hide()
        self.close_button.setText(self.tr("Close"))
        for field in (self.limit, self.reason):
            field.setEnabled(False)

    def answer_text(self) -> str:
        return self.answer.text()


class QuotasPage(QWidget):
    open_tasks = Signal(str)  # show this user's open tasks on the Tasks page
    status = Signal(str)  # a line for the status bar

    def __init__(self, model: QuotasTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.controller: QuotasController | None = None
        self.role = ""
        self.user: str | None = None  # the selected user
        self.dialog: QuotaDialog | None = None  # the change being asked for, while open
        title = page_title(self.tr("Quotas"))
        self.stale = QLabel("")
        self.stale.setObjectName("staleNote")
        self.stale.setWordWrap(True)
        self.stale.setStyleSheet(f"#staleNote {{ color: {WARN}; font-weight: 600; }}")
        self.stale.hide()
        self.default_note = QLabel("")
        self.default_note.setWordWrap(True)
        self.default_button = QPushButton(self.tr("Change default…"))
        self.default_button.clicked.connect(self._ask_default)
        self.default: QuotaDefault | None = None
        self.table = FilterTable(model, self.tr("Filter users (Ctrl+F)"), stretch_column=COL_USAGE)
        self.table.table.setItemDelegateForColumn(COL_USAGE, UsageBarDelegate(self.table.table))
        self.table.key_selected.connect(self._user_changed)
        self.trend = TrendPlot.for_selection(
            self.tr("Slots used by the selected user (1 h)"), self.tr("Select a user")
        )
        self.tasks_heading = QLabel(self.tr("Select a user to see the tasks that hold slots."))
        self.tasks_heading.setWordWrap(True)
        self.tasks = QListWidget()
        self.show_tasks_button = QPushButton(self.tr("Show in Tasks"))
        self.show_tasks_button.setFlat(True)
        self.show_tasks_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.show_tasks_button.setStyleSheet("QPushButton { color: palette(link); "
                                             "text-decoration: underline; border: none; }")  # fmt: skip
        self.show_tasks_button.clicked.connect(self._show_in_tasks)
        self.limit_button = QPushButton(self.tr("Change limit…"))
        self.reconcile_button = QPushButton(self.tr("Reconcile…"))
        self.limit_button.clicked.connect(self._ask_limit)
        self.reconcile_button.clicked.connect(self._ask_reconcile)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.limit_button)
        buttons.addWidget(self.reconcile_button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_tasks_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.tasks_heading)
        right_layout.addWidget(self.tasks, 1)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.result)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.trend)
        lower.addWidget(right)
        lower.setStretchFactor(1, 1)
        lower.setSizes([420, 680])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([300, 400])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.stale)
        default_row = QHBoxLayout()
        default_row.addWidget(self.default_note, 1)
        default_row.addWidget(self.default_button)
        layout.addLayout(default_row)
        layout.addWidget(split, 1)
        self._questions = TaskOwner()
        self._update_buttons()

    # -- wiring ------------------------------------------------------------------------

    def attach(self, controller: QuotasController) -> None:
        """Show ``controller``'s rows, failures, changes and trend (one environment's)."""
        self.controller = controller
        controller.rows_changed.connect(self.show_rows)
        controller.failed.connect(self.show_failure)
        controller.changed.connect(self.show_result)
        controller.default_changed.connect(self.show_default)
        controller.trend.series_changed.connect(self.trend.show_answer)
        controller.trend.failed.connect(
            lambda error: self.trend.show_failure(
                self.tr("Prometheus: {error}").format(error=error)
            )
        )
        if controller.trend.prometheus is None:
            self.trend.prompt = self.tr("No Prometheus configured: no trend")
            self.trend.show_message(self.trend.prompt)
        if self.user is not None:
            controller.trend.select(self.user)

    def clear(self) -> None:
        """Forget what the page shows (another environment's data must not stay)."""
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.reject()
        self._questions.close()
        self._questions = TaskOwner()
        self.controller = None
        self.user = None
        self.show_default(None)
        self.model.set_rows([])
        self.trend.clear()
        self.tasks.clear()
        self.tasks_heading.setText(self.tr("Select a user to see the tasks that hold slots."))
        self.result.clear()
        self.stale.clear()
        self.stale.hide()
        self._update_buttons()

    def set_role(self, role: str) -> None:
        self.role = role
        self._update_buttons()

    # -- what the controller says ------------------------------------------------------

    def show_rows(self, rows: list[QuotaView]) -> None:
        self.model.update_rows(rows)
        self.stale.hide()
        self._show_user_tasks()
        self._update_buttons()

    def show_default(self, default: QuotaDefault | None) -> None:
        """The limit of users without one of their own, and where it comes from."""
        self.default = default
        if default is None:
            text = self.tr("Users without a limit of their own have the backend's default limit "
                           "(not known yet).")  # fmt: skip
        elif default.changed:
            text = self.tr("Users without a limit of their own may hold {limit} slots: the "
                           "default an admin set (the backend's setting "
                           "TASKDECK_QUOTA_DEFAULT is {setting}).").format(
                limit=number(default.limit), setting=number(default.setting))  # fmt: skip
        else:
            text = self.tr("Users without a limit of their own may hold {limit} slots: the "
                           "backend's setting TASKDECK_QUOTA_DEFAULT.").format(
                limit=number(default.limit))  # fmt: skip
        self.default_note.setText(text)
        self._update_buttons()

    def show_failure(self, text: str) -> None:
        """A read failed: the rows shown stay, marked as not current."""
        self.stale.setText(self.tr("{problem} (at {time}; the rows shown are the last read)")
                           .format(problem=text, time=clock(clock_now())))  # fmt: skip
        self.stale.show()
        self.status.emit(text)

    def show_result(self, text: str) -> None:
        """What the last change came to, as the backend said (stays until the next one)."""
        self.result.setText(text)
        self.status.emit(text)

    def stale_text(self) -> str:
        return self.stale.text() if not self.stale.isHidden() else ""

    # -- selection ---------------------------------------------------------------------

    def selected(self) -> QuotaView | None:
        return None if self.user is None else self.model.row_for(self.user)

    def _user_changed(self, user: str) -> None:
        self.user = user
        self.trend.clear()
        self.trend.clear_message()
        if self.controller is not None:
            if self.controller.trend.prometheus is None:
                self.trend.show_message(self.trend.prompt)
            self.controller.trend.select(user)
        self._show_user_tasks()
        self._update_buttons()

    def _show_user_tasks(self) -> None:
        row = self.selected()
        self.tasks.clear()
        if row is None or self.controller is None:
            return
        held = self.controller.open_tasks_of(row.user)
        for task in held[:TASKS_LISTED]:
            self.tasks.addItem(
                self.tr("{id}  {name}  {state}  {queue}").format(
                    id=task.task_id,
                    name=task.name or "—",
                    state=task.state,
                    queue=task.queue or "—",
                )  # fmt: skip
            )
        if len(held) > TASKS_LISTED:
            self.tasks.addItem(self.tr("… and {n} more").format(n=number(len(held) - TASKS_LISTED)))
        self.tasks_heading.setText(
            self.tr("{user}: {n} open tasks in the ledger, {used} slots held").format(
                user=row.user, n=number(len(held)), used=number(row.used)
            )
        )

    def _show_in_tasks(self) -> None:
        if self.user is not None:
            self.open_tasks.emit(self.user)

    def _update_buttons(self) -> None:
        admin = self.role == "admin"
        chosen = self.selected() is not None and self.controller is not None
        why = "" if admin else self.tr(
            "Changing a quota needs the admin role (this profile's role: {role})."
        ).format(role=self.role or self.tr("unknown"))  # fmt: skip
        if self.role == READ_ONLY_ROLE:
            why = read_only_text()
        for button in (self.limit_button, self.reconcile_button):
            button.setEnabled(admin and chosen)
            button.setToolTip(why if not admin else "" if chosen else self.tr("Select a user."))
        known = self.default is not None and self.controller is not None
        self.default_button.setEnabled(admin and known)
        self.default_button.setToolTip(
            why if not admin else "" if known else self.tr("The default is not known yet.")
        )
        self.show_tasks_button.setEnabled(self.user is not None)

    # -- changes (admin) ---------------------------------------------------------------

    def _ask_limit(self) -> None:
        self._questions.run(self._ask(limit=True), key="question")

    def _ask_reconcile(self) -> None:
        self._questions.run(self._ask(limit=False), key="question")

    def _ask_default(self) -> None:
        self._questions.run(self._ask_for_default(), key="question")

    async def _ask_for_default(self) -> None:
        default, controller = self.default, self.controller
        if default is None or controller is None:
            return

        async def change(value: int | None, reason: str) -> str:
            assert value is not None
            return default_text(await controller.set_default(value, reason))

        subject = self.tr("Users without a limit of their own may hold {limit} slots. The new "
                          "default applies to their next submission, on every backend; tasks "
                          "already accepted stay.").format(limit=number(default.limit))  # fmt: skip
        dialog = QuotaDialog(self.tr("Change the default limit"), subject, change, default.limit,
                             self)  # fmt: skip
        await self._run(dialog)

    async def _ask(self, limit: bool) -> None:
        row, controller = self.selected(), self.controller
        if row is None or controller is None:
            return
        user = row.user

        async def change(value: int | None, reason: str) -> str:
            if value is not None:
                return limit_text(await controller.set_limit(user, value, reason))
            return reconcile_text(await controller.reconcile(user, reason))

        if limit:
            title = self.tr("Change {user}'s limit").format(user=user)
            subject = self.tr("{user} holds {used} of {limit} slots. The new limit applies to "
                              "the next submission; tasks already accepted stay.").format(
                user=user, used=number(row.used), limit=number(row.limit))  # fmt: skip
        else:
            title = self.tr("Reconcile {user}'s slots").format(user=user)
            subject = self.tr("{user} holds {used} slots; the ledger knows {open} open tasks "
                              "(drift {drift}). Reconciling makes the slots exactly those "
                              "tasks.").format(
                user=user, used=number(row.used), open=number(row.open_in_ledger),
                drift=number(row.drift))  # fmt: skip
        await self._run(QuotaDialog(title, subject, change, row.limit if limit else None, self))

    async def _run(self, dialog: QuotaDialog) -> None:
        """Show ``dialog`` until it is closed (the page closes it with the environment)."""
        self.dialog = dialog
        finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def ended(result: int) -> None:
            if not finished.done():
                finished.set_result(result)

        dialog.finished.connect(ended)
        dialog.open()
        try:
            await finished
        finally:
            if shiboken6.isValid(self):
                self.dialog = None
            if shiboken6.isValid(dialog):  # not deleted with the page
                if dialog.isVisible():
                    dialog.reject()
                dialog.deleteLater()
