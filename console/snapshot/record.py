"""Take a snapshot: read what every page reads, through the console's own clients, and
file each answer where the stand-ins of :mod:`console.snapshot.replay` will find it.

The clients are wrapped, not copied: a page's request and the snapshot's go through the
same code, so the snapshot holds the answers the pages would have shown. The report's
content over the snapshot's window is collected through the same wrappers, so a report
made from the snapshot later has what a report made now would have. A source that fails
leaves its part out and says so in ``missing``; cancelling cancels every request.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from pydantic import TypeAdapter

from console.controllers.live_controller import QUEUE_STATS
from console.controllers.queue_messages_controller import PAGE_SIZE as MESSAGES_PAGE
from console.controllers.quotas_controller import QUOTA_TREND
from console.controllers.ratelimits_controller import (
    EVENTS_LIMIT,
    REJECTIONS_QUERY,
    STATS_WINDOW,
    TREND_WINDOW_S,
)
from console.controllers.reports_controller import WINDOWS as REPORT_WINDOWS
from console.controllers.tasks_controller import GROUP_BUCKETS, GROUPS_DEFAULT_WINDOW_S
from console.controllers.trend_controller import (
    QUEUE_TREND,
    WINDOW_S,
    WORKER_TREND,
    label_value,
)
from console.domain.clock import now as clock_now
from console.domain.live import FAILED_WINDOW_S
from console.domain.series import WINDOWS
from console.domain.series import Series as Curve
from console.reports.collect import ReportSources, collect_report
from console.services import quotas_client, ratelimits_client
from console.services.alertmanager_client import AlertmanagerClient, AlertmanagerError
from console.services.backend_client import BackendClient, BackendError
from console.services.broker_reader import BrokerReader
from console.services.prometheus_reader import OVERVIEW_QUERIES, MetricsSource, PrometheusError
from console.snapshot.file import Snapshot, range_key, request_key
from taskdeck_core.urls import redact_url
from taskdeck_core.version import version

log = logging.getLogger(__name__)
T = TypeVar("T")

TASKS_PATH = "/api/v1/tasks"
AUDIT_PATH = "/api/v1/audit"
GROUP_IDS = "#group/"  # backend key prefix: the ids of one failure group's tasks
DEFAULT_WINDOW_S = 86400.0
REPORT_WINDOWS_S = tuple(length for _key, length, _label in REPORT_WINDOWS)
TASKS_SAVED = 5000  # the newest tasks, whatever their state
FAILURES_SAVED = 2000  # the newest failures, besides
AUDIT_SAVED = 5000
DETAILS_SAVED = 200  # tasks saved in full (the newest, and each failure group's sample)
GROUPS_SAVED = 30
QUEUES_SAVED = 100
MESSAGES_SAVED = 5 * MESSAGES_PAGE  # the first pages of each queue's waiting list
WORKERS_SAVED = 100
USERS_SAVED = 200
PARALLEL = 8  # requests under way at once


def curve_json(curve: Curve) -> dict[str, Any]:
    return {
        "key": curve.key, "labels": curve.labels, "x": [float(v) for v in curve.x],
        "y": [float(v) if math.isfinite(v) else None for v in curve.y],
    }  # fmt: skip


class RecordingBackend(BackendClient):
    """The backend's client, filing the answer of every GET in ``snapshot``. It sends
    nothing that changes anything (taking a snapshot is a reading)."""

    def __init__(self, inner: BackendClient, snapshot: Snapshot) -> None:  # noqa: D107
        # No HTTP client of its own: every request goes through ``inner``.
        self.url = inner.url
        self._inner = inner
        self._snapshot = snapshot

    async def aclose(self) -> None:
        return None  # ``inner`` belongs to whoever made it

    async def call(self, model: TypeAdapter[T], method: str, path: str, **kwargs: Any) -> T:
        if method != "GET":
            raise BackendError(None, "read_only", "taking a snapshot changes nothing")
        answer = await self._inner.call(model, method, path, **kwargs)
        data = model.dump_python(answer, mode="json")
        params: Mapping[str, Any] = kwargs.get("params") or {}
        if path == TASKS_PATH:
            for item in data["items"]:
                self._snapshot.tasks[item["task_id"]] = item
            if "group" in params:
                ids = self._snapshot.backend.setdefault(GROUP_IDS + str(params["group"]), [])
                ids.extend(i["task_id"] for i in data["items"] if i["task_id"] not in ids)
        elif path == AUDIT_PATH:
            for item in data["items"]:
                self._snapshot.audit[str(item["id"])] = item
        else:
            self._snapshot.backend[request_key(path, params)] = data
        return answer


class RecordingMetrics:
    """A MetricsSource filing every answer in ``snapshot``."""

    def __init__(self, inner: MetricsSource, snapshot: Snapshot) -> None:
        self._inner = inner
        self._snapshot = snapshot
        self.url = getattr(inner, "url", "")

    async def ready(self) -> bool:
        return await self._inner.ready()

    async def instant(self, query: str) -> list[tuple[dict[str, str], float]]:
        rows = await self._inner.instant(query)
        self._snapshot.instant[query] = [
            [labels, value if math.isfinite(value) else None] for labels, value in rows
        ]
        return rows

    async def range(
        self, query: str, window_s: float, end: float | None = None, max_points: int = 1000,
        legend: str | None = None,
    ) -> list[Curve]:  # fmt: skip
        at = clock_now() if end is None else end
        curves = await self._inner.range(query, window_s, at, max_points, legend)
        answers = self._snapshot.ranges.setdefault(range_key(query, legend), [])
        answers[:] = [a for a in answers if (a["window_s"], a["end"]) != (window_s, at)]
        answers.append({"window_s": window_s, "end": at,
                        "series": [curve_json(c) for c in curves]})  # fmt: skip
        return curves

    def close(self) -> None:
        return None  # ``inner`` belongs to whoever made it


class RecordingAlertmanager(AlertmanagerClient):
    """Alertmanager's client, filing every answer in ``snapshot``."""

    def __init__(self, inner: AlertmanagerClient, snapshot: Snapshot) -> None:  # noqa: D107
        self.url = inner.url
        self.timeout_s = inner.timeout_s
        self._inner = inner
        self._snapshot = snapshot

    async def aclose(self) -> None:
        return None

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        data = await self._inner._get(path, params)  # noqa: SLF001 - the same reading
        self._snapshot.alertmanager[request_key(path, params)] = data
        return data


