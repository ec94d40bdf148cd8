"""One worker's own account of itself: its tasks by kind, and facts about its pool; for an
admin, the controls that change it (its pool, task limits, queues, a warm shutdown)."""

from __future__ import annotations

import html

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.controllers.tasks_controller import problem_text
from console.controllers.worker_detail_controller import WorkerDetailController
from console.domain.clock import now as clock_now
from console.models.format import clock, number
from console.services.backend_client import BackendError
from console.snapshot.read_only import READ_ONLY_ROLE, read_only_text
from console.tasks import TaskOwner
from console.views.dialogs.asker import answered
from console.views.dialogs.worker_control_dialog import WorkerControlDialog
from taskdeck_core.api_types import DETAIL_CAP, WorkerControlResult, WorkerDetail, WorkerTask

KINDS = ("active", "reserved", "scheduled")
# The controls, in the order shown (two columns).
CONTROLS = ("pool_grow", "pool_shrink", "autoscale", "rate_limit", "time_limit",
            "add_consumer", "cancel_consumer", "shutdown")  # fmt: skip


class WorkerDetailPane(QWidget):
    """Tabs Active / Reserved / Scheduled / Registered under a line of facts; ``heading``
    says whose detail it is, or why there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: WorkerDetail | None = None
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.lists: dict[str, QTreeWidget] = {}
        self.tabs = QTabWidget()
        for kind in KINDS:
            tree = QTreeWidget()
            tree.setRootIsDecorated(False)
            tree.setHeaderLabels(
                [self.tr("Task id"), self.tr("Name"), self.tr("Arguments"), self.tr("Due"),
                 self.tr("Priority"), self.tr("Process")]
            )  # fmt: skip
            self.lists[kind] = tree
            self.tabs.addTab(tree, "")
        self.registered = QTreeWidget()
        self.registered.setRootIsDecorated(False)
        self.registered.setHeaderLabels([self.tr("Task name")])
        self.tabs.addTab(self.registered, "")
        self.role = ""
        self.controller: WorkerDetailController | None = None
        self.dialog: WorkerControlDialog | None = None
        self.sending = False
        self._questions = TaskOwner()
        self.controls = QGroupBox(self.tr("Controls"))
        grid = QGridLayout(self.controls)
        labels = {
            "pool_grow": self.tr("Grow pool…"),
            "pool_shrink": self.tr("Shrink pool…"),
            "autoscale": self.tr("Autoscale…"),
            "rate_limit": self.tr("Task rate limit…"),
            "time_limit": self.tr("Task time limits…"),
            "add_consumer": self.tr("Consume queue…"),
            "cancel_consumer": self.tr("Stop consuming…"),
            "shutdown": self.tr("Warm shutdown…"),
        }
        # The commands by name, in messages.
        self.names = {
            "pool_grow": self.tr("Grow pool"),
            "pool_shrink": self.tr("Shrink pool"),
            "autoscale": self.tr("Autoscale"),
            "rate_limit": self.tr("Task rate limit"),
            "time_limit": self.tr("Task time limits"),
            "add_consumer": self.tr("Consume queue"),
            "cancel_consumer": self.tr("Stop consuming"),
            "shutdown": self.tr("Warm shutdown"),
        }
        self.control_buttons: dict[str, QPushButton] = {}
        for i, command in enumerate(CONTROLS):
            button = QPushButton(labels[command])
            button.clicked.connect(lambda _=False, c=command: self.ask_control(c))
            self.control_buttons[command] = button
            grid.addWidget(button, i // 4, i % 4)
        self.control_result = QLabel()
        self.control_result.setWordWrap(True)
        self.control_result.setTextFormat(Qt.TextFormat.RichText)
        self.control_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(self.control_result, 2, 0, 1, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.facts)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.controls)
        self.clear()

    def _titles(self, detail: WorkerDetail | None) -> list[str]:
        names = [self.tr("Active"), self.tr("Reserved"), self.tr("Scheduled"),
                 self.tr("Registered")]  # fmt: skip
        if detail is None or not detail.replied:
            return names
        titles = []
        for name, kind in zip(names, (*KINDS, "registered"), strict=True):
            shown = len(getattr(detail, kind))
            total = detail.totals.get(kind, shown)
            count = (
                number(shown)
                if total <= shown
                else self.tr("{shown} of {total}").format(shown=number(shown), total=number(total))
            )
            titles.append(f"{name} ({count})")
        return titles

    def _set_titles(self, detail: WorkerDetail | None) -> None:
        for i, title in enumerate(self._titles(detail)):
            self.tabs.setTabText(i, title)

    def clear(self, text: str | None = None) -> None:
        self.detail = None
        self.control_result.clear()
        self.heading.setText(text or self.tr("Select a worker to see what it holds."))
        self.facts.setText("")
        for tree in (*self.lists.values(), self.registered):
            tree.clear()
        self._set_titles(None)
        self._update_controls()

    def asking(self, hostname: str) -> None:
        self.clear(self.tr("Asking {0}…").format(hostname))

    def show_problem(self, problem: str) -> None:
        """The backend gave no detail: said above what was shown last (if anything)."""
        self.heading.setText(
            self.tr("No detail from the backend: {0}").format(html.escape(problem))
        )

    def show_detail(self, detail: WorkerDetail) -> None:
        self.detail = detail
        name = f"<b>{html.escape(detail.hostname)}</b>"
        if detail.down_since is not None:
            self.heading.setText(
                self.tr("{0} is offline, down since {1} (its last heartbeat); not asked.").format(
                    name, clock(detail.down_since)
                )
            )
        elif not detail.replied:
            self.heading.setText(
                self.tr("{0} did not reply within {1} s; what it holds is unknown.").format(
                    name, f"{detail.timeout_s:g}"
                )
            )
        else:
            self.heading.setText(
                self.tr("{0} as it said at {1}; each list shows at most {2} items.").format(
                    name, clock(clock_now()), DETAIL_CAP
                )
            )
        self.facts.setText(self._facts(detail))
        for kind, tree in self.lists.items():
            tree.clear()
            tree.addTopLevelItems([self._row(t) for t in getattr(detail, kind)])
        self.registered.clear()
        self.registered.addTopLevelItems([QTreeWidgetItem([n]) for n in detail.registered])
        self._set_titles(detail)
        self._update_controls()

    def _facts(self, detail: WorkerDetail) -> str:
        unknown = "–"
        parts = [
            (self.tr("Pool"), detail.pool or unknown),
            (self.tr("Concurrency"),
             number(detail.concurrency) if detail.concurrency is not None else unknown),
            (self.tr("Prefetch"),
             number(detail.prefetch_count) if detail.prefetch_count is not None else unknown),
            (self.tr("Queues"), ", ".join(detail.queues) or unknown),
            (self.tr("Celery"), detail.sw_ver or unknown),
            (self.tr("Main process"), str(detail.pid) if detail.pid else unknown),
        ]  # fmt: skip
        if detail.down_since is not None:
            parts.append((self.tr("Down since"), clock(detail.down_since)))
        return " · ".join(f"{label}: {html.escape(value)}" for label, value in parts)

    @staticmethod
    def _row(task: WorkerTask) -> QTreeWidgetItem:
        item = QTreeWidgetItem(
            [task.task_id, task.name or "", task.args, task.eta or "",
             "" if task.priority is None else str(task.priority),
             "" if task.worker_pid is None else str(task.worker_pid)]
        )  # fmt: skip
        item.setToolTip(2, task.args)
        return item

    def task_ids(self, kind: str) -> list[str]:
        """The task ids the ``kind`` tab lists (active, reserved or scheduled)."""
        tree = self.lists[kind]
        items = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]

    # -- controls (admin) ----------------------------------------------------------------

    def attach(self, controller: WorkerDetailController | None) -> None:
        """Send controls through ``controller`` (one environment's); None: none can be sent.
        A question or a command under way for the environment before is dropped."""
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.reject()
        self._questions.close()
        self._questions = TaskOwner()
        self.sending = False
        self.controller = controller
        self.control_result.clear()
        self._update_controls()

    def set_role(self, role: str) -> None:
        """The signed-in role (viewer, support, admin; "" unknown): only an admin may act."""
        self.role = role
        self._update_controls()

    def why_not(self, command: str) -> str | None:
        """Why ``command`` cannot be sent now, in words; None: it can."""
        if self.role == READ_ONLY_ROLE:
            return read_only_text()
        if self.role != "admin":
            return self.tr("Only an admin can change workers; you are signed in as {role}.").format(
                role=self.role or self.tr("a role not known yet")
            )
        detail = self.detail
        if self.controller is None:
            return self.tr("Not connected to a backend.")
        if detail is None:
            return self.tr("Select a worker.")
        if detail.down_since is not None:
            return self.tr("The worker is offline.")
        if not detail.replied:
            return self.tr("The worker did not answer its last question; wait for it to.")
        if self.sending:
            return self.tr("A command is under way.")
        if command in ("rate_limit", "time_limit") and not detail.registered:
            return self.tr("The worker registered no task type.")
        if command == "autoscale" and detail.autoscaler is False:
            return self.tr("The worker was started without --autoscale, so it refuses "
                           "autoscaling.")  # fmt: skip
        if command == "pool_shrink" and detail.concurrency is not None and detail.concurrency < 2:
            return self.tr("The worker runs {0} processes; a worker keeps at least 1.").format(
                detail.concurrency
            )
        if command == "cancel_consumer" and not detail.queues:
            return self.tr("The worker consumes no queue.")
        return None

    def _update_controls(self) -> None:
        for command, button in self.control_buttons.items():
            why = self.why_not(command)
            button.setEnabled(why is None)
            button.setToolTip(why or "")

    def ask_control(self, command: str) -> None:
        """Open the command's dialog for the shown worker; send it once confirmed."""
        if self.why_not(command) is None:
            self._questions.run(self._control(command), key="question")

    async def _control(self, command: str) -> None:
        detail, controller = self.detail, self.controller
        if detail is None or controller is None:
            return
        hostname = detail.hostname
        dialog = WorkerControlDialog(command, hostname, detail.registered, detail.queues,
                                     detail.concurrency, self, detail.limits)  # fmt: skip
        self.dialog = dialog
        try:
            if not await answered(dialog):
                return
            arguments, reason = dialog.answers()
        finally:
            self.dialog = None
        self.sending = True
        self._update_controls()
        self.control_result.setText(
            self.tr("Sending {command} to {hostname}…").format(
                command=html.escape(self.name(command)), hostname=html.escape(hostname)
            )
        )
        try:
            result = await controller.control(hostname, command, arguments, reason)
        except BackendError as exc:
            self.control_result.setText(
                self.tr("{command} was not sent to {hostname}: {problem}").format(
                    command=html.escape(self.name(command)),
                    hostname=html.escape(hostname),
                    problem=html.escape(problem_text(exc)),
                )  # fmt: skip
            )
        else:
            self.show_control_result(result)
        finally:
            self.sending = False
            self._update_controls()

    def name(self, command: str) -> str:
        """A command as the pane names it ("Shrink pool"), its id if it has no name."""
        return self.names.get(command, command)

    @staticmethod
    def _value(value: object) -> str:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # seconds: "1200", not "1200.0"
        return str(value)

    def show_control_result(self, result: WorkerControlResult) -> None:
        """Who replied ok, who refused and why, who did not reply within the timeout."""
        given = ", ".join(f"{k}={self._value(v)}" for k, v in result.arguments.items())
        lines = [
            self.tr("<b>{command}</b>{arguments} (audit entry {audit_id}):").format(
                command=html.escape(self.name(result.command)),
                arguments=html.escape(f" {given}" if given else ""),
                audit_id=result.audit_id,
            )
        ]
        for reply in result.replies:
            if reply.ok:
                lines.append(self.tr("✔ {hostname} replied: {message}").format(
                    hostname=html.escape(reply.hostname), message=html.escape(reply.message)))  # fmt: skip
            else:
                lines.append(self.tr("✘ {hostname} refused: {message}").format(
                    hostname=html.escape(reply.hostname), message=html.escape(reply.message)))  # fmt: skip
        for hostname in result.no_reply:
            lines.append(self.tr("… {hostname} did not reply within {seconds} s").format(
                hostname=html.escape(hostname), seconds=f"{result.timeout_s:g}"))  # fmt: skip
        if result.command == "shutdown":
            lines.append(self.tr(
                "Sent; a worker does not reply to a shutdown: it takes no new task, finishes "
                "the ones it runs and exits. Its heartbeats stopping (the Workers page shows it "
                "offline) confirms it."))  # fmt: skip
        elif result.command in ("pool_grow", "pool_shrink") and any(
            not r.ok for r in result.replies
        ):
            lines.append(self.tr(
                "A worker that refused may have changed its pool partly; its detail is asked "
                "again and shows the processes it runs now."))  # fmt: skip
        elif result.note:
            lines.append(html.escape(result.note))
        self.control_result.setText("<br>".join(lines))
