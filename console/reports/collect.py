"""Collect an offline report's content for one environment and one time window.

The report is read from the services and queries the pages read (the Overview's trends,
the Quotas page's trend, the Rate limits page's rejections and anomaly evidence, the
backend's ledger, audit log, quotas and workers, Alertmanager's silences), so the screen,
a PDF and a snapshot show the same numbers. No widgets and no GUI-thread waits: every
request is a coroutine on the running loop. A source that fails leaves its part out and
says so in the section's and the report's ``missing``; the rest is collected as usual.
Cancelling the coroutine cancels every request under way and raises CancelledError.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
from PySide6.QtCore import QCoreApplication

from console.controllers.overview_controller import SCALE, SINGLE_SERIES_NAMES
from console.controllers.quotas_controller import QUOTA_TREND
from console.controllers.ratelimits_controller import REJECTIONS_QUERY
from console.controllers.trend_controller import label_value
from console.domain.clock import now as clock_now
from console.domain.series import Series as Curve
from console.domain.series import step_for
from console.domain.translation import QT_TRANSLATE_NOOP
from console.models.anomaly_evidence import evidence_facts, evidence_series, kind_text
from console.reports.model import (
    Column,
    Plot,
    Report,
    Section,
    Series,
    Table,
    Value,
    has_samples,
)
from console.services import ratelimits_client
from console.services.alertmanager_client import AlertmanagerClient, AlertmanagerError
from console.services.backend_client import BackendClient, BackendError
from console.services.prometheus_reader import (
    OVERVIEW_QUERIES,
    MetricsSource,
    PrometheusError,
    default_key,
)
from console.services.quotas_client import quotas
from taskdeck_core.api_types import AuditEntry, TaskStats, TaskSummary
from taskdeck_core.urls import redact_url

log = logging.getLogger(__name__)
T = TypeVar("T")
U = TypeVar("U")

SECTIONS = ("summary", "trends", "failures", "anomalies", "alerts", "quotas", "audit")
MAX_POINTS = 500  # per series of a plot
PAGE = 1000  # the most the backend gives at once (tasks, audit)
TASKS_MAX = 20_000  # tasks counted per question; beyond, the figures say "at least"
AUDIT_MAX = 5_000
FAILURE_GROUPS_MAX = 10
BUSIEST_QUEUES = 10
QUOTA_TREND_USERS = 10
STATS_MAX_WINDOW_S = 3600  # GET /api/v1/stats/tasks answers windows ending now, up to this
NOW_SLACK_S = 5.0  # a window ending this close to now is "ending now"
# Each with the step in seconds: whether an alert fired at any moment of a step (so an alert
# shorter than a step is not lost between two samples), and a worker's heartbeats per step:
# up at the step's end, down at some scrape of it, the share of its scrapes that were up.
ALERTS_QUERY = 'max_over_time(ALERTS{{alertstate="firing"}}[{step}s])'
FIRING_QUERY = 'ALERTS{alertstate="firing"}'  # firing at the sampled instants (the end's)
WORKER_UP_QUERIES = (
    "celery_worker_up",
    "min_over_time(celery_worker_up[{step}s])",
    "avg_over_time(celery_worker_up[{step}s])",
)
OVERVIEW_TITLES = {  # as the Overview's plots are titled
    "queue_depth": (QT_TRANSLATE_NOOP("Report", "Queue depth"), ""),
    "task_rate": (QT_TRANSLATE_NOOP("Report", "Tasks per second by state"), "/s"),
    "failure_rate": (QT_TRANSLATE_NOOP("Report", "Failure rate (5 min)"), "%"),
    "p95_runtime": (QT_TRANSLATE_NOOP("Report", "p95 runtime (5 min)"), "s"),
}


@dataclass(frozen=True)
class ReportSources:
    """The console's clients of one environment; None where it has no such service."""

    environment: str
    backend: BackendClient | None = None
    prometheus: MetricsSource | None = None
    alertmanager: AlertmanagerClient | None = None


# -- saying what could not be fetched ---------------------------------------------------


def _url(source: object) -> str:
    url = getattr(source, "url", "")
    return redact_url(url) if isinstance(url, str) and url else "?"


def _sentence(problem: str, lost: str) -> str:
    text = QCoreApplication.translate("Report", "{problem} — {lost}").format(
        problem=problem, lost=lost
    )
    return text[:1].upper() + text[1:]


def _backend_problem(backend: BackendClient, exc: BackendError) -> str:
    if not exc.reached:
        return exc.detail  # names the backend and its URL already
    return QCoreApplication.translate(
        "Report", "the backend at {url} answered HTTP {status}: {detail}"
    ).format(url=_url(backend), status=exc.status, detail=exc.detail)


def _prometheus_problem(prometheus: MetricsSource, exc: PrometheusError) -> str:
    reason = str(exc).rsplit(" failed: ", 1)[-1]
    return QCoreApplication.translate("Report", "Prometheus at {url}: {reason}").format(
        url=_url(prometheus), reason=reason
    )


class _Gaps:
    """The sentences of one section's ``missing``."""

    def __init__(self, sources: ReportSources) -> None:
        self.sources = sources
        self.items: list[str] = []

    def add(self, sentence: str) -> None:
        if sentence not in self.items:
            self.items.append(sentence)

    def backend(self, exc: BackendError, lost: str) -> None:
        assert self.sources.backend is not None
        self.add(_sentence(_backend_problem(self.sources.backend, exc), lost))

    def prometheus(self, exc: PrometheusError, lost: str) -> None:
        assert self.sources.prometheus is not None
        self.add(_sentence(_prometheus_problem(self.sources.prometheus, exc), lost))

    def alertmanager(self, exc: AlertmanagerError, lost: str) -> None:
        self.add(_sentence(str(exc), lost))

    def unconfigured(self, service: str, lost: str) -> None:
        problem = QCoreApplication.translate(
            "Report", "no {service} is configured for {environment}"
        ).format(service=service, environment=self.sources.environment)
        self.add(_sentence(problem, lost))


