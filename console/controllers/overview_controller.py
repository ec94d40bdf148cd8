"""Trends from Prometheus and firing alerts from Alertmanager, for the Overview page.

Full range queries when the window changes and every minute; in between, an
instant query every few seconds appends one point per series, so the live edge
moves without redrawing whole plots. Failures keep the last data on screen.
"""

from __future__ import annotations

import asyncio

import numpy as np
from PySide6.QtCore import QObject, Signal

from console.controllers.timers import every
from console.domain.clock import now as clock_now
from console.domain.series import DEFAULT_WINDOW, WINDOWS
from console.domain.translation import QT_TRANSLATE_NOOP
from console.services.alertmanager_client import AlertmanagerClient, AlertmanagerError
from console.services.prometheus_reader import (
    OVERVIEW_QUERIES,
    MetricsSource,
    PrometheusError,
    default_key,
)
from console.tasks import TaskOwner

RANGE_EVERY_MS = 60_000
# Legend names of the plots whose query has no label to name its series by.
# Their names are keys; the plots translate them when they show them (context "TrendPlot").
SINGLE_SERIES_NAMES = {
    "failure_rate": QT_TRANSLATE_NOOP("TrendPlot", "failure rate"),
    "p95_runtime": QT_TRANSLATE_NOOP("TrendPlot", "p95"),
}
# The task-rate plot's series are named by its query's "state" label; the plot (and a
# report's chart) shows each name translated in the context "TrendPlot".
STATE_SERIES_NAMES = (
    QT_TRANSLATE_NOOP("TrendPlot", "started"),
    QT_TRANSLATE_NOOP("TrendPlot", "succeeded"),
    QT_TRANSLATE_NOOP("TrendPlot", "failed"),
    QT_TRANSLATE_NOOP("TrendPlot", "retried"),
)
EDGE_EVERY_MS = 5_000
# Plots whose values are shown scaled (a ratio as percent, like the tile beside it).
SCALE = {"failure_rate": 100.0}
# A window longer than the data shows the data: from its first sample (less this share of
# the span, at least MIN_SPAN_S in all) to now.
LEAD_SHARE = 0.05
MIN_SPAN_S = 300.0


