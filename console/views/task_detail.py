"""One task in full: envelope, state timeline, traceback, result, retries and audit entries.

Arguments are shown whole: as a tree in which a long value is folded (its start on the
line, the whole of it one click away), never cut; the copy buttons copy the whole.
In the traceback, the frames of the watched system's own code stand out from those
of libraries and the Python runtime.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.models.format import duration, number
from console.models.tasks_table_model import STATE_COLOURS, state_text, when
from console.views.colours import BAD, NEUTRAL
from taskdeck_core.api_types import AuditEntry, TaskDetail

FOLD_AT = 120  # characters of a value shown on its line; the rest one click away
LIBRARY_PATHS = ("site-packages", "dist-packages", "/lib/python", "\\lib\\python", "<frozen")
FRAME = re.compile(r'^(\s*File ")([^"]+)(".*)$')


def project_frame(path: str) -> bool:
    """A frame of the watched system's own code (not a library's, not Python's)."""
    return not any(part in path for part in LIBRARY_PATHS)


def traceback_html(text: str) -> str:
    """The traceback as HTML: monospace, own frames (and the line after each) emphasised."""
    out = []
    emphasise_next = False
    for line in text.splitlines():
        escaped = html.escape(line)
        match = FRAME.match(line)
        if match is not None:
            own = project_frame(match.group(2))
            emphasise_next = own
            style = f"font-weight:600;color:{BAD}" if own else f"color:{NEUTRAL}"
            out.append(f'<span style="{style}">{escaped}</span>')
        elif emphasise_next:
            out.append(f'<span style="font-weight:600">{escaped}</span>')
            emphasise_next = False
        else:
            out.append(escaped)
    body = "<br>".join(out).replace("  ", "&nbsp;&nbsp;")
    return f'<div style="font-family:monospace; white-space:pre-wrap">{body}</div>'


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def fill_tree(tree: QTreeWidget, value: Any) -> None:
    """``value`` (args, kwargs) as a tree; long text folded under its first characters."""
    tree.clear()

    def add(parent: QTreeWidgetItem | QTreeWidget, key: str, item: Any) -> None:
        node = QTreeWidgetItem([key, ""])
        if isinstance(parent, QTreeWidget):
            parent.addTopLevelItem(node)
        else:
            parent.addChild(node)
        if isinstance(item, dict):
            node.setText(1, f"{{{len(item)}}}")
            for k, v in item.items():
                add(node, str(k), v)
            node.setExpanded(True)
        elif isinstance(item, list):
            node.setText(1, f"[{len(item)}]")
            for i, v in enumerate(item):
                add(node, str(i), v)
            node.setExpanded(len(item) <= 20)
        else:
            text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
            if len(text) > FOLD_AT or "\n" in text:
                first = text.splitlines()[0] if text.splitlines() else ""
                node.setText(
                    1,
                    "{first}…  ({characters})".format(
                        first=first[:FOLD_AT],
                        characters=QCoreApplication.translate(
                            "TaskDetailPane", "{count} characters"
                        ).format(count=number(len(text))),
                    ),
                )
                whole = QTreeWidgetItem(["", text])
                whole.setToolTip(1, text[:2000])
                node.addChild(whole)
            else:
                node.setText(1, text)
            node.setToolTip(1, text[:2000])

    add(tree, "args", value.get("args"))
    add(tree, "kwargs", value.get("kwargs"))


