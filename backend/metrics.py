"""The Prometheus exporter. Every name here is listed in docs/metrics.md.

Task counters and the runtime histogram follow the lifecycle records the
backend ingests (or Celery events where the integration is absent). Gauges
(workers, queue lengths, quotas, anomalies, broker) are read when Prometheus
scrapes. Labels are a small fixed set: no task ids, no free text.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from backend.services.ledger_rows import TaskLabels
from taskdeck_core import lifecycle as lc

TASK_COUNTERS = {
    lc.PUBLISHED: ("celery_task_sent_total", "Tasks published"),
    lc.RECEIVED: ("celery_task_received_total", "Tasks received by a worker"),
    lc.STARTED: ("celery_task_started_total", "Tasks started"),
    lc.SUCCEEDED: ("celery_task_succeeded_total", "Tasks that succeeded"),
    lc.FAILED: ("celery_task_failed_total", "Tasks that failed"),
    lc.REJECTED: ("celery_task_rejected_total", "Tasks rejected by a worker"),
    lc.REVOKED: ("celery_task_revoked_total", "Tasks revoked (cancelled)"),
    lc.RETRIED: ("celery_task_retried_total", "Task retries scheduled by Celery"),
}
RUNTIME_BUCKETS = (
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
)


@dataclass
class Snapshot:
    """What the gauges show, gathered at scrape time."""

    broker_up: bool = False
    workers: list[tuple[str, bool, int]] = field(default_factory=list)  # hostname, up, active
    queues: list[tuple[str, int, int]] = field(default_factory=list)  # queue, user priority, length
    quotas: list[tuple[str, int, int]] = field(default_factory=list)  # user, used, limit
    anomalies: dict[str, int] = field(default_factory=dict)  # kind -> active count
    broker_aof: bool | None = None  # the broker's AOF as last seen (None: not seen yet)


# The gauges read at scrape time: name -> (help, label names).
GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "taskdeck_broker_up": ("1 if the broker answered at the last scrape", ()),
    "celery_worker_up": ("1 while a worker sends heartbeats", ("hostname",)),
    "celery_worker_tasks_active": ("Tasks a worker is running", ("hostname",)),
    "celery_active_worker_count": ("Workers sending heartbeats", ()),
    "celery_queue_length": (
        "Messages waiting, per queue and user priority (10 highest)",
        ("queue_name", "priority"),
    ),
    "taskdeck_quota_used": ("Tasks queued or running per user", ("user",)),
    "taskdeck_quota_limit": ("Quota per user", ("user",)),
    "taskdeck_ratelimit_anomalies": ("Active rate-limit anomalies", ("kind",)),
    "taskdeck_broker_aof_enabled": (
        "1 if the broker writes every change to its append-only file (AOF), 0 if a crash "
        "loses what it wrote since its last snapshot",
        (),
    ),
}
ANOMALY_KINDS = ("key_rejections", "endpoint_rejection_share", "ip_many_users")


def _escape_value(value: str) -> str:
    """A label value as the text format writes it (as prometheus_client does)."""
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


def _head(name: str) -> str:
    doc = GAUGES[name][0].replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {name} {doc}\n# TYPE {name} gauge\n"


def render_gauges(s: Snapshot) -> str:
    """The gauges of ``s`` in the Prometheus text format, exactly as ``generate_latest``
    writes them from ``_Gauges`` (labels sorted by name, values as Go floats), without a
    sample object per series: a scrape of thousands of series keeps no objects alive but
    strings, so it neither spends its time in prometheus_client nor drives the garbage
    collector into full collections of the backend's heap (50-150 ms each)."""
    go = floatToGoString
    esc = _escape_value
    out = [_head("taskdeck_broker_up"), f"taskdeck_broker_up {go(int(s.broker_up))}\n"]
    out.append(_head("celery_worker_up"))
    out.extend(f'celery_worker_up{{hostname="{esc(h)}"}} {go(int(up))}\n' for h, up, _ in s.workers)
    out.append(_head("celery_worker_tasks_active"))
    out.extend(
        f'celery_worker_tasks_active{{hostname="{esc(h)}"}} {go(n)}\n' for h, _, n in s.workers
    )
    out.append(_head("celery_active_worker_count"))
    out.append(f"celery_active_worker_count {go(sum(1 for w in s.workers if w[1]))}\n")
    out.append(_head("celery_queue_length"))
    out.extend(
        f'celery_queue_length{{priority="{p}",queue_name="{esc(q)}"}} {go(n)}\n'
        for q, p, n in s.queues
    )
    out.append(_head("taskdeck_quota_used"))
    out.extend(f'taskdeck_quota_used{{user="{esc(u)}"}} {go(n)}\n' for u, n, _ in s.quotas)
    out.append(_head("taskdeck_quota_limit"))
    out.extend(f'taskdeck_quota_limit{{user="{esc(u)}"}} {go(lim)}\n' for u, _, lim in s.quotas)
    out.append(_head("taskdeck_ratelimit_anomalies"))
    out.extend(
        f'taskdeck_ratelimit_anomalies{{kind="{k}"}} {go(s.anomalies.get(k, 0))}\n'
        for k in ANOMALY_KINDS
    )
    out.append(_head("taskdeck_broker_aof_enabled"))
    if s.broker_aof is not None:
        out.append(f"taskdeck_broker_aof_enabled {go(int(s.broker_aof))}\n")
    return "".join(out)


