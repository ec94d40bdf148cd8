"""The Rate limits page's work: anomalies, the latest rejections, statistics and the tiers,
read from the backend every ``REFRESH_S``; rejections per tier and endpoint from Prometheus.

Every request runs off the GUI thread's time (coroutines through a TaskOwner, one refresh
at a time). A failed reading of the backend is said once through ``failed`` with the
backend's own words, and ``failed("")`` says it answers again; what was shown stays.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject, Signal

from console.controllers.tasks_controller import problem_text
from console.controllers.timers import every
from console.services import ratelimits_client
from console.services.backend_client import BackendClient, BackendError
from console.services.prometheus_reader import MetricsSource
from console.tasks import TaskOwner

REFRESH_S = 5.0
EVENTS_LIMIT = 100
STATS_WINDOW = 30  # buckets, as many as the anomaly detector judges over
TREND_WINDOW_S = 3600.0
# Rejections per second, each averaged over the hour before it, per tier and endpoint class.
REJECTIONS_QUERY = (
    "label_join(sum by (tier, endpoint) (increase(taskdeck_ratelimit_rejections_total[1m])), "
    '"series", " / ", "tier", "endpoint")'
)


class RateLimitsController(QObject):
    anomalies_changed = Signal(list)  # list[Anomaly], highest score first
    rejections_changed = Signal(list)  # list[Rejection], newest first
    stats_changed = Signal(object)  # RateLimitStats
    config_changed = Signal(object)  # RateLimitConfig
    series_changed = Signal(list)  # list[Series]: rejections a minute, one per "tier / endpoint"
    series_failed = Signal(str)  # Prometheus could not be read: why
    failed = Signal(str)  # the backend could not be read: why ("" once it answers again)

    def __init__(
        self,
        backend: BackendClient | None,
        prometheus: MetricsSource | None,
        refresh_s: float = REFRESH_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.prometheus = prometheus
        self._failing = False
        self._tasks = TaskOwner()
        self._timer = every(self, round(refresh_s * 1000), self.refresh)

    def start(self) -> None:
        """Read now, then every ``refresh_s``."""
        if not self._timer.isActive():
            self._timer.start()
        self.refresh()

    async def aclose(self) -> None:
        """Stop refreshing; readings under way are cancelled and report nothing."""
        self._timer.stop()
        await self._tasks.aclose()

    def refresh(self) -> None:
        """Everything read again (a reading still under way is not started twice)."""
        if self.backend is not None:
            self._tasks.run(self._read_backend(self.backend), key="backend")
        if self.prometheus is not None:
            self._tasks.run(self._read_prometheus(self.prometheus), key="prometheus")

    async def _read_backend(self, backend: BackendClient) -> None:
        try:
            found, rejections, stats, config = await asyncio.gather(
                ratelimits_client.anomalies(backend),
                ratelimits_client.events(backend, EVENTS_LIMIT),
                ratelimits_client.stats(backend, STATS_WINDOW),
                ratelimits_client.config(backend),
            )
        except BackendError as exc:
            self._failing = True
            self.failed.emit(
                self.tr("The rate limits could not be read: {problem}").format(
                    problem=problem_text(exc)
                )
            )
            return
        if self._failing:
            self._failing = False
            self.failed.emit("")
        # Statistics and tiers first: the evidence of an anomaly is drawn on their buckets.
        self.stats_changed.emit(stats)
        self.config_changed.emit(config)
        self.anomalies_changed.emit(found)
        self.rejections_changed.emit(rejections)

    async def _read_prometheus(self, prometheus: MetricsSource) -> None:
        try:
            series = await prometheus.range(REJECTIONS_QUERY, TREND_WINDOW_S, legend="series")
        except Exception as exc:  # noqa: BLE001 - shown on the plot
            self.series_failed.emit(str(exc))
            return
        self.series_changed.emit(series)