class OverviewController(QObject):
    series_changed = Signal(str, list)  # plot name, list[Series]
    point_added = Signal(str, str, float, float)  # plot name, series key, t, value
    window_changed = Signal(float)  # seconds shown, up to now
    data_start_changed = Signal(float, float)  # window asked (s), first sample (0: no data)
    # {plot name: why its own query failed}, time of the last good data (0: none)
    prometheus_failed = Signal(object, float)
    prometheus_ok = Signal()
    alerts_changed = Signal(list)  # firing alerts

    def __init__(
        self, prometheus: MetricsSource | None, alertmanager: AlertmanagerClient | None,
        parent: QObject | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.prometheus = prometheus
        self.alertmanager = alertmanager
        self.window = next(w for w in WINDOWS if w.key == DEFAULT_WINDOW)
        self.last_good = 0.0
        self.shown_s = float(self.window.seconds)  # the window, or less when the data is
        self._first: float | None = None  # the first sample of the last range answers
        self.failures: dict[str, str] = {}  # plot name -> why its query last failed
        self._tasks = TaskOwner()
        self._range_timer = every(self, RANGE_EVERY_MS, self.refresh)
        self._edge_timer = every(self, EDGE_EVERY_MS, self._edge)

    def start(self) -> None:
        self._range_timer.start()
        self._edge_timer.start()
        self.refresh()

    async def aclose(self) -> None:
        """Stop the timers; queries under way are cancelled and report nothing."""
        self._range_timer.stop()
        self._edge_timer.stop()
        await self._tasks.aclose()

    def set_window(self, key: str) -> None:
        window = next((w for w in WINDOWS if w.key == key), None)
        if window is None or window == self.window:
            return
        self.window = window
        self.shown_s = float(window.seconds)
        self.window_changed.emit(self._shown_s())
        self.refresh()

    def refresh(self) -> None:
        if self.prometheus is not None:
            self._tasks.run(self._refresh_ranges(self.prometheus), key="ranges")
        self._tasks.run(self._refresh_alerts())

    async def _refresh_ranges(self, prometheus: MetricsSource) -> None:
        names = list(OVERVIEW_QUERIES)
        results = await asyncio.gather(
            *(prometheus.range(q, self.window.seconds, legend=legend)
              for q, legend in OVERVIEW_QUERIES.values()),
            return_exceptions=True,
        )  # fmt: skip
        failures = {
            name: result
            for name, result in zip(names, results, strict=True)
            if isinstance(result, BaseException)
        }
        firsts: list[float] = []
        for name, result in zip(names, results, strict=True):
            if isinstance(result, list):
                for series in result:
                    series.key = self._key(name, series.labels)
                    series.y = series.y * SCALE.get(name, 1.0)
                    finite = series.x[np.isfinite(series.y)]
                    if len(finite):
                        firsts.append(float(finite[0]))
                self.series_changed.emit(name, result)
        if failures:
            self._failed(failures)
        else:
            self._fit_window(min(firsts) if firsts else None)
            self.last_good = clock_now()
            self.failures = {}
            self.prometheus_ok.emit()

    def _fit_window(self, first: float | None) -> None:
        """Show the part of the window that has data: a 7-day window over ten minutes of
        data shows those ten minutes (and says so), not a week of blank with the data
        squashed against the edge."""
        self._first = first
        self.data_start_changed.emit(float(self.window.seconds), first or 0.0)
        self.window_changed.emit(self._shown_s())

    def _shown_s(self) -> float:
        asked = float(self.window.seconds)
        shown = asked
        if self._first is not None:
            span = max(0.0, clock_now() - self._first)
            shown = min(asked, max(MIN_SPAN_S, span * (1 + LEAD_SHARE)))
        self.shown_s = shown
        return shown

    @staticmethod
    def _key(name: str, labels: dict[str, str]) -> str:
        """One series' legend name, the same for range and instant results."""
        query, legend = OVERVIEW_QUERIES[name]
        if legend and legend in labels:
            return labels[legend]
        if not labels and name in SINGLE_SERIES_NAMES:
            return SINGLE_SERIES_NAMES[name]
        return default_key(labels, query)

    def _failed(self, failures: dict[str, BaseException]) -> None:
        """Each plot whose query failed is told why, naming its own query."""
        texts = {
            name: str(exc) if isinstance(exc, PrometheusError) else f"{type(exc).__name__}: {exc}"
            for name, exc in failures.items()
        }
        self.failures = texts
        self.prometheus_failed.emit(texts, self.last_good)

    def _edge(self) -> None:
        if self.prometheus is not None:
            self._tasks.run(self._refresh_edge(self.prometheus), key="edge")
        self._tasks.run(self._refresh_alerts())

    async def _refresh_edge(self, prometheus: MetricsSource) -> None:
        now = clock_now()
        results = await asyncio.gather(
            *(prometheus.instant(query) for query, _legend in OVERVIEW_QUERIES.values()),
            return_exceptions=True,
        )
        failures: dict[str, BaseException] = {}
        for name, result in zip(OVERVIEW_QUERIES, results, strict=True):
            if isinstance(result, BaseException):
                failures[name] = result  # shown on its plot; its last data stays
                continue
            for labels, value in result:
                scaled = value * SCALE.get(name, 1.0)
                self.point_added.emit(name, self._key(name, labels), now, scaled)
        if failures:
            self._failed(failures)
            return
        self.window_changed.emit(self._shown_s())
        self.last_good = now
        self.failures = {}
        self.prometheus_ok.emit()

    async def _refresh_alerts(self) -> None:
        if self.alertmanager is None:
            return
        try:
            self.alerts_changed.emit(await self.alertmanager.firing())
        except AlertmanagerError:
            pass  # the status bar shows Alertmanager's state
