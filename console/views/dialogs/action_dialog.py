"""The question before an action on tasks: what the dry run says it will touch, why (for
the audit log), which priority, and on a production profile the environment's name.

Confirm stays disabled until every answer is given, and is disabled again the moment it
is pressed, so a double click confirms once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import number
from taskdeck_core.api_types import BulkDryRun
from taskdeck_core.priority import USER_PRIORITY_MAX, USER_PRIORITY_MIN

SAMPLE_SHOWN = 10
# What the dry run's outcomes mean before anything is done.
WILL = {
    "retried": QT_TRANSLATE_NOOP("ActionDialog", "will be sent again as a new task"),
    "removed_from_queue": QT_TRANSLATE_NOOP("ActionDialog", "will be taken out of their queue"),
    "revoked": QT_TRANSLATE_NOOP("ActionDialog", "will be revoked (a worker holds them)"),
    "terminated": QT_TRANSLATE_NOOP("ActionDialog", "will be stopped"),
    "moved": QT_TRANSLATE_NOOP("ActionDialog", "will move to the new priority"),
    "already_finished": QT_TRANSLATE_NOOP("ActionDialog", "have already finished (nothing to do)"),
    "not_queued": QT_TRANSLATE_NOOP("ActionDialog", "are not waiting in a queue (nothing to do)"),
    "not_found": QT_TRANSLATE_NOOP("ActionDialog", "are not in the ledger"),
    "not_retryable": QT_TRANSLATE_NOOP("ActionDialog", "cannot be retried (not finished)"),
}


class ActionDialog(QDialog):
    def __init__(
        self,
        title: str,
        subject: str,
        plan: BulkDryRun,
        action: str,
        environment: str | None = None,
        current_priority: int | None = None,
        parent: QWidget | None = None,
        left_out: int = 0,
    ) -> None:
        """``environment``: the name to type before a bulk action on production (None: no
        such question); ``left_out``: tasks of the group not touched, retried already."""
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.action = action
        self.environment = environment
        layout = QVBoxLayout(self)
        head = QLabel(subject)
        head.setWordWrap(True)
        head.setStyleSheet("font-weight: 600;")
        layout.addWidget(head)
        text = self._plan_text(plan)
        if left_out:
            text += "\n" + self.tr(
                "{n} more tasks of the group were retried already and are left out (their "
                "retries, if they failed again, are in the count above)."
            ).format(n=number(left_out))
        self.plan_label = QLabel(text)
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.plan_label)
        self.samples = QListWidget()
        self.samples.setMaximumHeight(120)
        for task_id in plan.sample_ids[:SAMPLE_SHOWN]:
            self.samples.addItem(task_id)
        if plan.total > SAMPLE_SHOWN:
            self.samples.addItem(
                self.tr("… and {n} more").format(n=number(plan.total - SAMPLE_SHOWN))
            )
        layout.addWidget(QLabel(self.tr("Sample of the tasks it touches:")))
        layout.addWidget(self.samples)
        form = QFormLayout()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("Why (recorded in the audit log)"))
        self.reason.setMaxLength(500)
        form.addRow(self.tr("Reason:"), self.reason)
        self.with_priority = QCheckBox(self.tr("With a new priority"))
        self.priority = QSpinBox()
        self.priority.setRange(USER_PRIORITY_MIN, USER_PRIORITY_MAX)
        self.priority.setValue(current_priority or 5)
        self.priority.setToolTip(self.tr("1 lowest … 10 highest"))
        if action == "retry":
            self.priority.setEnabled(False)
            self.with_priority.toggled.connect(self.priority.setEnabled)
            form.addRow(self.with_priority, self.priority)
        elif action == "priority":
            form.addRow(self.tr("New priority (1 lowest … 10 highest):"), self.priority)
        self.confirm_name = QLineEdit()
        if environment is not None:
            self.confirm_name.setPlaceholderText(environment)
            form.addRow(
                self.tr("Type “{name}” to confirm:").format(name=environment), self.confirm_name
            )
        layout.addLayout(form)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        buttons = QDialogButtonBox()
        self.confirm = QPushButton(self.tr("Confirm"))
        self.confirm.setDefault(True)
        buttons.addButton(self.confirm, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        self.confirm.clicked.connect(self._confirmed)
        layout.addWidget(buttons)
        self.nothing_to_do = plan.total == 0 or not any(
            o in plan.outcomes for o in ("retried", "removed_from_queue", "revoked",
                                         "terminated", "moved")
        )  # fmt: skip
        for edit in (self.reason, self.confirm_name):
            edit.textChanged.connect(self._check)
        self._check()

    def _plan_text(self, plan: BulkDryRun) -> str:
        if plan.total == 0:
            return self.tr("The dry run found no task to act on.")
        lines = [self.tr("Dry run: {n} tasks.").format(n=number(plan.total))]
        for outcome, count in sorted(plan.outcomes.items(), key=lambda kv: -kv[1]):
            meaning = self.tr(WILL.get(outcome, outcome.replace("_", " ")))
            lines.append(f"  • {number(count)} {meaning}")
        return "\n".join(lines)

    def _check(self) -> None:
        missing = []
        if self.nothing_to_do:
            missing.append(self.tr("Nothing would be done: the dry run found no task to act on."))
        if not self.reason.text().strip():
            missing.append(self.tr("Give a reason."))
        if self.environment is not None and self.confirm_name.text().strip() != self.environment:
            missing.append(
                self.tr("Type the environment's name, “{name}”, to confirm.").format(
                    name=self.environment
                )
            )
        self.confirm.setEnabled(not missing)
        self.hint.setText(" ".join(missing))

    def _confirmed(self) -> None:
        if not self.confirm.isEnabled():
            return
        self.confirm.setEnabled(False)  # a second click does nothing
        self.accept()

    def answers(self) -> tuple[str, int | None]:
        """The reason, and the priority (None: keep it)."""
        priority: int | None = None
        if self.action == "priority" or (self.action == "retry" and self.with_priority.isChecked()):
            priority = self.priority.value()
        return self.reason.text().strip(), priority