class _Reads:
    """Requests under way, at most PARALLEL at once; each failure said once, in words."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._gate = asyncio.Semaphore(PARALLEL)

    async def one(self, what: str, read: Callable[[], Awaitable[T]]) -> T | None:
        async with self._gate:
            try:
                return await read()
            except BackendError as exc:
                self.miss(f"{what}: {exc.detail}")
            except (PrometheusError, AlertmanagerError) as exc:
                self.miss(f"{what}: {exc}")
            except OSError as exc:  # the broker (redis) and the like
                self.miss(f"{what}: {type(exc).__name__}: {exc}")
            return None

    def miss(self, sentence: str) -> None:
        if sentence not in self.snapshot.missing:
            self.snapshot.missing.append(sentence)

    async def all(self, reads: list[tuple[str, Callable[[], Awaitable[Any]]]]) -> list[Any]:
        return list(await asyncio.gather(*(self.one(what, read) for what, read in reads)))


async def _pages(
    reads: _Reads, what: str, path_read: Callable[..., Awaitable[Any]], filters: dict[str, Any],
    most: int,
) -> list[Any]:  # fmt: skip
    """Up to ``most`` items of a cursor-paged list, newest first."""
    items: list[Any] = []
    cursor: str | None = None
    while len(items) < most:
        page = await reads.one(what, partial(path_read, filters, min(1000, most), cursor))
        if page is None:
            break
        items.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    return items


async def _backend_pages(reads: _Reads, backend: BackendClient, taken_at: float) -> None:
    """What the Queues, Workers, Tasks, Quotas, Rate limits and Audit pages read."""
    b = backend
    answers = await reads.all([
        ("who is signed in", b.me), ("the watched system", b.environment),
        ("queues", b.queues), ("workers", b.workers),
        ("finished tasks", lambda: b.task_stats(FAILED_WINDOW_S)),
        ("quotas", lambda: quotas_client.quotas(b)),
        ("the default quota", lambda: quotas_client.quota_default(b)),
        ("tasks holding quota slots", lambda: quotas_client.open_tasks(b)),
        ("rate-limit anomalies", lambda: ratelimits_client.anomalies(b)),
        ("rate-limit rejections", lambda: ratelimits_client.events(b, EVENTS_LIMIT)),
        ("rate-limit statistics", lambda: ratelimits_client.stats(b, STATS_WINDOW)),
        ("rate-limit tiers", lambda: ratelimits_client.config(b)),
        ("bulk jobs", lambda: b.bulk_jobs(limit=20, mine=True)),
        ("failure groups", lambda: b.failure_groups(
            taken_at - GROUPS_DEFAULT_WINDOW_S, None, GROUP_BUCKETS)),
    ])  # fmt: skip
    queues, workers, groups = answers[2] or [], answers[3] or [], answers[-1] or []
    newest, _failed, _audit = await asyncio.gather(  # the rest filed by the recorder
        _pages(reads, "tasks", b.tasks, {}, TASKS_SAVED),
        _pages(reads, "failed tasks", b.tasks, {"state": "FAILURE"}, FAILURES_SAVED),
        _pages(reads, "the audit log", b.audit, {}, AUDIT_SAVED),
    )
    details = [t.task_id for t in newest[: DETAILS_SAVED // 2]]
    for group in groups[:GROUPS_SAVED]:
        details.extend(group.sample_ids[:1])
    reads_more: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
    for group in groups[:GROUPS_SAVED]:
        reads_more.append((f"the tasks of failure group {group.signature}",
                           partial(b.tasks, {"group": group.signature}, limit=200)))  # fmt: skip
    for task_id in dict.fromkeys(details):
        reads_more.append((f"task {task_id}", partial(b.task, task_id)))
        reads_more.append((f"the audit of task {task_id}",
                           partial(b.audit, {"task_id": task_id}, limit=50)))  # fmt: skip
    for worker in workers[:WORKERS_SAVED]:
        reads_more.append((f"worker {worker.hostname}",
                           partial(b.worker_detail, worker.hostname)))  # fmt: skip
    saved = {k.partition("?")[0] for k in reads.snapshot.backend}
    unsaved = [q.name for q in queues[:QUEUES_SAVED] if messages_path(q.name) not in saved]
    await asyncio.gather(reads.all(reads_more), _waiting(reads, b, unsaved))


def messages_path(queue: str) -> str:
    return f"/api/v1/queues/{queue}/messages"


async def _waiting(reads: _Reads, backend: BackendClient | None, queues: list[str]) -> None:
    """The first pages of each queue's waiting messages (MESSAGES_SAVED at most)."""
    if backend is None:
        return

    async def one(queue: str) -> None:
        for offset in range(0, MESSAGES_SAVED, MESSAGES_PAGE):
            page = await reads.one(f"the waiting messages of {queue}",
                                   partial(backend.queue_messages, queue, offset, MESSAGES_PAGE))  # fmt: skip
            if page is None or offset + MESSAGES_PAGE >= page.total:
                break

    await asyncio.gather(*(one(q) for q in queues[:QUEUES_SAVED]))