class TaskDetailPane(QWidget):
    open_task = Signal(str)  # a linked task (a retry, the original)
    open_audit = Signal(str)  # the Audit page for this task

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task: TaskDetail | None = None
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.heading = QLabel(self.tr("Select a task to see it in full."))
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_id = QPushButton(self.tr("Copy id"))
        self.copy_id.clicked.connect(lambda: self._copy(self.task.task_id if self.task else ""))
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.summary.linkActivated.connect(self._link)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.arguments = QTreeWidget()
        self.arguments.setHeaderLabels([self.tr("Argument"), self.tr("Value")])
        self.arguments.setColumnWidth(0, 160)
        self.arguments.setWordWrap(True)
        self.copy_args = QPushButton(self.tr("Copy arguments"))
        self.copy_args.clicked.connect(self._copy_arguments)
        self.traceback = QTextBrowser()
        self.traceback.setFont(mono)
        self.traceback.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        self.copy_traceback = QPushButton(self.tr("Copy traceback"))
        self.copy_traceback.clicked.connect(
            lambda: self._copy(self.task.traceback or "" if self.task else "")
        )
        self.timeline = QTreeWidget()
        self.timeline.setHeaderLabels([self.tr("Time"), self.tr("Event"), self.tr("Worker")])
        self.timeline.setRootIsDecorated(False)
        self.result = QTextBrowser()
        self.result.setFont(mono)
        self.audit = QTreeWidget()
        self.audit.setHeaderLabels(
            [self.tr("Time"), self.tr("Who"), self.tr("Action"), self.tr("Reason"),
             self.tr("Status")]
        )  # fmt: skip
        self.audit.setRootIsDecorated(False)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._with_button(self.summary, None), self.tr("Summary"))
        self.tabs.addTab(self._with_button(self.arguments, self.copy_args), self.tr("Arguments"))
        self.tabs.addTab(
            self._with_button(self.traceback, self.copy_traceback), self.tr("Traceback")
        )
        self.tabs.addTab(self.timeline, self.tr("Timeline"))
        self.tabs.addTab(self.result, self.tr("Result"))
        self.tabs.addTab(self.audit, self.tr("Audit"))
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.copy_id)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.clear()

    def _with_button(self, widget: QWidget, button: QPushButton | None) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(widget, 1)
        if button is not None:
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(button)
            layout.addLayout(row)
        return box

    def clear(self) -> None:
        self.task = None
        self.heading.setText(self.tr("Select a task to see it in full."))
        for widget in (self.summary,):
            widget.setText("")
        self.arguments.clear()
        self.traceback.clear()
        self.timeline.clear()
        self.result.clear()
        self.audit.clear()
        for button in (self.copy_id, self.copy_args, self.copy_traceback):
            button.setEnabled(False)

    def show_failure(self, text: str) -> None:
        self.heading.setText(text)

    def show_task(self, task: TaskDetail) -> None:
        self.task = task
        colour = STATE_COLOURS.get(task.state, NEUTRAL)
        self.heading.setText(
            f'<b>{html.escape(task.name or "?")}</b> · <span style="color:{colour}">'
            f"{html.escape(state_text(task.state))}</span> · "
            f'<span style="font-family:monospace">{task.task_id}</span>'
        )
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setText(self._summary_html(task))
        fill_tree(self.arguments, {"args": task.args, "kwargs": task.kwargs})
        self.arguments.resizeColumnToContents(0)
        if task.traceback:
            self.traceback.setHtml(traceback_html(task.traceback))
            # The end first: the exception and the frame that raised it (once laid out).
            QTimer.singleShot(0, self.traceback, self._traceback_to_end)
        else:
            self.traceback.setPlainText(self.tr("No traceback: the task did not fail."))
        self.timeline.clear()
        for event in task.history:
            worker = task.hostname if event.event in ("started", "succeeded", "failed",
                                                       "received", "retried") else ""  # fmt: skip
            self.timeline.addTopLevelItem(
                QTreeWidgetItem([when(event.at), event.event, worker or ""])
            )
        for col in range(3):
            self.timeline.resizeColumnToContents(col)
        self.result.setPlainText(pretty(task.result) if task.result is not None else "—")
        for button in (self.copy_id, self.copy_args):
            button.setEnabled(True)
        self.copy_traceback.setEnabled(bool(task.traceback))
        if task.state == "FAILURE":
            self.tabs.setCurrentIndex(2)

    def _traceback_to_end(self) -> None:
        bar = self.traceback.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _summary_html(self, t: TaskDetail) -> str:
        rows: list[tuple[str, str]] = [
            (self.tr("Task"), html.escape(t.name or "—")),
            (self.tr("User"), html.escape(t.user or "—")),
            (self.tr("Queue"), html.escape(t.queue or "—")),
            (self.tr("Priority"), str(t.priority) if t.priority is not None else "—"),
            (self.tr("Worker"), html.escape(t.hostname or "—")),
            (self.tr("Received"), when(t.created_at)),
            (self.tr("Started"), when(t.started_at)),
            (self.tr("Finished"), when(t.finished_at)),
            (self.tr("Runtime"), duration(t.runtime)),
            (self.tr("Retries"), str(t.retries)),
        ]
        if t.exc_type or t.exc_message:
            rows.append(
                (self.tr("Exception"), html.escape(f"{t.exc_type or ''}: {t.exc_message or ''}"))
            )
        if t.lost_reason:
            rows.append((self.tr("Lost"), html.escape(t.lost_reason)))
        if t.redelivery_reason:
            rows.append((self.tr("Redelivery"), html.escape(t.redelivery_reason)))
        if t.retry_of:
            rows.append((self.tr("Retry of"), f'<a href="task:{t.retry_of}">{t.retry_of}</a>'))
        for retry in t.retried_as:
            rows.append((
                self.tr("Retried as"),
                f'<a href="task:{retry.task_id}">{retry.task_id}</a> '
                f"({html.escape(state_text(retry.state))}, {when(retry.created_at)})",
            ))  # fmt: skip
        rows.append((self.tr("Audit log"), f'<a href="audit:{t.task_id}">{self.tr("show")}</a>'))
        cells = "".join(
            f'<tr><td style="padding-right:12px;color:{NEUTRAL}">{k}</td><td>{v}</td></tr>'
            for k, v in rows
        )
        return f"<table>{cells}</table>"

    def show_audit(self, entries: list[AuditEntry]) -> None:
        self.audit.clear()
        for entry in entries:
            self.audit.addTopLevelItem(QTreeWidgetItem([
                when(entry.at), f"{entry.user} ({entry.role})", entry.action, entry.reason,
                entry.status,
            ]))  # fmt: skip
        for col in range(5):
            self.audit.resizeColumnToContents(col)
        self.tabs.setTabText(5, self.tr("Audit ({n})").format(n=len(entries)))

    def _link(self, href: str) -> None:
        kind, _, value = href.partition(":")
        if kind == "task":
            self.open_task.emit(value)
        elif kind == "audit":
            self.open_audit.emit(value)

    def _copy(self, text: str) -> None:
        if text:
            QGuiApplication.clipboard().setText(text)

    def _copy_arguments(self) -> None:
        if self.task is not None:
            self._copy(pretty({"args": self.task.args, "kwargs": self.task.kwargs}))
