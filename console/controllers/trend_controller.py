"""The trend of one selected thing (a queue's depth, a worker's active tasks)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from console.controllers.timers import every
from console.services.prometheus_reader import MetricsSource
from console.tasks import TaskOwner

REFRESH_MS = 15_000
WINDOW_S = 3600.0
# The trends beside the Queues and Workers pages' tables, of the selected row.
QUEUE_TREND = "sum(celery_queue_length{{queue_name={value}}})"
WORKER_TREND = "sum(celery_worker_tasks_active{{hostname={value}}})"


def label_value(value: str) -> str:
    """A label value quoted for PromQL."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class TrendController(QObject):
    series_changed = Signal(list)  # list[Series]
    failed = Signal(str)

    def __init__(
        self, prometheus: MetricsSource | None, template: str, parent: QObject | None = None
    ) -> None:
        """``template`` is PromQL with ``{value}`` where the quoted selection goes."""
        super().__init__(parent)
        self.prometheus = prometheus
        self.template = template
        self.selection: str | None = None
        self._tasks = TaskOwner()
        self._timer = every(self, REFRESH_MS, self.refresh)

    def select(self, value: str | None) -> None:
        self.selection = value
        if not self._timer.isActive():
            self._timer.start()
        self.refresh()

    async def aclose(self) -> None:
        """Stop refreshing; a query under way is cancelled and reports nothing."""
        self._timer.stop()
        await self._tasks.aclose()

    def refresh(self) -> None:
        if self.selection is not None and self.prometheus is not None:
            self._tasks.run(self._load(self.prometheus, self.selection))

    async def _load(self, prometheus: MetricsSource, selection: str) -> None:
        query = self.template.format(value=label_value(selection))
        try:
            series = await prometheus.range(query, WINDOW_S)
        except Exception as exc:  # noqa: BLE001 - shown on the plot
            self.failed.emit(str(exc))
            return
        if selection == self.selection:
            for item in series:
                if not item.labels:
                    item.key = selection  # one unlabelled series: name it after what was selected
            self.series_changed.emit(series)