async def _trends(reads: _Reads, prometheus: MetricsSource, snapshot: Snapshot) -> None:
    """The Overview's plots at each of its windows, its live edge, the queue figures, the
    rejections, and the trend of each queue, worker and quota user."""
    p = prometheus
    todo: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
    for window in WINDOWS:
        for query, legend in OVERVIEW_QUERIES.values():
            todo.append((f"the trend {query}",
                         partial(p.range, query, window.seconds, legend=legend)))  # fmt: skip
    for query, _legend in OVERVIEW_QUERIES.values():
        todo.append((f"the value of {query}", partial(p.instant, query)))
    for query in QUEUE_STATS.values():
        todo.append((f"the value of {query}", partial(p.instant, query)))
    todo.append(("rate-limit rejections",
                 lambda: p.range(REJECTIONS_QUERY, TREND_WINDOW_S, legend="series")))  # fmt: skip
    names: list[tuple[str, str]] = []
    queues = snapshot.backend.get(request_key("/api/v1/queues")) or []
    names += [(QUEUE_TREND, q["name"]) for q in queues[:QUEUES_SAVED]]
    workers = snapshot.backend.get(request_key("/api/v1/workers")) or []
    names += [(WORKER_TREND, w["hostname"]) for w in workers[:WORKERS_SAVED]]
    rows = snapshot.backend.get(request_key(quotas_client.QUOTAS_PATH)) or []
    names += [(QUOTA_TREND, r["user"]) for r in rows[:USERS_SAVED]]
    for template, value in names:
        query = template.format(value=label_value(value))
        todo.append((f"the trend of {value}", partial(p.range, query, WINDOW_S)))
    await reads.all(todo)


