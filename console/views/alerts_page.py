"""Alerts: Alertmanager's alerts as its routing groups them, each with its state, severity,
age, summary and description and the page it concerns; its silences; and, for admins,
silencing an alert, extending or expiring a silence. Critical alerts firing anew raise a
desktop notification (once per firing), unless the profile turned them off."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import shiboken6
from PySide6.QtCore import QMetaObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.controllers.alerts_controller import (
    AlertsController,
    created_text,
    expired_text,
    extended_text,
    refusal_text,
)
from console.domain.clock import now as clock_now
from console.models.alerts import (
    ANOMALY,
    QUEUE,
    TASK,
    USER,
    WORKER,
    AlertGroupView,
    AlertView,
    MatcherView,
    SilenceView,
    severity_colour,
    target_of,
)
from console.models.format import clock, duration
from console.services.backend_client import BackendError
from console.snapshot.read_only import READ_ONLY_ROLE, read_only_text
from console.tasks import TaskOwner
from console.views.colours import WARN
from console.views.dialogs.silence_dialog import SilenceChangeDialog, SilenceDialog
from console.views.signals import disconnect_all
from console.views.tray_notifier import TrayNotifier
from console.views.widgets.page_title import page_title
from taskdeck_core.silence_types import SilenceMatcher

KeyRole = Qt.ItemDataRole.UserRole
COL_ALERT, COL_SEVERITY, COL_STATE, COL_AGE, COL_SUMMARY = range(5)
S_MATCHERS, S_CREATOR, S_COMMENT, S_STARTS, S_ENDS, S_LEFT, S_STATE = range(7)


class AlertsPage(QWidget):
    open_target = Signal(str, str)  # (kind, value): "queue", "worker", "task", "user", "anomaly"
    page_wanted = Signal()  # a notification was clicked: show this page (on that alert)
    status = Signal(str)  # a line for the status bar

    def __init__(self, notifier: TrayNotifier | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller: AlertsController | None = None
        self.notifier = notifier or TrayNotifier(self)
        self.notifier.clicked.connect(self._notification_clicked)
        self.notifications = True
        self.role = ""
        self.groups: list[AlertGroupView] = []
        self.silences: list[SilenceView] = []
        self.alert_key: str | None = None  # the selected alert
        self.silence_id: str | None = None  # the selected silence
        self.dialog: SilenceDialog | SilenceChangeDialog | None = None
        self.read_at = 0.0
        self.problem = ""
        self.retry_s = 0.0
        self._connections: list[QMetaObject.Connection] = []
        title = page_title(self.tr("Alerts"))
        self.stale = QLabel("")
        self.stale.setObjectName("alertsStale")
        self.stale.setWordWrap(True)
        self.stale.setStyleSheet(f"#alertsStale {{ color: {WARN}; font-weight: 600; }}")
        self.stale.hide()
        self.read_note = QLabel(self.tr("Not read yet."))
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.read_note, 1)
        top.addWidget(self.refresh_button)
        # Alerts, grouped as Alertmanager groups them.
        self.tree = QTreeWidget()
        self.tree.setColumnCount(5)
        self.tree.setHeaderLabels([self.tr("Alert"), self.tr("Severity"), self.tr("State"),
                                   self.tr("Age"), self.tr("Summary")])  # fmt: skip
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(COL_SUMMARY, QHeaderView.ResizeMode.Stretch)
        for column, width in ((COL_ALERT, 330), (COL_SEVERITY, 80), (COL_STATE, 90),
                              (COL_AGE, 110)):  # fmt: skip
            self.tree.setColumnWidth(column, width)
        self.tree.currentItemChanged.connect(self._alert_changed)
        self.tree.itemDoubleClicked.connect(lambda *_: self._open_target())
        self.empty = QLabel(self.tr("No alerts."))
        self.empty.hide()
        self.detail = QLabel(self.tr("Select an alert to see it in full."))
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.silence_button = QPushButton(self.tr("Silence…"))
        self.silence_button.clicked.connect(self._ask_silence)
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.clicked.connect(self._open_target)
        alert_buttons = QHBoxLayout()
        alert_buttons.addWidget(self.silence_button)
        alert_buttons.addWidget(self.open_button)
        alert_buttons.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.detail, 1)
        right_layout.addLayout(alert_buttons)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tree, 1)
        left_layout.addWidget(self.empty)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(left)
        upper.addWidget(right)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 2)
        upper.setSizes([880, 420])
        # Silences.
        self.silences_heading = QLabel(self.tr("Silences"))
        self.show_expired = QCheckBox(self.tr("Show expired"))
        self.show_expired.toggled.connect(lambda _on: self._show_silences())
        self.extend_button = QPushButton(self.tr("Extend…"))
        self.expire_button = QPushButton(self.tr("Expire…"))
        self.extend_button.clicked.connect(self._ask_extend)
        self.expire_button.clicked.connect(self._ask_expire)
        silence_bar = QHBoxLayout()
        silence_bar.addWidget(self.silences_heading)
        silence_bar.addStretch(1)
        silence_bar.addWidget(self.show_expired)
        silence_bar.addWidget(self.extend_button)
        silence_bar.addWidget(self.expire_button)
        self.silence_table = QTableWidget(0, 7)
        self.silence_table.setHorizontalHeaderLabels([
            self.tr("Matchers"), self.tr("Created by"), self.tr("Comment"), self.tr("Starts"),
            self.tr("Ends"), self.tr("Time left"), self.tr("State"),
        ])  # fmt: skip
        self.silence_table.verticalHeader().hide()
        self.silence_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.silence_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.silence_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.silence_table.horizontalHeader().setSectionResizeMode(
            S_COMMENT, QHeaderView.ResizeMode.Stretch
        )
        for column, width in ((S_MATCHERS, 420), (S_STARTS, 150), (S_ENDS, 150)):
            self.silence_table.setColumnWidth(column, width)
        self.silence_table.itemSelectionChanged.connect(self._silence_changed)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(silence_bar)
        lower_layout.addWidget(self.silence_table, 1)
        lower_layout.addWidget(self.result)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setSizes([460, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.stale)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self._questions = TaskOwner()
        # Ages and the staleness note move on between reads.
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._tick_ages)
        self._tick.start()
        self._update_buttons()

    # -- wiring ------------------------------------------------------------------------

    def attach(self, controller: AlertsController) -> None:
        """Show ``controller``'s alerts and silences (one environment's); it reads and
        notifies whether the page is shown or not, once started."""
        self.detach()
        self.controller = controller
        c = controller
        controller.set_notifications(self.notifications)
        self._connections = [
            c.groups_changed.connect(self.show_groups),
            c.silences_changed.connect(self.show_silences),
            c.failed.connect(self.show_failure),
            c.read_ok.connect(self.show_read),
            c.changed.connect(self.show_result),
            c.critical_fired.connect(self.notify),
        ]
        self._update_buttons()

    def detach(self) -> None:
        if self.controller is not None:
            disconnect_all(self._connections)
        self._connections = []
        self.controller = None

    def clear(self) -> None:
        """Forget what the page shows (another environment's data must not stay)."""
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.reject()
        self._questions.close()
        self._questions = TaskOwner()
        self.detach()
        self.groups, self.silences = [], []
        self.alert_key = self.silence_id = None
        self.read_at, self.problem, self.retry_s = 0.0, "", 0.0
        self.tree.clear()
        self.silence_table.setRowCount(0)
        self.detail.setText(self.tr("Select an alert to see it in full."))
        self.result.clear()
        self.stale.clear()
        self.stale.hide()
        self.read_note.setText(self.tr("Not read yet."))
        self._update_buttons()

    def set_role(self, role: str) -> None:
        self.role = role
        self._update_buttons()

    def set_notifications(self, on: bool) -> None:
        """The profile's choice: desktop notifications of critical alerts, or none."""
        self.notifications = on
        if self.controller is not None:
            self.controller.set_notifications(on)

    def refresh(self) -> None:
        if self.controller is not None:
            self.controller.refresh()

    # -- what the controller says ------------------------------------------------------

    def show_groups(self, groups: list[AlertGroupView]) -> None:
        self.groups = groups
        keep = self.alert_key
        self.tree.blockSignals(True)
        try:
            self.tree.clear()
            now = clock_now()
            chosen: QTreeWidgetItem | None = None
            for group in groups:
                item = QTreeWidgetItem(self.tree)
                labels = ", ".join(f"{k}={v}" for k, v in sorted(group.labels.items()))
                item.setText(COL_ALERT, labels or self.tr("(all alerts)"))
                item.setText(COL_SUMMARY, self._group_text(group))
                item.setToolTip(COL_ALERT, self.tr("Grouped by Alertmanager: {labels}; sent to "
                                                   "{receiver}").format(
                    labels=labels or "—", receiver=group.receiver or "—"))  # fmt: skip
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = item.font(COL_ALERT)
                font.setBold(True)
                item.setFont(COL_ALERT, font)
                self._paint_severity(item, group.severity)
                for alert in group.alerts:
                    child = QTreeWidgetItem(item)
                    child.setData(COL_ALERT, KeyRole, alert.key)
                    self._fill_alert(child, alert, now)
                    if alert.key == keep:
                        chosen = child
                item.setExpanded(True)
        finally:
            self.tree.blockSignals(False)
        self.empty.setVisible(not groups)
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
        elif keep is not None:
            self.alert_key = None
        self._show_detail()
        self._update_buttons()

    def _group_text(self, group: AlertGroupView) -> str:
        count = len(group.alerts)
        receiver = group.receiver or "—"
        if count == 1:
            return self.tr("receiver {receiver} · 1 alert").format(receiver=receiver)
        return self.tr("receiver {receiver} · {n} alerts").format(receiver=receiver, n=count)

    def _fill_alert(self, item: QTreeWidgetItem, alert: AlertView, now: float) -> None:
        item.setText(COL_ALERT, alert.name or alert.fingerprint)
        item.setText(COL_STATE, self._state_name(alert.state))
        item.setText(COL_AGE, duration(alert.age_s(now)) if alert.starts_at else "—")
        item.setText(COL_SUMMARY, alert.summary)
        item.setToolTip(COL_SUMMARY, alert.description)
        item.setToolTip(COL_ALERT, ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items())))
        self._paint_severity(item, alert.severity)
        if alert.state != "active":
            item.setForeground(COL_STATE, QBrush(QColor("#808890")))

    def _paint_severity(self, item: QTreeWidgetItem, severity: str) -> None:
        item.setText(COL_SEVERITY, severity or "—")
        item.setBackground(COL_SEVERITY, QBrush(QColor(severity_colour(severity))))
        item.setForeground(COL_SEVERITY, QBrush(QColor("white")))

    def _state_name(self, state: str) -> str:
        names = {"active": self.tr("active"), "silenced": self.tr("silenced"),
                 "inhibited": self.tr("inhibited")}  # fmt: skip
        return names.get(state, state)

    def show_silences(self, silences: list[SilenceView]) -> None:
        self.silences = silences
        self._show_silences()

    def _shown_silences(self) -> list[SilenceView]:
        if self.show_expired.isChecked():
            return list(self.silences)
        return [s for s in self.silences if s.state != "expired"]

    def _show_silences(self) -> None:
        shown = self._shown_silences()
        keep = self.silence_id
        table = self.silence_table
        table.blockSignals(True)
        try:
            table.setRowCount(len(shown))
            now = clock_now()
            chosen = -1
            for row, silence in enumerate(shown):
                cells = [silence.matchers_text(), silence.created_by, silence.comment,
                         self._when(silence.starts_at), self._when(silence.ends_at),
                         self._left(silence, now), self._silence_state(silence.state)]  # fmt: skip
                for column, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setData(KeyRole, silence.silence_id)
                    if column in (S_COMMENT, S_MATCHERS):
                        item.setToolTip(text)  # the whole of it, however narrow the column
                    table.setItem(row, column, item)
                if silence.silence_id == keep:
                    chosen = row
            if chosen >= 0:
                table.selectRow(chosen)
            else:
                table.clearSelection()
        finally:
            table.blockSignals(False)
        if chosen < 0:
            self.silence_id = None
        expired = sum(1 for s in self.silences if s.state == "expired")
        self.silences_heading.setText(
            self.tr("Silences: {n} in force or pending, {expired} expired").format(
                n=len(self.silences) - expired, expired=expired)
        )  # fmt: skip
        self._update_buttons()

    def _silence_state(self, state: str) -> str:
        names = {"active": self.tr("in force"), "pending": self.tr("pending"),
                 "expired": self.tr("expired")}  # fmt: skip
        return names.get(state, state)

    def _when(self, epoch: float) -> str:
        if not epoch:
            return "—"
        return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")

    def _left(self, silence: SilenceView, now: float) -> str:
        left = silence.left_s(now)
        return "—" if left is None else duration(left)

    def show_read(self, at: float) -> None:
        """A read succeeded: what is shown is current."""
        self.read_at, self.problem, self.retry_s = at, "", 0.0
        self.stale.hide()
        self.read_note.setText(self.tr("Read from Alertmanager at {time}.").format(time=clock(at)))

    def show_failure(self, problem: str, read_at: float, retry_s: float) -> None:
        """A read failed: what is shown stays, marked with its age."""
        self.problem, self.read_at, self.retry_s = problem, read_at, retry_s
        self._retry_at = clock_now() + retry_s
        self._show_stale()
        self.status.emit(problem)

    def _show_stale(self) -> None:
        if not self.problem:
            return
        now = clock_now()
        retry = max(0.0, getattr(self, "_retry_at", now) - now)
        if self.read_at:
            text = self.tr("{problem} What is shown was read at {time}, {age} ago; trying again "
                           "in {retry}.").format(problem=self.problem, time=clock(self.read_at),
                                                 age=duration(now - self.read_at),
                                                 retry=duration(retry))  # fmt: skip
        else:
            text = self.tr("{problem} Nothing read yet; trying again in {retry}.").format(
                problem=self.problem, retry=duration(retry))  # fmt: skip
        self.stale.setText(text)
        self.stale.show()

    def stale_text(self) -> str:
        return self.stale.text() if not self.stale.isHidden() else ""

    def show_result(self, text: str) -> None:
        """What the last change came to, as the backend said (stays until the next one)."""
        self.result.setText(text)
        self.status.emit(text)

    def _tick_ages(self) -> None:
        if not self.isVisible():
            return
        now = clock_now()
        for child in self._alert_items():
            alert = self._alert(child.data(COL_ALERT, KeyRole))
            if alert is not None and alert.starts_at:
                child.setText(COL_AGE, duration(alert.age_s(now)))
        shown = self._shown_silences()
        for row, silence in enumerate(shown[: self.silence_table.rowCount()]):
            item = self.silence_table.item(row, S_LEFT)
            if item is not None:
                item.setText(self._left(silence, now))
        self._show_stale()

    # -- notifications -----------------------------------------------------------------

    def notify(self, alert: AlertView) -> None:
        """A critical alert fires anew: a desktop notification, once per firing."""
        if not self.notifications:
            return
        title = self.tr("Critical: {name}").format(name=alert.name or alert.fingerprint)
        self.notifier.notify(title, alert.summary or alert.description or title, alert.key)

    def _notification_clicked(self, key: str) -> None:
        self.select_alert(key)
        self.page_wanted.emit()

    def select_alert(self, key: str) -> bool:
        """Select the alert of this firing; True when it is listed."""
        for child in self._alert_items():
            if child.data(COL_ALERT, KeyRole) == key:
                self.tree.setCurrentItem(child)
                self.tree.scrollToItem(child)
                return True
        return False

    def _alert_items(self) -> list[QTreeWidgetItem]:
        found: list[QTreeWidgetItem] = []
        for top in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(top)
            if group is None:
                continue
            for index in range(group.childCount()):
                child = group.child(index)
                if child is not None:
                    found.append(child)
        return found

    # -- selection ---------------------------------------------------------------------

    def _alert(self, key: object) -> AlertView | None:
        if not isinstance(key, str):
            return None
        return next((a for g in self.groups for a in g.alerts if a.key == key), None)

    def selected_alert(self) -> AlertView | None:
        return self._alert(self.alert_key)

    def selected_silence(self) -> SilenceView | None:
        return next((s for s in self.silences if s.silence_id == self.silence_id), None)

    def _alert_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        key = current.data(COL_ALERT, KeyRole) if current is not None else None
        self.alert_key = key if isinstance(key, str) else None
        self._show_detail()
        self._update_buttons()

    def _silence_changed(self) -> None:
        rows = {i.row() for i in self.silence_table.selectedIndexes()}
        item = self.silence_table.item(min(rows), 0) if rows else None
        key = item.data(KeyRole) if item is not None else None
        self.silence_id = key if isinstance(key, str) else None
        self._update_buttons()

    def _show_detail(self) -> None:
        alert = self.selected_alert()
        if alert is None:
            self.detail.setText(self.tr("Select an alert to see it in full."))
            return
        labels = "\n".join(f"  {k}={v}" for k, v in sorted(alert.labels.items()))
        lines = [
            alert.summary or alert.name,
            "",
            alert.description,
            "",
            self.tr("State: {state}").format(state=self._state_name(alert.state)),
            self.tr("Severity: {severity}").format(severity=alert.severity or "—"),
            self.tr("Firing since {when} ({age})").format(
                when=self._when(alert.starts_at), age=duration(alert.age_s(clock_now()))),
        ]  # fmt: skip
        if alert.silenced_by:
            lines.append(self.tr("Silenced by {ids}").format(ids=", ".join(alert.silenced_by)))
        if alert.inhibited_by:
            lines.append(self.tr("Inhibited by {ids}").format(ids=", ".join(alert.inhibited_by)))
        lines += ["", self.tr("Labels:"), labels]
        self.detail.setText("\n".join(lines))

    def target_name(self, alert: AlertView) -> str:
        """The Open button's text for ``alert``'s page, or "" when it concerns none."""
        target = target_of(alert)
        if target is None:
            return ""
        kind, value = target
        names: dict[str, Callable[[], str]] = {
            QUEUE: lambda: self.tr("Open queue {value}"),
            WORKER: lambda: self.tr("Open worker {value}"),
            TASK: lambda: self.tr("Open failures of {value}"),
            USER: lambda: self.tr("Open {value}'s quota"),
            ANOMALY: lambda: self.tr("Open anomaly {value}"),
        }
        return names[kind]().format(value=value) if kind in names else ""

    def _open_target(self) -> None:
        alert = self.selected_alert()
        target = target_of(alert) if alert is not None else None
        if target is not None:
            self.open_target.emit(*target)

    def _update_buttons(self) -> None:
        admin = self.role == "admin"
        why = "" if admin else self.tr(
            "Silencing alerts needs the admin role (this profile's role: {role})."
        ).format(role=self.role or self.tr("unknown"))  # fmt: skip
        if self.role == READ_ONLY_ROLE:
            why = read_only_text()
        alert = self.selected_alert()
        attached = self.controller is not None
        self.silence_button.setEnabled(admin and alert is not None and attached)
        self.silence_button.setToolTip(
            why if not admin else "" if alert is not None else self.tr("Select an alert.")
        )
        silence = self.selected_silence()
        changeable = silence is not None and silence.state != "expired" and attached
        for button in (self.extend_button, self.expire_button):
            button.setEnabled(admin and changeable)
            button.setToolTip(why if not admin else "" if changeable else
                              self.tr("Select a silence in force or pending."))  # fmt: skip
        name = self.target_name(alert) if alert is not None else ""
        self.open_button.setText(name or self.tr("Open"))
        self.open_button.setEnabled(bool(name))
        self.open_button.setToolTip(
            "" if name else self.tr("This alert concerns no one page of the console.")
        )
        self.refresh_button.setEnabled(attached)

    # -- changes (admin) ---------------------------------------------------------------

    def _explain(self, exc: BackendError) -> str:
        return refusal_text(exc)

    def _asking(self) -> bool:
        """A dialog is open: one question at a time."""
        return (self.dialog is not None and shiboken6.isValid(self.dialog)
                and self.dialog.isVisible())  # fmt: skip

    def _ask_silence(self) -> None:
        if not self._asking():
            self._open(self._silence_dialog())

    def _ask_extend(self) -> None:
        if not self._asking():
            self._open(self._change_dialog(extend=True))

    def _ask_expire(self) -> None:
        if not self._asking():
            self._open(self._change_dialog(extend=False))

    def _silence_dialog(self) -> SilenceDialog | None:
        alert, controller = self.selected_alert(), self.controller
        if alert is None or controller is None:
            return None
        matchers = [MatcherView(k, v) for k, v in sorted(alert.labels.items())]

        async def create(chosen: list[MatcherView], ends_at: datetime, comment: str) -> str:
            sent = [SilenceMatcher(name=m.name, value=m.value, is_regex=m.is_regex,
                                   is_equal=m.is_equal) for m in chosen]  # fmt: skip
            return created_text(await controller.create(sent, ends_at, comment))

        subject = self.tr("Silence alerts like {name}: every alert matching all the matchers "
                          "below is silenced until the end chosen. The matchers are the "
                          "alert's labels; change them to silence more or fewer.").format(
            name=alert.name or alert.fingerprint)  # fmt: skip
        return SilenceDialog(subject, matchers, create, self._explain, self)

    def _change_dialog(self, extend: bool) -> SilenceChangeDialog | None:
        silence, controller = self.selected_silence(), self.controller
        if silence is None or controller is None:
            return None
        silence_id = silence.silence_id

        async def change(ends_at: datetime | None, reason: str) -> str:
            if ends_at is not None:
                return extended_text(await controller.extend(silence_id, ends_at, reason))  # fmt: skip
            return expired_text(await controller.expire(silence_id, reason))

        what = self.tr("Silence {id} ({matchers}), by {creator}: “{comment}”; ends {end}.").format(
            id=silence_id, matchers=silence.matchers_text(), creator=silence.created_by,
            comment=silence.comment, end=self._when(silence.ends_at))  # fmt: skip
        if extend:
            dialog = SilenceChangeDialog(self.tr("Extend a silence"), what, change,
                                         self._explain, silence.ends_at, self)  # fmt: skip
        else:
            dialog = SilenceChangeDialog(
                self.tr("Expire a silence"),
                what + "\n" + self.tr("Expiring it ends it now: its alerts notify again."),
                change, self._explain, None, self,
            )  # fmt: skip
        return dialog

    def _open(self, dialog: SilenceDialog | SilenceChangeDialog | None) -> None:
        if dialog is not None:
            self.dialog = dialog
            dialog.open()  # at once: a second click finds it open
            self._questions.run(self._run(dialog))

    async def _run(self, dialog: SilenceDialog | SilenceChangeDialog) -> None:
        """Show ``dialog`` until it is closed (the page closes it with the environment)."""
        finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def ended(result: int) -> None:
            if not finished.done():
                finished.set_result(result)

        dialog.finished.connect(ended)
        try:
            if dialog.isVisible():  # not closed before this task began
                await finished
        finally:
            if shiboken6.isValid(self) and self.dialog is dialog:  # not a newer one
                self.dialog = None
            if shiboken6.isValid(dialog):
                if dialog.isVisible():
                    dialog.reject()
                dialog.deleteLater()