async def _settle(*aws: Awaitable[T]) -> list[T | Exception]:
    """Every awaitable's answer or its error, side by side; cancellation is not an answer."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result
    return list(results)  # type: ignore[arg-type]


async def _both(first: Awaitable[T], second: Awaitable[U]) -> tuple[T, U]:
    """Both answers; the first error once both have ended (none left running behind)."""
    a, b = await _settle(first, second)
    for result in (a, b):
        if isinstance(result, Exception):
            raise result
    return a, b  # type: ignore[return-value]


# -- values -----------------------------------------------------------------------------


def zone_text(at: float | None = None) -> str:
    """The local time zone as shown on a report, e.g. "CST (UTC+08:00)"."""
    moment = datetime.fromtimestamp(time.time() if at is None else at).astimezone()
    offset = moment.utcoffset()
    minutes = round(offset.total_seconds() / 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{moment.tzname() or 'local'} (UTC{sign}{hours:02d}:{mins:02d})"


def _points(curve: Curve, scale: float = 1.0) -> tuple[tuple[float, float], ...]:
    """A curve's points in time order; NaN values stay (a gap in the data)."""
    return tuple((float(x), float(y) * scale) for x, y in zip(curve.x, curve.y, strict=True))


def _count(n: int, complete: bool) -> str:
    return (
        f"{n:,}"
        if complete
        else QCoreApplication.translate("Report", "at least {n}").format(n=f"{n:,}")
    )


def _percent_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _targets_text(targets: Any) -> str:
    if isinstance(targets, list):
        return ", ".join(str(t) for t in targets)
    if targets is None:
        return ""
    if isinstance(targets, str):
        return targets
    return json.dumps(targets, sort_keys=True, default=str)


# -- the collector ----------------------------------------------------------------------


@dataclass
class _Extra:
    """Key numbers of one section that the summary repeats, and whether the section found
    anything in the window (None: it could not tell, or holds nothing of the window)."""

    figures: list[tuple[str, str]]
    has_data: bool | None = None