async def take_snapshot(
    sources: ReportSources,
    broker: BrokerReader | None,
    window_s: float = DEFAULT_WINDOW_S,
    progress: Callable[[float, str], None] | None = None,
) -> Snapshot:
    """``sources``' environment now: every page's data, the trends, and the report's
    content over the last ``window_s`` seconds."""
    if not (math.isfinite(window_s) and window_s > 0):
        raise ValueError("the snapshot's window must be a positive number of seconds")
    taken_at = time.time()
    urls = {
        "backend": getattr(sources.backend, "url", ""),
        "prometheus": getattr(sources.prometheus, "url", ""),
        "alertmanager": getattr(sources.alertmanager, "url", ""),
        "broker": broker.url if broker is not None else "",
    }
    snapshot = Snapshot(
        environment=sources.environment, taken_at=taken_at, window_s=window_s,
        sources={k: redact_url(v) for k, v in urls.items() if v},
        written_by=f"TaskDeck console {version()}",
    )  # fmt: skip
    reads = _Reads(snapshot)
    backend = RecordingBackend(sources.backend, snapshot) if sources.backend else None
    prometheus = RecordingMetrics(sources.prometheus, snapshot) if sources.prometheus else None
    alertmanager = (RecordingAlertmanager(sources.alertmanager, snapshot)
                    if sources.alertmanager else None)  # fmt: skip

    def say(fraction: float, what: str) -> None:
        if progress is not None:
            progress(fraction, what)

    say(0.0, "the broker")
    if broker is not None:
        info = await reads.one("the broker's queues", broker.discover)
        # The depths and the waiting lists at the same moment, as near as can be.
        depths, _lists = await asyncio.gather(
            reads.one("the broker's depths", broker.depths),
            _waiting(reads, backend, info.queues if info is not None else []),
        )
        if info is not None:
            snapshot.broker["info"] = info.model_dump(mode="json")
        if depths is not None:
            snapshot.broker["depths"] = {
                q: {str(p): n for p, n in steps.items()} for q, steps in depths.items()
            }
    say(0.1, "the pages")
    if backend is not None:
        await _backend_pages(reads, backend, taken_at)
    if alertmanager is not None:
        await reads.all([("firing alerts", alertmanager.firing),
                         ("alert groups", alertmanager.groups),
                         ("silences", alertmanager.silences)])  # fmt: skip
    say(0.4, "the trends")
    if prometheus is not None:
        await _trends(reads, prometheus, snapshot)
    # The report's content over each of the Reports page's windows that the snapshot's
    # covers (their queries depend on the window's length), ending when it was taken.
    recorded = ReportSources(sources.environment, backend, prometheus, alertmanager)
    spans = sorted({s for s in REPORT_WINDOWS_S if s <= window_s} | {window_s})
    for n, span in enumerate(spans):

        def report_progress(fraction: float, what: str, n: int = n) -> None:
            say(0.6 + 0.4 * (n + fraction) / len(spans), what)

        report = await collect_report(recorded, taken_at - span, taken_at,
                                      progress=report_progress)  # fmt: skip
        for sentence in report.missing:
            reads.miss(sentence)
    say(1.0, "done")
    return snapshot
