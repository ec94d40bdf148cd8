"""The question before a worker control: the command's values and why (for the audit log).

Each command asks only what it takes: processes to add or remove, the autoscale range,
a task type (one the worker registered) with its rate or time limits (its time limits
now shown first: Celery sets both at once, so one left at "no … limit" is removed, and
the dialog says so), a queue, or
nothing but the reason for a warm shutdown. Confirm stays disabled until every answer is
valid, and is disabled again the moment it is pressed, so a double click confirms once.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.services.worker_control_client import COMMANDS
from taskdeck_core.api_types import TaskLimits
from taskdeck_core.worker_commands import NAME_PATTERN, RATE_PATTERN

REASON_MAX = 2000
N_MAX = 64
AUTOSCALE_MAX = 256
TIME_LIMIT_MAX_S = 7 * 86400


class WorkerControlDialog(QDialog):
    """Asks the values of ``command`` for ``hostname``; ``answers()`` once accepted."""

    def __init__(
        self,
        command: str,
        hostname: str,
        registered: list[str] | None = None,
        queues: list[str] | None = None,
        concurrency: int | None = None,
        parent: QWidget | None = None,
        limits: dict[str, TaskLimits] | None = None,
    ) -> None:
        super().__init__(parent)
        self.concurrency = concurrency
        self.limits = limits or {}
        if command not in COMMANDS:
            raise ValueError(f"no worker command {command!r}")
        self.command = command
        self.setWindowTitle(self.title(command).format(hostname=hostname))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        head = QLabel(self._subject(hostname, concurrency))
        head.setWordWrap(True)
        head.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(head)
        form = QFormLayout()
        self.n = QSpinBox()
        # A shrink leaves at least 1 process: at most the pool size less 1, when known.
        most = N_MAX if command != "pool_shrink" or concurrency is None else concurrency - 1
        self.n.setRange(1, max(1, min(most, N_MAX)))
        self.minimum = QSpinBox()
        self.minimum.setRange(0, AUTOSCALE_MAX)
        self.maximum = QSpinBox()
        self.maximum.setRange(1, AUTOSCALE_MAX)
        self.task = QComboBox()
        self.task.addItems(registered or [])
        self.rate = QLineEdit()
        self.rate.setPlaceholderText(self.tr("e.g. 10/m, 5/s, 100/h; 0 removes the limit"))
        self.rate.setMaxLength(12)
        self.soft = QSpinBox()
        self.hard = QSpinBox()
        for box, none in ((self.soft, self.tr("no soft limit")),
                          (self.hard, self.tr("no hard limit"))):  # fmt: skip
            box.setRange(0, TIME_LIMIT_MAX_S)
            box.setSuffix(self.tr(" s"))
            box.setSpecialValueText(none)
        self.queue = QComboBox()
        self.queue.addItems(queues or [])
        if command == "add_consumer":
            self.queue.setEditable(True)
            self.queue.setCurrentText("")
        if command in ("pool_grow", "pool_shrink"):
            self.n.setValue(1)
            form.addRow(self.tr("Processes:"), self.n)
        elif command == "autoscale":
            self.maximum.setValue(max(1, concurrency or 1))
            self.minimum.setValue(min(1, self.maximum.value()))
            form.addRow(self.tr("At least (min):"), self.minimum)
            form.addRow(self.tr("At most (max):"), self.maximum)
        elif command in ("rate_limit", "time_limit"):
            form.addRow(self.tr("Task type:"), self.task)
            if command == "rate_limit":
                form.addRow(self.tr("Rate:"), self.rate)
            else:
                form.addRow(self.tr("Soft limit:"), self.soft)
                form.addRow(self.tr("Hard limit:"), self.hard)
        elif command in ("add_consumer", "cancel_consumer"):
            form.addRow(self.tr("Queue:"), self.queue)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("Why (recorded in the audit log)"))
        self.reason.setMaxLength(REASON_MAX)
        form.addRow(self.tr("Reason:"), self.reason)
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
        for edit in (self.reason, self.rate):
            edit.textChanged.connect(self._check)
        for box in (self.n, self.minimum, self.maximum, self.soft, self.hard):
            box.valueChanged.connect(self._check)
        self.task.currentTextChanged.connect(self._prefill)
        self.task.currentTextChanged.connect(self._check)
        self._prefill(self.task.currentText())
        self.queue.currentTextChanged.connect(self._check)
        self._check()

    def title(self, command: str) -> str:
        return {
            "pool_grow": self.tr("Grow the pool of {hostname}"),
            "pool_shrink": self.tr("Shrink the pool of {hostname}"),
            "autoscale": self.tr("Autoscale {hostname}"),
            "rate_limit": self.tr("Set a task rate limit on {hostname}"),
            "time_limit": self.tr("Set task time limits on {hostname}"),
            "add_consumer": self.tr("Make {hostname} consume a queue"),
            "cancel_consumer": self.tr("Make {hostname} stop consuming a queue"),
            "shutdown": self.tr("Shut {hostname} down (warm)"),
        }[command]

    def current(self, task: str | None = None) -> TaskLimits:
        """The limits the worker holds now for ``task`` (the one chosen by default)."""
        return self.limits.get(task or self.task.currentText()) or TaskLimits()

    def _prefill(self, task: str) -> None:
        """The chosen task type's current time limits (none where it has none)."""
        now = self.current(task)
        for box, value in ((self.soft, now.soft_time_limit), (self.hard, now.time_limit)):
            box.setValue(0 if value is None else max(1, min(round(value), TIME_LIMIT_MAX_S)))

    def _subject(self, hostname: str, concurrency: int | None) -> str:
        size = str(concurrency) if concurrency is not None else self.tr("unknown")
        most = (self.tr("at most {0}, as a worker keeps at least 1").format(concurrency - 1)
                if concurrency is not None else self.tr("a worker keeps at least 1"))  # fmt: skip
        return {
            "pool_grow": self.tr("{hostname} runs {size} processes. Processes to add:"),
            "pool_shrink": self.tr("{hostname} runs {size} processes; only idle ones can be "
                                   "stopped. Processes to remove ({most}):"),
            "autoscale": self.tr("{hostname} runs {size} processes. Autoscaling works only on a "
                                 "worker started with --autoscale; others refuse it."),
            "rate_limit": self.tr("How many tasks of the type {hostname} may start per second, "
                                  "minute or hour."),
            "time_limit": self.tr("How long a task of the type may run on {hostname}: at the soft "
                                  "limit it is told, at the hard one its process is killed. Both "
                                  "are set at once: one left at \u201cno … limit\u201d is "
                                  "removed. Shown: its limits now."),
            "add_consumer": self.tr("{hostname} takes tasks from the queue too (until it "
                                    "restarts)."),
            "cancel_consumer": self.tr("{hostname} takes no more tasks from the queue (until it "
                                       "restarts); the tasks it holds finish."),
            "shutdown": self.tr("{hostname} takes no new task, finishes the ones it runs and "
                                "exits. It does not reply to this: it going offline confirms "
                                "it. Only whatever started it can start it again."),
        }[self.command].format(hostname=hostname, size=size, most=most)  # fmt: skip

    def problems(self) -> list[str]:
        """What is still missing or wrong, in words; empty: Confirm may be pressed."""
        missing = []
        command = self.command
        if command == "pool_shrink" and self.concurrency is not None and self.concurrency < 2:
            missing.append(self.tr("It runs {0} processes; a worker keeps at least 1, so it "
                                   "cannot shrink.").format(self.concurrency))  # fmt: skip
        if command == "autoscale" and self.minimum.value() > self.maximum.value():
            missing.append(self.tr("The minimum must not be above the maximum."))
        if command in ("rate_limit", "time_limit") and not self.task.currentText():
            missing.append(self.tr("The worker registered no task type to choose."))
        if command == "rate_limit" and not re.fullmatch(RATE_PATTERN, self.rate.text().strip()):
            missing.append(self.tr("Give a rate such as 10/m, 5/s or 100/h, or 0 for none."))
        if command == "time_limit":
            soft, hard = self.soft.value(), self.hard.value()
            if not soft and not hard:
                missing.append(self.tr("Give a soft limit, a hard one, or both."))
            elif soft and hard and soft >= hard:
                missing.append(self.tr("The soft limit must be below the hard one."))
        if command in ("add_consumer", "cancel_consumer"):
            queue = self.queue.currentText().strip()
            if not queue:
                missing.append(self.tr("Name a queue."))
            elif not re.fullmatch(NAME_PATTERN, queue) or len(queue) > 100:
                missing.append(self.tr("A queue's name has letters, digits and _ . : @ - only."))
        if not self.reason.text().strip():
            missing.append(self.tr("Give a reason."))
        return missing

    def removed(self) -> list[str]:
        """The time limits the task type has now that the answers remove, in words."""
        if self.command != "time_limit":
            return []
        now, said = self.current(), []
        for box, value, text in (
            (self.soft, now.soft_time_limit, self.tr("Its soft limit ({0} s) will be removed.")),
            (self.hard, now.time_limit, self.tr("Its hard limit ({0} s) will be removed.")),
        ):
            if value is not None and not box.value():
                said.append(text.format(f"{value:g}"))
        return said

    def _check(self) -> None:
        missing = self.problems()
        self.confirm.setEnabled(not missing)
        self.hint.setText(" ".join(self.removed() + missing))

    def _confirmed(self) -> None:
        if not self.confirm.isEnabled():
            return
        self.confirm.setEnabled(False)  # a second click does nothing
        self.accept()

    def answers(self) -> tuple[dict[str, Any], str]:
        """The command's arguments as the backend takes them, and the reason."""
        command = self.command
        arguments: dict[str, Any] = {}
        if command in ("pool_grow", "pool_shrink"):
            arguments["n"] = self.n.value()
        elif command == "autoscale":
            arguments.update(max=self.maximum.value(), min=self.minimum.value())
        elif command == "rate_limit":
            arguments.update(task_name=self.task.currentText(), rate=self.rate.text().strip())
        elif command == "time_limit":
            arguments["task_name"] = self.task.currentText()
            for name, box in (("soft", self.soft), ("hard", self.hard)):
                if box.value():
                    arguments[name] = box.value()
        elif command in ("add_consumer", "cancel_consumer"):
            arguments["queue"] = self.queue.currentText().strip()
        return arguments, self.reason.text().strip()