class _Collector:
    def __init__(self, sources: ReportSources, start: float, end: float) -> None:
        self.sources = sources
        self.start = start
        self.end = end
        self.span = end - start
        self.step = step_for(self.span, MAX_POINTS)

    # helpers

    async def _range(self, query: str, legend: str | None = None) -> list[Curve]:
        assert self.sources.prometheus is not None
        return await self.sources.prometheus.range(
            query, self.span, end=self.end, max_points=MAX_POINTS, legend=legend
        )

    def _plot(self, key: str, title: str, unit: str, series: Iterable[Series]) -> Plot:
        return Plot(key, title, unit, tuple(series), self.start, self.end)

    async def _tasks(
        self, filters: dict[str, Any], keep: Callable[[TaskSummary], T]
    ) -> tuple[list[T], bool]:
        """What ``keep`` takes of each task matching ``filters`` (only that is held, not the
        tasks: a page at a time), newest first, at most TASKS_MAX; True if all were read."""
        backend = self.sources.backend
        assert backend is not None
        items: list[T] = []
        cursor: str | None = None
        while len(items) < TASKS_MAX:
            page = await backend.tasks(filters, PAGE, cursor)
            items.extend(keep(t) for t in page.items)
            cursor = page.next_cursor
            if cursor is None:
                return items, True
        return items, False

    # summary

    async def summary(self) -> tuple[Section, _Extra]:
        gaps = _Gaps(self.sources)
        figures: list[tuple[str, str]] = []
        tables: list[Table] = []
        paragraphs: list[str] = []
        backend = self.sources.backend
        has_data: bool | None = None
        if backend is None:
            gaps.unconfigured(
                QCoreApplication.translate("Report", "backend"),
                QCoreApplication.translate("Report", "the task counts are not in this report"),
            )
        else:
            try:
                has_data = await self._task_figures(backend, figures, tables, paragraphs)
            except BackendError as exc:
                gaps.backend(
                    exc,
                    QCoreApplication.translate("Report", "the task counts are not in this report"),
                )
        workers, note = await self._workers(gaps)
        if workers is not None:
            tables.append(workers)
            paragraphs.append(note)
        section = Section(
            "summary", QCoreApplication.translate("Report", "Summary"), tuple(paragraphs), tuple(figures), (), tuple(tables),
            missing=tuple(gaps.items),
        )  # fmt: skip
        return section, _Extra([], has_data)

    async def _finished(self, backend: BackendClient) -> tuple[int, int, bool, str]:
        """Succeeded and failed tasks that ended in the window: the ledger's own statistics
        for a window up to an hour ending now, else counted from the ledger's task list."""
        now = clock_now()
        if self.end >= now - NOW_SLACK_S and self.span <= STATS_MAX_WINDOW_S:
            stats: TaskStats = await backend.task_stats(max(1.0, self.span))
            source = QCoreApplication.translate(
                "Report", "GET /api/v1/stats/tasks (the ledger), the last {s} s"
            ).format(s=round(stats.window_s))
            return stats.succeeded, stats.failed, True, source
        window = {"finished_since": self.start, "finished_until": self.end}
        (ok, ok_all), (bad, bad_all) = await _both(
            self._tasks({**window, "state": "SUCCESS"}, _nothing),
            self._tasks({**window, "state": "FAILURE"}, _nothing),
        )
        source = QCoreApplication.translate("Report", "the ledger's tasks that ended in the window")
        return len(ok), len(bad), ok_all and bad_all, source

    async def _task_figures(
        self, backend: BackendClient, figures: list[tuple[str, str]], tables: list[Table],
        paragraphs: list[str],
    ) -> bool:  # fmt: skip
        """The task figures and tables; whether any task was created or ended in the window."""
        (created, complete), finished = await _both(
            self._tasks({"since": self.start, "until": self.end}, _state_and_queue),
            self._finished(backend),
        )
        succeeded, failed, finished_complete, source = finished
        states = Counter(state for state, _queue in created)
        figures.append(
            (
                QCoreApplication.translate("Report", "Tasks created in the window"),
                _count(len(created), complete),
            )
        )
        figures.append(
            (
                QCoreApplication.translate("Report", "Succeeded in the window"),
                _count(succeeded, finished_complete),
            )
        )
        figures.append(
            (
                QCoreApplication.translate("Report", "Failed in the window"),
                _count(failed, finished_complete),
            )
        )
        # Counts cut at TASKS_MAX make no rate: 20,000 of each would read 50 %.
        rate = _share(failed, succeeded + failed) if finished_complete else None
        figures.append((QCoreApplication.translate("Report", "Failure rate"), _percent_text(rate)))
        paragraphs.append(
            QCoreApplication.translate("Report", "Succeeded, failed and the failure rate count tasks that ended in the window "
                "({source}); tasks by state and by queue count tasks created in the window, "
                "in the state they are in now.").format(source=source)
        )  # fmt: skip
        if not finished_complete:
            paragraphs.append(QCoreApplication.translate("Report",
                "More tasks ended in the window than the report counts ({n} of each state): "
                "the counts say “at least” and the failure rate is not given; the Failures "
                "section counts the failures by group."
            ).format(n=f"{TASKS_MAX:,}"))  # fmt: skip
        has_data = bool(created) or succeeded + failed > 0
        if not has_data:
            paragraphs.insert(0, QCoreApplication.translate("Report", "The window holds no tasks: none was created in it and "
                                     "none ended in it."))  # fmt: skip
        no_tasks = QCoreApplication.translate("Report", "No task was created in the window.")
        count_col = Column(QCoreApplication.translate("Report", "Tasks"), "int", "tasks")
        tables.append(
            Table(
                "tasks_by_state", QCoreApplication.translate("Report", "Tasks created in the window, by state now"),
                (Column(QCoreApplication.translate("Report", "State"), "text", "state"), count_col,
                 Column(QCoreApplication.translate("Report", "Share"), "percent", "share")),
                tuple((s, n, _share(n, len(created))) for s, n in states.most_common()),
                note="" if complete else QCoreApplication.translate("Report", "The newest {n} tasks of the window; there were "
                                             "more.").format(n=f"{len(created):,}"),
                empty=no_tasks,
            )
        )  # fmt: skip
        by_queue = Counter(queue or "" for _state, queue in created)
        failed_by_queue = Counter(queue or "" for state, queue in created if state == "FAILURE")
        busiest = by_queue.most_common(BUSIEST_QUEUES)
        tables.append(
            Table(
                "busiest_queues", QCoreApplication.translate("Report", "Busiest queues"),
                (Column(QCoreApplication.translate("Report", "Queue"), "text", "queue"), count_col,
                 Column(QCoreApplication.translate("Report", "Failed"), "int", "failed"),
                 Column(QCoreApplication.translate("Report", "Failure share"), "percent", "failure_share")),
                tuple((q or QCoreApplication.translate("Report", "(none)"), n, failed_by_queue[q], _share(failed_by_queue[q], n))
                      for q, n in busiest),
                note=QCoreApplication.translate("Report", "Tasks created in the window, the {n} busiest queues of {all}.").format(
                    n=len(busiest), all=len(by_queue)),
                empty=no_tasks,
            )
        )  # fmt: skip
        return has_data

    async def _workers(self, gaps: _Gaps) -> tuple[Table | None, str]:
        backend, prometheus = self.sources.backend, self.sources.prometheus
        lost = QCoreApplication.translate(
            "Report", "the workers' up time and restarts are not in this report"
        )
        listed: dict[str, Any] = {}
        curves: dict[str, tuple[Curve | None, ...]] = {}
        answers: list[Any] = []
        jobs: list[Awaitable[Any]] = []
        if backend is not None:
            jobs.append(backend.workers())
        if prometheus is not None:
            step = f"{self.step:.0f}"
            queries = (q.format(step=step) for q in WORKER_UP_QUERIES)
            jobs.append(_all_of(*(self._range(q, legend="hostname") for q in queries)))
        answers = await _settle(*jobs)
        if backend is not None:
            got = answers.pop(0)
            if isinstance(got, BackendError):
                gaps.backend(
                    got,
                    QCoreApplication.translate(
                        "Report", "the workers' state now is not in this report"
                    ),
                )
            elif isinstance(got, Exception):
                raise got
            else:
                listed = {w.hostname: w for w in got}
        else:
            gaps.unconfigured(
                QCoreApplication.translate("Report", "backend"),
                QCoreApplication.translate(
                    "Report", "the workers' state now is not in this report"
                ),
            )
        if prometheus is not None:
            got = answers.pop(0)
            if isinstance(got, PrometheusError):
                gaps.prometheus(got, lost)
            elif isinstance(got, Exception):
                raise got
            else:
                hosts = {c.key for answer in got for c in answer}
                curves = {
                    host: tuple(next((c for c in answer if c.key == host), None) for answer in got)
                    for host in hosts
                }
        else:
            gaps.unconfigured("Prometheus", lost)
        if not listed and not curves:
            return None, ""
        rows: list[tuple[Value, ...]] = []
        for host in sorted(set(listed) | set(curves)):
            info = listed.get(host)
            up_s, restarts = self._up_time(curves[host]) if host in curves else (None, None)
            started = info.started_at if info is not None else None
            rows.append((
                host,
                info.status if info is not None else QCoreApplication.translate("Report", "not listed"),
                up_s, _share_f(up_s, self.span), restarts,
                started if started is not None and started >= self.start else None,
                info.processed if info is not None else None,
            ))  # fmt: skip
        table = Table(
            "workers", QCoreApplication.translate("Report", "Workers"),
            (Column(QCoreApplication.translate("Report", "Worker"), "text", "worker"), Column(QCoreApplication.translate("Report", "Status now"), "text", "status"),
             Column(QCoreApplication.translate("Report", "Up in the window"), "duration", "up_s"),
             Column(QCoreApplication.translate("Report", "Up share"), "percent", "up_share"),
             Column(QCoreApplication.translate("Report", "Came back up"), "int", "restarts"),
             Column(QCoreApplication.translate("Report", "Process started in the window"), "time", "started_at"),
             Column(QCoreApplication.translate("Report", "Tasks processed"), "int", "processed")),
            tuple(rows),
        )  # fmt: skip
        note = QCoreApplication.translate(
            "Report",
            "Up time is the time celery_worker_up was 1 in the window (the share of its "
            "scrapes, per step of {step} s). “Came back up” counts the steps in which it "
            "returned to 1 after being 0 or absent (several returns within one step count "
            "once); a restart within the heartbeat timeout never makes it 0, so it is not "
            "seen there. “Process started” is when the backend first heard the worker's "
            "current process, when that is in the window; status and tasks processed are as "
            "the backend sees them now.",
        ).format(step=f"{self.step:g}")
        return table, note

    def _up_time(self, curves: tuple[Curve | None, ...]) -> tuple[float, int]:
        """Seconds up in the window, and the steps in which the worker came back up."""
        now, lowest, share = (_by_time(c) for c in curves)
        seconds = 0.0
        for t, value in share.items():
            # Each sample covers the step before it; the first may start before the window.
            covered = min(self.step, t - self.start)
            if covered > 0 and math.isfinite(value):
                seconds += value * covered
        came_back = 0
        times = sorted(now)
        for n, t in enumerate(times):
            if not now[t] >= 1.0:
                continue
            down_before = n > 0 and not now[times[n - 1]] >= 1.0  # 0, or no data (NaN)
            came_back += 1 if down_before or lowest.get(t, 1.0) < 1.0 else 0
        return min(seconds, self.span), came_back

    def _last_sample(self) -> float:
        """The time of a range query's last sample (PrometheusReader: the end's whole second)."""
        return float(math.floor(self.end))

    # trends

    async def trends(self) -> tuple[Section, _Extra]:
        gaps = _Gaps(self.sources)
        lost = QCoreApplication.translate("Report", "the trend plots are not in this report")
        if self.sources.prometheus is None:
            gaps.unconfigured("Prometheus", lost)
            return Section(
                "trends", QCoreApplication.translate("Report", "Trends"), missing=tuple(gaps.items)
            ), _Extra([])
        names = list(OVERVIEW_QUERIES)
        answers = await _settle(
            *(self._range(q, legend) for q, legend in OVERVIEW_QUERIES.values())
        )
        plots: list[Plot] = []
        for name, answer in zip(names, answers, strict=True):
            title, unit = OVERVIEW_TITLES[name]
            if isinstance(answer, PrometheusError):
                gaps.prometheus(answer, lost)
                continue
            if isinstance(answer, Exception):
                raise answer
            scale = SCALE.get(name, 1.0)
            series = [Series(_overview_key(name, c.labels), _points(c, scale)) for c in answer]
            plots.append(
                self._plot(name, QCoreApplication.translate("Report", title), unit, series)
            )
        paragraphs: tuple[str, ...] = (
            QCoreApplication.translate("Report", "The Overview's plots over the window, read from Prometheus every {step} s.")
            .format(step=f"{self.step:g}"),
        )  # fmt: skip
        has_data = any(has_samples(p) for p in plots) if plots else None
        if has_data is False:
            paragraphs += (
                QCoreApplication.translate(
                    "Report", "Prometheus holds no samples of these plots in the window."
                ),
            )
        section = Section(
            "trends",
            QCoreApplication.translate("Report", "Trends"),
            paragraphs,
            plots=tuple(plots),
            missing=tuple(gaps.items),
        )
        return section, _Extra([], has_data)

    # failures

    async def failures(self) -> tuple[Section, _Extra]:
        gaps = _Gaps(self.sources)
        backend = self.sources.backend
        title = QCoreApplication.translate("Report", "Failures")
        if backend is None:
            gaps.unconfigured(
                QCoreApplication.translate("Report", "backend"),
                QCoreApplication.translate("Report", "the failure groups are not in this report"),
            )
            return Section("failures", title, missing=tuple(gaps.items)), _Extra([])
        try:
            groups = await backend.failure_groups(self.start, self.end)
        except BackendError as exc:
            gaps.backend(
                exc,
                QCoreApplication.translate("Report", "the failure groups are not in this report"),
            )
            return Section("failures", title, missing=tuple(gaps.items)), _Extra([])
        groups.sort(key=lambda g: g.count, reverse=True)
        top = groups[:FAILURE_GROUPS_MAX]
        rows = tuple(
            (g.signature, g.name, f"{g.exc_type}: {g.message}" if g.exc_type else g.message,
             g.count, g.affected_users, ", ".join(g.users), g.first_seen, g.last_seen)
            for g in top
        )  # fmt: skip
        table = Table(
            "failure_groups", QCoreApplication.translate("Report", "Top failure groups"),
            (Column(QCoreApplication.translate("Report", "Signature"), "text", "signature"), Column(QCoreApplication.translate("Report", "Task"), "text", "task"),
             Column(QCoreApplication.translate("Report", "Error"), "text", "error"), Column(QCoreApplication.translate("Report", "Failures"), "int", "count"),
             Column(QCoreApplication.translate("Report", "Users affected"), "int", "affected_users"),
             Column(QCoreApplication.translate("Report", "Users"), "text", "users"),
             Column(QCoreApplication.translate("Report", "First seen"), "time", "first_seen"),
             Column(QCoreApplication.translate("Report", "Last seen"), "time", "last_seen")),
            rows,
            note=QCoreApplication.translate("Report", "The {n} largest of {all} groups of failures in the window.").format(
                n=len(top), all=len(groups)),
            empty=QCoreApplication.translate("Report", "No task failed in the window."),
        )  # fmt: skip
        samples = await _settle(*(backend.task(g.sample_ids[0]) for g in top if g.sample_ids))
        preformatted: list[tuple[str, str]] = []
        for group, sample in zip((g for g in top if g.sample_ids), samples, strict=True):
            task_id = group.sample_ids[0]
            if isinstance(sample, BackendError):
                gaps.backend(sample, QCoreApplication.translate("Report", "the sample traceback of task {id} is not in this "
                                         "report").format(id=task_id))  # fmt: skip
                continue
            if isinstance(sample, Exception):
                raise sample
            caption = QCoreApplication.translate("Report", "{task}: {error} (task {id})").format(
                task=group.name or "?", error=group.exc_type or group.message, id=task_id
            )
            text = sample.traceback or QCoreApplication.translate(
                "Report", "The ledger holds no traceback of this task."
            )
            preformatted.append((caption, text))
        failed = sum(g.count for g in groups)
        figures = (
            (QCoreApplication.translate("Report", "Failure groups"), f"{len(groups):,}"),
            (QCoreApplication.translate("Report", "Failures"), f"{failed:,}"),
        )
        section = Section(
            "failures", title, figures=figures, tables=(table,),
            preformatted=tuple(preformatted), missing=tuple(gaps.items),
        )  # fmt: skip
        return section, _Extra(
            [(QCoreApplication.translate("Report", "Failure groups"), f"{len(groups):,}")],
            bool(groups),
        )

    # anomalies

    async def anomalies(self) -> tuple[Section, _Extra]:
        gaps = _Gaps(self.sources)
        title = QCoreApplication.translate("Report", "Rate-limit anomalies")
        backend, prometheus = self.sources.backend, self.sources.prometheus
        plots: list[Plot] = []
        tables: list[Table] = []
        paragraphs: list[str] = []
        extra: list[tuple[str, str]] = []
        verdicts: list[bool] = []
        jobs: list[Awaitable[Any]] = []
        if backend is not None:
            jobs += [
                ratelimits_client.anomalies(backend),
                ratelimits_client.stats(backend),
            ]
        if prometheus is not None:
            jobs.append(self._range(REJECTIONS_QUERY, legend="series"))
        answers = await _settle(*jobs)
        if backend is None:
            gaps.unconfigured(
                QCoreApplication.translate("Report", "backend"),
                QCoreApplication.translate("Report", "the anomalies are not in this report"),
            )
        else:
            found, stats = answers.pop(0), answers.pop(0)
            bucket_s = 60.0
            if isinstance(stats, BackendError):
                if not isinstance(found, BackendError):
                    gaps.backend(
                        stats,
                        QCoreApplication.translate(
                            "Report", "the anomalies' buckets are drawn a minute long"
                        ),
                    )
            elif isinstance(stats, Exception):
                raise stats
            else:
                bucket_s = stats.bucket_s
            if isinstance(found, BackendError):
                gaps.backend(
                    found,
                    QCoreApplication.translate("Report", "the anomalies are not in this report"),
                )
            elif isinstance(found, Exception):
                raise found
            else:
                seen = [a for a in found if self._overlaps(a.first_seen, a.last_seen)]
                tables.append(Table(
                    "anomalies", QCoreApplication.translate("Report", "Anomalies seen in the window"),
                    (Column(QCoreApplication.translate("Report", "Kind"), "text", "kind"), Column(QCoreApplication.translate("Report", "Subject"), "text", "subject"),
                     Column(QCoreApplication.translate("Report", "Score"), "float", "score"),
                     Column(QCoreApplication.translate("Report", "First seen"), "time", "first_seen"),
                     Column(QCoreApplication.translate("Report", "Last seen"), "time", "last_seen")),
                    tuple((kind_text(a.kind), a.subject, a.score, a.first_seen or None,
                           a.last_seen or None) for a in seen),
                    note=QCoreApplication.translate("Report", "{n} of the {all} anomalies the backend holds now were seen in "
                             "the window.").format(n=len(seen), all=len(found)),
                    empty=QCoreApplication.translate("Report", "No anomaly was seen in the window."),
                ))  # fmt: skip
                verdicts.append(bool(seen))
                paragraphs.append(QCoreApplication.translate("Report",
                    "The backend keeps the anomalies of its detector's recent buckets: those "
                    "seen in the window are listed, each with its evidence per bucket of "
                    "{bucket} s."
                ).format(bucket=f"{bucket_s:g}"))  # fmt: skip
                for n, anomaly in enumerate(seen):
                    curves = evidence_series(anomaly, bucket_s)
                    name = f"{kind_text(anomaly.kind)}: {anomaly.subject}"
                    facts = "; ".join(f"{k}: {v}" for k, v in evidence_facts(anomaly))
                    if facts:
                        paragraphs.append(f"{name} — {facts}")
                    if curves:
                        xs = np.concatenate([c.x for c in curves])
                        plots.append(Plot(
                            f"anomaly_{n + 1}", name, "",
                            tuple(Series(c.key, _points(c)) for c in curves),
                            float(xs.min()) - bucket_s, float(xs.max()) + bucket_s,
                        ))  # fmt: skip
                extra.append(
                    (QCoreApplication.translate("Report", "Rate-limit anomalies"), f"{len(seen):,}")
                )
        lost = QCoreApplication.translate(
            "Report", "the rejections over the window are not in this report"
        )
        if prometheus is None:
            gaps.unconfigured("Prometheus", lost)
        else:
            got = answers.pop(0)
            if isinstance(got, PrometheusError):
                gaps.prometheus(got, lost)
            elif isinstance(got, Exception):
                raise got
            else:
                plots.insert(0, self._plot(
                    "rejections", QCoreApplication.translate("Report", "Rejections per tier and endpoint"), QCoreApplication.translate("Report", "rejections/min"),
                    (Series(c.key, _points(c)) for c in got),
                ))  # fmt: skip
                verdicts.append(has_samples(plots[0]))
        section = Section(
            "anomalies", title, tuple(paragraphs), plots=tuple(plots), tables=tuple(tables),
            missing=tuple(gaps.items),
        )  # fmt: skip
        return section, _Extra(extra, any(verdicts) if verdicts else None)

    def _overlaps(self, first: float, last: float) -> bool:
        first = first or last
        last = last or first
        if not first:
            return True  # no times: held now, so seen in a window that ends now
        return first <= self.end and last >= self.start

    # alerts

    async def alerts(self) -> tuple[Section, _Extra]:
        gaps = _Gaps(self.sources)
        title = QCoreApplication.translate("Report", "Alerts")
        tables: list[Table] = []
        paragraphs: list[str] = []
        extra: list[tuple[str, str]] = []
        verdicts: list[bool] = []
        prometheus, alertmanager = self.sources.prometheus, self.sources.alertmanager
        jobs: list[Awaitable[Any]] = []
        if prometheus is not None:
            within = self._range(ALERTS_QUERY.format(step=f"{self.step:.0f}"))
            jobs.append(_all_of(within, self._range(FIRING_QUERY)))
        if alertmanager is not None:
            jobs.append(alertmanager.silences())
        answers = await _settle(*jobs)
        lost = QCoreApplication.translate(
            "Report", "the alerts fired in the window are not in this report"
        )
        if prometheus is None:
            gaps.unconfigured("Prometheus", lost)
        else:
            got = answers.pop(0)
            if isinstance(got, PrometheusError):
                gaps.prometheus(got, lost)
            elif isinstance(got, Exception):
                raise got
            else:
                rows = self._firing_rows(*got)
                tables.append(Table(
                    "alerts", QCoreApplication.translate("Report", "Alerts fired in the window"),
                    (Column(QCoreApplication.translate("Report", "Alert"), "text", "alert"),
                     Column(QCoreApplication.translate("Report", "Severity"), "text", "severity"),
                     Column(QCoreApplication.translate("Report", "Labels"), "text", "labels"),
                     Column(QCoreApplication.translate("Report", "Firing from"), "time", "from"),
                     Column(QCoreApplication.translate("Report", "Until"), "time", "until"),
                     Column(QCoreApplication.translate("Report", "Duration"), "duration", "duration")),
                    tuple(rows),
                    note=QCoreApplication.translate("Report", "From Prometheus' ALERTS series, read per step of {step} s: an "
                             "alert is listed if it fired at any moment of a step, and its start "
                             "and end are to within a step (the duration is at most that much "
                             "longer than it was). No end: still firing at the window's "
                             "end.").format(step=f"{self.step:g}"),
                    empty=QCoreApplication.translate("Report", "No alert fired in the window."),
                ))  # fmt: skip
                verdicts.append(bool(rows))
                extra.append(
                    (QCoreApplication.translate("Report", "Alerts fired"), f"{len(rows):,}")
                )
        lost = QCoreApplication.translate("Report", "the silences are not in this report")
        if alertmanager is None:
            gaps.unconfigured("Alertmanager", lost)
        else:
            got = answers.pop(0)
            if isinstance(got, AlertmanagerError):
                gaps.alertmanager(got, lost)
            elif isinstance(got, Exception):
                raise got
            else:
                rows = self._silence_rows(got)
                tables.append(Table(
                    "silences", QCoreApplication.translate("Report", "Silences in force in the window"),
                    (Column(QCoreApplication.translate("Report", "Matchers"), "text", "matchers"),
                     Column(QCoreApplication.translate("Report", "Created by"), "text", "created_by"),
                     Column(QCoreApplication.translate("Report", "Comment"), "text", "comment"),
                     Column(QCoreApplication.translate("Report", "Starts"), "time", "starts"), Column(QCoreApplication.translate("Report", "Ends"), "time", "ends"),
                     Column(QCoreApplication.translate("Report", "State now"), "text", "state")),
                    tuple(rows),
                    note=QCoreApplication.translate("Report", "As Alertmanager keeps them now (it forgets expired silences "
                             "after its retention time)."),
                    empty=QCoreApplication.translate("Report", "No silence was in force in the window."),
                ))  # fmt: skip
                verdicts.append(bool(rows))
        section = Section(
            "alerts", title, tuple(paragraphs), tables=tuple(tables), missing=tuple(gaps.items)
        )
        return section, _Extra(extra, any(verdicts) if verdicts else None)

    def _firing_rows(self, curves: list[Curve], instants: list[Curve]) -> list[tuple[Value, ...]]:
        """One row per run of steps an alert fired in; ``instants`` say which still fire at
        the end."""
        at_end = {
            _identity(c.labels) for c in instants
            if len(c.x) and c.x[-1] >= self._last_sample() and math.isfinite(c.y[-1])
        }  # fmt: skip
        rows: list[tuple[Value, ...]] = []
        for curve in curves:
            labels = curve.labels
            others = ", ".join(
                f"{k}={v}" for k, v in sorted(labels.items())
                if k not in ("__name__", "alertname", "alertstate", "severity")
            )  # fmt: skip
            for first, last in _runs(curve):
                # A sample says the alert fired at some moment of the step before it.
                started = max(self.start, first - self.step)
                still = last >= self._last_sample() and _identity(labels) in at_end
                ended = None if still else min(last, self.end)
                duration = (ended if ended is not None else self.end) - started
                rows.append((labels.get("alertname", "?"), labels.get("severity", ""), others,
                             started, ended, max(0.0, duration)))  # fmt: skip
        rows.sort(key=lambda r: (float(r[3] or 0), str(r[0])))
        return rows

    def _silence_rows(self, silences: list[dict[str, Any]]) -> list[tuple[Value, ...]]:
        rows: list[tuple[Value, ...]] = []
        for silence in silences:
            starts, ends = _epoch(silence.get("startsAt")), _epoch(silence.get("endsAt"))
            if starts is not None and starts > self.end or ends is not None and ends < self.start:
                continue
            matchers = ", ".join(_matcher_text(m) for m in silence.get("matchers") or [])
            state = (silence.get("status") or {}).get("state", "")
            rows.append((matchers, silence.get("createdBy", ""), silence.get("comment", ""),
                         starts, ends, state))  # fmt: skip
        rows.sort(key=lambda r: float(r[3] or 0))
        return rows

    # quotas

    async def quotas(self) -> tuple[Section, _Extra]:
        gaps = _Gaps(self.sources)
        title = QCoreApplication.translate("Report", "Quotas")
        backend, prometheus = self.sources.backend, self.sources.prometheus
        lost = QCoreApplication.translate("Report", "the quotas are not in this report")
        if backend is None:
            gaps.unconfigured(QCoreApplication.translate("Report", "backend"), lost)
            return Section("quotas", title, missing=tuple(gaps.items)), _Extra([])
        try:
            rows = await quotas(backend)
        except BackendError as exc:
            gaps.backend(exc, lost)
            return Section("quotas", title, missing=tuple(gaps.items)), _Extra([])
        saturation = {r.user: _share_f(r.used, r.limit) for r in rows}
        rows.sort(key=lambda r: (-(saturation[r.user] or 0.0), -r.used, r.user))
        table = Table(
            "quotas", QCoreApplication.translate("Report", "Quotas now"),
            (Column(QCoreApplication.translate("Report", "User"), "text", "user"), Column(QCoreApplication.translate("Report", "Used"), "int", "used"),
             Column(QCoreApplication.translate("Report", "Limit"), "int", "limit"),
             Column(QCoreApplication.translate("Report", "Saturation"), "percent", "saturation"),
             Column(QCoreApplication.translate("Report", "Drift"), "int", "drift")),
            tuple((r.user, r.used, r.limit, saturation[r.user], r.drift) for r in rows),
            note=QCoreApplication.translate("Report", "Users with a slot held or a limit of their own, as the backend counts "
                     "them at the report's making."),
            empty=QCoreApplication.translate("Report", "No user holds a slot or has a limit of their own."),
        )  # fmt: skip
        extra: list[tuple[str, str]] = []
        if rows:
            top = rows[0]
            extra.append((QCoreApplication.translate("Report", "Highest quota saturation"),
                          f"{top.user}: {_percent_text(saturation[top.user])}"))  # fmt: skip
        plots: list[Plot] = []
        paragraphs: list[str] = []
        trend_lost = QCoreApplication.translate(
            "Report", "the quota usage over the window is not in this report"
        )
        users = [r.user for r in rows[:QUOTA_TREND_USERS]]
        if prometheus is None:
            gaps.unconfigured("Prometheus", trend_lost)
        elif users:
            answers = await _settle(
                *(self._range(QUOTA_TREND.format(value=label_value(u))) for u in users)
            )
            series: list[Series] = []
            for user, answer in zip(users, answers, strict=True):
                if isinstance(answer, PrometheusError):
                    gaps.prometheus(answer, trend_lost)
                    continue
                if isinstance(answer, Exception):
                    raise answer
                series.extend(Series(user if not c.labels else c.key, _points(c)) for c in answer)
            if len(gaps.items) == 0 or series:
                plots.append(
                    self._plot(
                        "quota_used",
                        QCoreApplication.translate("Report", "Slots used, per user"),
                        "",
                        series,
                    )
                )
                paragraphs.append(QCoreApplication.translate("Report",
                    "The slots used over the window of the {n} most saturated users."
                ).format(n=len(users)) if series else QCoreApplication.translate("Report",
                    "Prometheus holds no samples of taskdeck_quota_used for these users in the "
                    "window."
                ))  # fmt: skip
        section = Section(
            "quotas", title, tuple(paragraphs), plots=tuple(plots), tables=(table,),
            missing=tuple(gaps.items),
        )  # fmt: skip
        return section, _Extra(extra, any(has_samples(p) for p in plots) if plots else None)

    # audit

    async def audit(self) -> tuple[Section, _Extra]:
        gaps = _Gaps(self.sources)
        title = QCoreApplication.translate("Report", "Audit log")
        backend = self.sources.backend
        lost = QCoreApplication.translate("Report", "the audit log is not in this report")
        if backend is None:
            gaps.unconfigured(QCoreApplication.translate("Report", "backend"), lost)
            return Section("audit", title, missing=tuple(gaps.items)), _Extra([])
        entries: list[AuditEntry] = []
        cursor: str | None = None
        more = False
        try:
            while True:
                limit = min(PAGE, AUDIT_MAX - len(entries))
                window = {"since": self.start, "until": self.end}
                page = await backend.audit(window, limit, cursor)
                entries.extend(page.items)
                cursor = page.next_cursor
                if cursor is None:
                    break
                if len(entries) >= AUDIT_MAX:
                    more = True
                    break
        except BackendError as exc:
            if not entries:
                gaps.backend(exc, lost)
                return Section("audit", title, missing=tuple(gaps.items)), _Extra([])
            gaps.backend(exc, QCoreApplication.translate("Report", "the audit entries older than those listed are not in "
                                  "this report"))  # fmt: skip
        rows = tuple(
            (e.at, e.user, e.role, e.action, _targets_text(e.targets), e.target_count, e.reason,
             e.status)
            for e in entries
        )  # fmt: skip
        note = (
            QCoreApplication.translate("Report", "The newest {n} entries of the window; there were more.").format(n=f"{len(rows):,}")
            if more else QCoreApplication.translate("Report", "{n} entries, newest first.").format(n=f"{len(rows):,}")
        )  # fmt: skip
        table = Table(
            "audit", QCoreApplication.translate("Report", "Audit log of the window"),
            (Column(QCoreApplication.translate("Report", "When"), "time", "at"), Column(QCoreApplication.translate("Report", "Who"), "text", "user"),
             Column(QCoreApplication.translate("Report", "Role"), "text", "role"), Column(QCoreApplication.translate("Report", "Action"), "text", "action"),
             Column(QCoreApplication.translate("Report", "Targets"), "text", "targets"),
             Column(QCoreApplication.translate("Report", "Target count"), "int", "target_count"),
             Column(QCoreApplication.translate("Report", "Reason"), "text", "reason"), Column(QCoreApplication.translate("Report", "Status"), "text", "status")),
            rows, note=note, empty=QCoreApplication.translate("Report", "No audit entry was made in the window."),
        )  # fmt: skip
        section = Section("audit", title, tables=(table,), missing=tuple(gaps.items))
        return section, _Extra(
            [(QCoreApplication.translate("Report", "Audit entries"), _count(len(rows), not more))],
            bool(rows),
        )


