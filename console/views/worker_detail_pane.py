"""One worker's own account of itself: its tasks by kind, and facts about its pool."""

from __future__ import annotations

import html
import time

from PySide6.QtWidgets import QLabel, QTabWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from console.models.format import clock, number
from taskdeck_core.api_types import DETAIL_CAP, WorkerDetail, WorkerTask

KINDS = ("active", "reserved", "scheduled")


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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.facts)
        layout.addWidget(self.tabs, 1)
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
            count = number(shown) if total <= shown else f"{number(shown)} of {number(total)}"
            titles.append(f"{name} ({count})")
        return titles

    def _set_titles(self, detail: WorkerDetail | None) -> None:
        for i, title in enumerate(self._titles(detail)):
            self.tabs.setTabText(i, title)

    def clear(self, text: str | None = None) -> None:
        self.detail = None
        self.heading.setText(text or self.tr("Select a worker to see what it holds."))
        self.facts.setText("")
        for tree in (*self.lists.values(), self.registered):
            tree.clear()
        self._set_titles(None)

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
                    name, clock(time.time()), DETAIL_CAP
                )
            )
        self.facts.setText(self._facts(detail))
        for kind, tree in self.lists.items():
            tree.clear()
            tree.addTopLevelItems([self._row(t) for t in getattr(detail, kind)])
        self.registered.clear()
        self.registered.addTopLevelItems([QTreeWidgetItem([n]) for n in detail.registered])
        self._set_titles(detail)

    def _facts(self, detail: WorkerDetail) -> str:
        unknown = "–"
        parts = [
            (self.tr("Pool"), detail.pool or unknown),
            (self.tr("Concurrency"), number(detail.concurrency) if detail.concurrency else unknown),
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
