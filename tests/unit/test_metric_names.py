"""docs/metrics.md, the exporter and the alert rules name the same metrics."""

from __future__ import annotations

import re

from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from backend.metrics import TASK_COUNTERS, Metrics, Snapshot
from backend.monitoring import MONITORING_DIR
from tests.helpers import DocumentedMetric, documented_metrics


def exported(registry: CollectorRegistry) -> dict[str, DocumentedMetric]:
    """Every family the registry serves, named as in the docs (counters with ``_total``)."""
    out = {}
    for family in registry.collect():
        name = family.name + ("_total" if family.type == "counter" else "")
        labels = {k for s in family.samples for k in s.labels if k != "le"}
        out[name] = DocumentedMetric(name, family.type, frozenset(labels))
    return out


def busy_metrics() -> Metrics:
    """An exporter with a sample in every family, so each shows its labels."""
    metrics = Metrics()
    for counter in metrics.task_counters.values():
        counter.labels("data_sync.sync_single_file", "w1@host", "data_sync").inc()
    metrics.runtime.labels("data_sync.sync_single_file", "data_sync").observe(1.5)
    metrics.rejections.labels("normal", "data_sync").inc()
    metrics.tasks_lost.inc()
    metrics.gauges.snapshot = Snapshot(
        broker_up=True, workers=[("w1@host", True, 1)], queues=[("data_sync", 5, 3)],
        quotas=[("alice", 2, 10)], anomalies={"ip_many_users": 1}, broker_aof=True,
    )  # fmt: skip
    return metrics


def test_the_docs_list_exactly_what_the_exporter_serves() -> None:
    documented = {m.name: m for m in documented_metrics()}
    served = exported(busy_metrics().registry)
    assert sorted(documented) == sorted(served)
    for name, metric in served.items():
        assert documented[name] == metric, f"{name}: docs say {documented[name]}, served {metric}"
    assert len(TASK_COUNTERS) == 8 and len(documented) == 21


def test_every_metric_the_rules_use_is_documented() -> None:
    documented = {m.name.removesuffix("_total") for m in documented_metrics()}
    rules = "".join(
        p.read_text() for p in sorted((MONITORING_DIR / "prometheus" / "rules").glob("*.yml"))
    )
    used = set(re.findall(r"\b((?:celery|taskdeck)_[a-z_]+)\b", rules))
    base = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in used}
    assert "celery_task_failed" in base and "celery_queue_length" in base
    assert base <= documented, base - documented


def test_a_scrape_writes_what_prometheus_client_would() -> None:
    """The exporter writes its gauges itself (fast, few objects): byte for byte what
    generate_latest writes of the same registry, label values that need escaping included."""
    metrics = busy_metrics()
    odd = 'w"1\\x\nbad@host'
    snap = Snapshot(
        broker_up=True,
        workers=[("w1@host", True, 1), (odd, False, 0), ("ü@höst", True, 12_345_678)],
        queues=[("data_sync", 5, 3), ("data_sync", 10, 0), ('q"\\\n', 1, 2)],
        quotas=[("alice", 2, 10), ("bob", 0, 2_000_000), (odd, 1, 1)],
        anomalies={"ip_many_users": 1, "key_rejections": 3}, broker_aof=False,
    )  # fmt: skip
    written = metrics.exposition(snap).decode()
    assert written == generate_latest(metrics.registry).decode()
    assert 'celery_queue_length{priority="10",queue_name="data_sync"} 0.0' in written
    assert 'taskdeck_quota_limit{user="bob"} 2e+06' in written
    empty = Metrics()
    assert empty.exposition(Snapshot()) == generate_latest(empty.registry)
    assert "taskdeck_broker_aof_enabled 0" not in empty.exposition(Snapshot()).decode()