def _nothing(_task: TaskSummary) -> None:
    """What a count keeps of a task."""


def _state_and_queue(task: TaskSummary) -> tuple[str, str | None]:
    return task.state, task.queue


def _share_f(part: float | None, whole: float) -> float | None:
    return 100.0 * part / whole if part is not None and whole else None


def _overview_key(name: str, labels: dict[str, str]) -> str:
    """A series' name as the Overview's legend shows it."""
    query, legend = OVERVIEW_QUERIES[name]
    if legend and legend in labels:
        return labels[legend]
    if not labels and name in SINGLE_SERIES_NAMES:
        return SINGLE_SERIES_NAMES[name]
    return default_key(labels, query)


async def _all_of(*aws: Awaitable[T]) -> list[T]:
    """Every answer; the first error once all have ended (none left running behind)."""
    results = await _settle(*aws)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results  # type: ignore[return-value]


def _identity(labels: dict[str, str]) -> frozenset[tuple[str, str]]:
    """A series' labels without its name (an ``_over_time`` function drops the name)."""
    return frozenset((k, v) for k, v in labels.items() if k != "__name__")


def _by_time(curve: Curve | None) -> dict[float, float]:
    if curve is None:
        return {}
    return {float(x): float(y) for x, y in zip(curve.x, curve.y, strict=True)}