class _Gauges(Collector):
    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def collect(self) -> Iterable[GaugeMetricFamily]:
        s = self.snapshot

        def family(name: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, GAUGES[name][0], labels=list(GAUGES[name][1]))

        yield GaugeMetricFamily(
            "taskdeck_broker_up", GAUGES["taskdeck_broker_up"][0], value=int(s.broker_up)
        )
        up = family("celery_worker_up")
        active = family("celery_worker_tasks_active")
        for hostname, is_up, running in s.workers:
            up.add_metric([hostname], int(is_up))
            active.add_metric([hostname], running)
        yield up
        yield active
        yield GaugeMetricFamily(
            "celery_active_worker_count", GAUGES["celery_active_worker_count"][0],
            value=sum(1 for w in s.workers if w[1]),
        )  # fmt: skip
        length = family("celery_queue_length")
        for queue, priority, n in s.queues:
            length.add_metric([queue, str(priority)], n)
        yield length
        used = family("taskdeck_quota_used")
        limit = family("taskdeck_quota_limit")
        for user, n_used, n_limit in s.quotas:
            used.add_metric([user], n_used)
            limit.add_metric([user], n_limit)
        yield used
        yield limit
        anomalies = family("taskdeck_ratelimit_anomalies")
        for kind in ANOMALY_KINDS:
            anomalies.add_metric([kind], s.anomalies.get(kind, 0))
        yield anomalies
        aof = family("taskdeck_broker_aof_enabled")
        if s.broker_aof is not None:
            aof.add_metric([], int(s.broker_aof))
        yield aof


class _Instruments(Collector):
    """The registry's counters and histogram, in the order registered (all but the gauges)."""

    def __init__(self, collectors: list[Collector]) -> None:
        self.collectors = collectors

    def collect(self) -> Iterable[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


_NO_LABELS = TaskLabels("", "", "")

# What a batch of records adds to the task metrics: records per (type, name, hostname,
# queue), and the runtimes of finished tasks per (name, queue).
Tally = tuple[dict[tuple[str, str, str, str], int], dict[tuple[str, str], list[float]]]


def tally(records: list[lc.LifecycleRecord], labels: Mapping[str, TaskLabels]) -> Tally:
    """Count ``records``; ``labels`` gives each task's name, queue and hostname. A
    "published" record rebuilt from the result backend is no publish: not counted."""
    counts: collections.Counter[tuple[str, str, str, str]] = collections.Counter()
    runtimes: dict[tuple[str, str], list[float]] = {}
    for rec in records:
        if rec.type == lc.PUBLISHED and rec.data.get(lc.REBUILT):
            continue
        name, queue, hostname = labels.get(rec.task_id, _NO_LABELS)
        hostname = str(rec.data.get("hostname") or hostname or "")
        counts[(rec.type, name or "unknown", hostname, queue or "")] += 1
        runtime = rec.data.get("runtime")
        if rec.type in (lc.SUCCEEDED, lc.FAILED) and isinstance(runtime, int | float):
            runtimes.setdefault((name or "unknown", queue or ""), []).append(float(runtime))
    return dict(counts), runtimes


class Metrics:
    """One registry per app, so several apps (tests) never share state."""

    def __init__(self) -> None:
        disable_created_metrics()  # no *_created series: they double the series count for nothing
        self.registry = CollectorRegistry()
        labels = ["name", "hostname", "queue_name"]
        self.task_counters = {
            kind: Counter(name.removesuffix("_total"), text, labels, registry=self.registry)
            for kind, (name, text) in TASK_COUNTERS.items()
        }
        self.runtime = Histogram(
            "celery_task_runtime", "Task runtime in seconds", ["name", "queue_name"],
            buckets=RUNTIME_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.rejections = Counter(
            "taskdeck_ratelimit_rejections", "Requests refused by a rate limit",
            ["tier", "endpoint"], registry=self.registry,
        )  # fmt: skip
        self.tasks_lost = Counter(
            "taskdeck_tasks_lost", "Accepted tasks found lost by the broker (marked lost in "
            "the ledger) since the backend started", registry=self.registry,
        )  # fmt: skip
        self.events_dropped = Counter(
            "taskdeck_ledger_events_dropped", "Celery task events dropped because the events "
            "fallback's buffer was full (the ledger misses them) since the backend started",
            registry=self.registry,
        )  # fmt: skip
        self.instruments = _Instruments([
            *self.task_counters.values(), self.runtime, self.rejections, self.tasks_lost,
            self.events_dropped,
        ])  # fmt: skip
        self.gauges = _Gauges()
        self.registry.register(self.gauges)

    def exposition(self, snapshot: Snapshot) -> bytes:
        """What ``generate_latest(self.registry)`` writes with ``snapshot`` in the gauges,
        the gauges rendered by ``render_gauges`` (the registry's collect order: the
        instruments, then the gauges)."""
        self.gauges.snapshot = snapshot
        return generate_latest(self.instruments) + render_gauges(snapshot).encode()

    def start_rejections(self, tiers: Mapping[str, Mapping[str, int]]) -> None:
        """Every tier and endpoint's rejection counter, at 0 from the start: Prometheus
        then sees a first burst of rejections as an increase, where a series born at its
        first rejection would start at that count and show no increase at all."""
        for tier, endpoints in tiers.items():
            for endpoint in endpoints:
                self.rejections.labels(tier, endpoint)

    def observe(self, records: list[lc.LifecycleRecord], labels: Mapping[str, TaskLabels]) -> None:
        """Count ``records``; ``labels`` gives each task's name, queue and hostname."""
        self.add(tally(records, labels))

    def add(self, counted: Tally) -> None:
        """Add what ``tally`` counted (here, or in an ingest helper process)."""
        counts, runtimes = counted
        # One increment per series and batch: a batch holds thousands of records of a few.
        for (kind, name, hostname, queue), n in counts.items():
            self.task_counters[kind].labels(name, hostname, queue).inc(n)
        for key, values in runtimes.items():
            series = self.runtime.labels(*key)  # looked up once per batch
            for value in values:
                series.observe(value)
