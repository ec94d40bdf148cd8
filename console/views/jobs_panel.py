"""The jobs panel: the user's bulk jobs with their progress, and a chosen job's summary per
outcome, each outcome listing its tasks (a double click opens one)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from console.controllers.tasks_controller import JobView
from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.format import number
from console.models.outcomes import outcome_label
from console.models.tasks_table_model import when
from console.views.colours import BAD, OK, WARN

DONE = frozenset({"retried", "removed_from_queue", "revoked", "terminated", "moved"})
ACTIONS = {
    "retry": QT_TRANSLATE_NOOP("JobsPanel", "Retry"),
    "cancel": QT_TRANSLATE_NOOP("JobsPanel", "Cancel"),
    "priority": QT_TRANSLATE_NOOP("JobsPanel", "Priority"),
}


class JobsPanel(QWidget):
    outcome_wanted = Signal(str, str)  # job id, outcome: list its tasks
    task_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = QListWidget()
        self.jobs.setMaximumHeight(110)
        self.jobs.hide()  # until there is a job
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.state = QLabel(self.tr("No bulk job yet."))
        self.state.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.linkActivated.connect(self._outcome_link)
        self.items = QListWidget()
        self.items.setMaximumHeight(120)
        self.items.hide()
        self.items.itemDoubleClicked.connect(lambda item: self.task_chosen.emit(item.text()))
        self.jobs.currentItemChanged.connect(lambda _c, _p: self._show_current())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel(self.tr("Bulk jobs"))
        title.setStyleSheet("font-weight: 600;")
        layout.addWidget(title)
        layout.addWidget(self.jobs)
        layout.addWidget(self.progress)
        layout.addWidget(self.state)
        layout.addWidget(self.summary)
        layout.addWidget(self.items)
        self._views: dict[str, JobView] = {}

    def show_jobs(self, views: list[JobView]) -> None:
        current = self.current_job()
        self._views = {v.job.job_id: v for v in views}
        self.jobs.blockSignals(True)
        self.jobs.clear()
        for view in views:
            item = QListWidgetItem(self._line(view))
            item.setData(Qt.ItemDataRole.UserRole, view.job.job_id)
            colour = BAD if view.job.state == "failed" or view.job.failed else (
                OK if view.ended else WARN)  # fmt: skip
            item.setForeground(QColor(colour))
            self.jobs.addItem(item)
            if view.job.job_id == current:
                self.jobs.setCurrentItem(item)
        self.jobs.setVisible(bool(views))
        if self.jobs.currentRow() < 0 and self.jobs.count():
            self.jobs.setCurrentRow(0)
        self.jobs.blockSignals(False)
        self._show_current()

    def select(self, job_id: str) -> None:
        for row in range(self.jobs.count()):
            if self.jobs.item(row).data(Qt.ItemDataRole.UserRole) == job_id:
                self.jobs.setCurrentRow(row)
                return

    def current_job(self) -> str | None:
        item = self.jobs.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _line(self, view: JobView) -> str:
        job = view.job
        action = self.tr(ACTIONS.get(job.action, job.action))
        return self.tr("{time} {action}: {done}/{total} {state}").format(
            time=when(job.created_at)[11:], action=action, done=number(job.done),
            total=number(job.total), state=self._state(view),
        )  # fmt: skip

    def _state(self, view: JobView) -> str:
        if view.problem:
            return self.tr("(waiting for the backend)")
        return {"queued": self.tr("queued"), "running": self.tr("running"),
                "done": self.tr("done"), "failed": self.tr("failed")}.get(view.job.state, view.job.state)  # fmt: skip

    def _show_current(self) -> None:
        view = self._views.get(self.current_job() or "")
        self.items.clear()
        self.items.hide()
        if view is None:
            self.progress.hide()
            self.state.setText(self.tr("No bulk job yet."))
            self.summary.setText("")
            return
        job = view.job
        self.progress.show()
        self.progress.setRange(0, max(job.total, 1))
        self.progress.setValue(min(job.done, job.total))
        self.progress.setFormat(f"{number(job.done)} / {number(job.total)}")
        reason = f" — “{job.reason}”" if job.reason else ""
        state = self.tr("Job {job} by {user}{reason}").format(
            job=job.job_id[:8], user=job.user or "?", reason=reason
        )
        if view.problem:
            state += "\n" + self.tr("The backend does not answer ({problem}); the panel keeps "
                                    "asking and resumes when it returns.").format(problem=view.problem)  # fmt: skip
        self.state.setText(state)
        lines = []
        for outcome, count in sorted(job.outcomes.items(), key=lambda kv: -kv[1]):
            colour = OK if outcome in DONE else (WARN if outcome != "error" else BAD)
            label = outcome_label(outcome)
            lines.append(
                f'<span style="color:{colour}">●</span> {number(count)} {label} '
                f'<a href="{outcome}">{self.tr("show")}</a>'
            )
        reasons = {e.detail for e in job.errors if e.detail}
        if reasons:
            lines.append(
                self.tr("Reasons: {reasons}").format(reasons="; ".join(sorted(reasons)[:3]))
            )
        self.summary.setText("<br>".join(lines))

    def _outcome_link(self, outcome: str) -> None:
        job_id = self.current_job()
        if job_id:
            self.outcome_wanted.emit(job_id, outcome)

    def show_items(self, task_ids: list[str]) -> None:
        self.items.clear()
        self.items.addItems(task_ids)
        self.items.setVisible(bool(task_ids))