def _runs(curve: Curve) -> list[tuple[float, float]]:
    """The (first, last) sample times of each run of samples without a gap."""
    runs: list[tuple[float, float]] = []
    first: float | None = None
    last = 0.0
    for x, y in zip(curve.x, curve.y, strict=True):
        if math.isfinite(float(y)):
            if first is None:
                first = float(x)
            last = float(x)
        elif first is not None:
            runs.append((first, last))
            first = None
    if first is not None:
        runs.append((first, last))
    return runs


def _epoch(text: object) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _matcher_text(matcher: dict[str, Any]) -> str:
    equal = matcher.get("isEqual", True)
    regex = matcher.get("isRegex", False)
    op = ("=~" if regex else "=") if equal else ("!~" if regex else "!=")
    return f"{matcher.get('name', '')}{op}{matcher.get('value', '')}"


SECTION_TITLES = {
    "summary": QT_TRANSLATE_NOOP("Report", "Summary"),
    "trends": QT_TRANSLATE_NOOP("Report", "Trends"),
    "failures": QT_TRANSLATE_NOOP("Report", "Failures"),
    "anomalies": QT_TRANSLATE_NOOP("Report", "Rate-limit anomalies"),
    "alerts": QT_TRANSLATE_NOOP("Report", "Alerts"),
    "quotas": QT_TRANSLATE_NOOP("Report", "Quotas"),
    "audit": QT_TRANSLATE_NOOP("Report", "Audit log"),
}


async def collect_report(
    sources: ReportSources,
    window_start: float,
    window_end: float,
    sections: set[str] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> Report:
    """The report of ``sources``' environment over [window_start, window_end] (epoch
    seconds): the chosen ``sections`` (default all of SECTIONS), in that order.

    ``progress(fraction, what)`` is called as each section is done. A source that fails is
    said in ``missing``; cancellation cancels every request under way and propagates."""
    if not (math.isfinite(window_start) and math.isfinite(window_end)):
        raise ValueError("the window's start and end must be finite epoch seconds")
    if window_end <= window_start:
        raise ValueError(f"the window must end after it starts ({window_start} … {window_end})")
    chosen = set(SECTIONS) if sections is None else set(sections)
    unknown = chosen - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    keys = [k for k in SECTIONS if k in chosen]
    collector = _Collector(sources, window_start, window_end)
    done = 0
    if progress is not None:
        progress(0.0, QCoreApplication.translate("Report", "Collecting the report"))

    async def one(key: str) -> tuple[Section, _Extra]:
        nonlocal done
        make: Callable[[], Coroutine[Any, Any, tuple[Section, _Extra]]] = getattr(collector, key)
        try:
            result = await make()
        except Exception as exc:  # noqa: BLE001 - one section's fault leaves the others
            log.exception("report section %s failed", key)
            problem = QCoreApplication.translate(
                "Report", "the {section} could not be collected: {error}"
            ).format(
                section=QCoreApplication.translate("Report", SECTION_TITLES[key]),
                error=f"{type(exc).__name__}: {exc}",
            )
            result = Section(key, QCoreApplication.translate("Report", SECTION_TITLES[key]), missing=(problem[:1].upper()
                                                                       + problem[1:],)), _Extra([])  # fmt: skip
        done += 1
        if progress is not None:
            progress(done / len(keys), result[0].title)
        return result

    async with asyncio.TaskGroup() as group:
        tasks = {key: group.create_task(one(key)) for key in keys}
    made = {key: task.result() for key, task in tasks.items()}
    ordered: list[Section] = []
    for key in keys:
        section, _extra = made[key]
        if key == "summary":
            more = [f for k in keys if k != "summary" for f in made[k][1].figures]
            section = replace(section, figures=section.figures + tuple(more))
        ordered.append(section)
    verdicts = [made[key][1].has_data for key in keys if made[key][1].has_data is not None]
    empty = ""
    if verdicts and not any(verdicts):
        empty = QCoreApplication.translate("Report", "The window holds no data: no task was created or ended in it, and it "
                    "holds no sample, failure, alert or audit entry.")  # fmt: skip
    missing: list[str] = []
    for section in ordered:
        for sentence in section.missing:
            if sentence not in missing:
                missing.append(sentence)
    urls = [
        f"{name} {_url(client)}"
        for name, client in (("backend", sources.backend), ("Prometheus", sources.prometheus),
                             ("Alertmanager", sources.alertmanager))
        if client is not None
    ]  # fmt: skip
    return Report(
        environment=sources.environment,
        window_start=window_start,
        window_end=window_end,
        time_zone=zone_text(window_end),
        generated_at=time.time(),
        title=QCoreApplication.translate("Report", "TaskDeck report: {environment}").format(
            environment=sources.environment
        ),
        sections=tuple(ordered),
        source=", ".join(urls),
        missing=tuple(missing),
        empty=empty,
    )
