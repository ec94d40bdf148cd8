"""Alerts end to end: real workers, backend, Prometheus and Alertmanager, shortened rules."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from taskdeck_dev.stack import (
    running_alertmanager,
    running_backend,
    running_prometheus,
    running_redis,
    start_worker,
)
from tests.conftest import FAST_WORKLOAD, ROOMY
from tests.helpers import api, documented_metrics, wait_for

pytestmark = pytest.mark.integration

RULES_FACTOR = 0.05  # CeleryWorkerDown after 6 s, failure rate over 15 s for 15 s
WORKER = "alertworker"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    run_dir = tmp_path_factory.mktemp("alerts")
    with contextlib.ExitStack() as started:  # stopped in reverse order
        redis_server = started.enter_context(running_redis(run_dir))
        backend = started.enter_context(running_backend(
            run_dir, redis_server.url, {**ROOMY, "TASKDECK_WORKER_TIMEOUT_S": "3",
            # Shown before any worker has bound them.
            "TASKDECK_QUEUES": "data_sync,scheduled,default"}))  # fmt: skip
        alertmanager = started.enter_context(running_alertmanager(run_dir, group_wait="1s"))
        prometheus = started.enter_context(running_prometheus(
            run_dir, backend, alertmanager, interval="1s", rules_factor=RULES_FACTOR))  # fmt: skip
        yield {
            "run_dir": run_dir,
            "broker": redis_server.url,
            "backend": backend,
            "alertmanager": alertmanager.url,
            "prometheus": prometheus.url,
        }


def active_alerts(am: str, name: str) -> list[dict[str, Any]]:
    alerts = httpx.get(f"{am}/api/v2/alerts", timeout=5).json()
    return [
        a
        for a in alerts
        if a["labels"].get("alertname") == name and a["status"]["state"] == "active"
    ]


def prom_value(prom: str, query: str) -> float | None:
    result = httpx.get(f"{prom}/api/v1/query", params={"query": query}, timeout=5).json()["data"][
        "result"
    ]
    return float(result[0]["value"][1]) if result else None


def test_worker_down_fires_in_alertmanager_and_resolves_when_it_returns(
    stack: dict[str, Any],
) -> None:
    worker = start_worker(
        stack["run_dir"], stack["broker"], WORKER, concurrency=1, env=FAST_WORKLOAD
    )
    try:
        up = f'celery_worker_up{{hostname="{WORKER}@taskdeck"}}'
        wait_for(
            lambda: prom_value(stack["prometheus"], up) == 1.0,
            30,
            "Prometheus to see the worker up",
        )
        assert not active_alerts(stack["alertmanager"], "CeleryWorkerDown")
        worker.stop()
        wait_for(
            lambda: active_alerts(stack["alertmanager"], "CeleryWorkerDown"), 60, "CeleryWorkerDown"
        )
        alert = active_alerts(stack["alertmanager"], "CeleryWorkerDown")[0]
        assert alert["labels"]["hostname"] == f"{WORKER}@taskdeck"
        assert (
            alert["labels"]["severity"] == "critical" and alert["labels"]["component"] == "workers"
        )
        assert "is down" in alert["annotations"]["summary"]
        worker = start_worker(
            stack["run_dir"], stack["broker"], WORKER, concurrency=1, env=FAST_WORKLOAD
        )
        wait_for(
            lambda: not active_alerts(stack["alertmanager"], "CeleryWorkerDown"),
            60,
            "the alert to resolve",
        )
    finally:
        worker.stop()


def test_a_burst_of_failing_tasks_fires_the_failure_rate_alert(stack: dict[str, Any]) -> None:
    worker = start_worker(
        stack["run_dir"], stack["broker"], WORKER, concurrency=2, env=FAST_WORKLOAD
    )
    try:
        with api(stack["backend"].url, "support") as client:
            deadline = time.monotonic() + 40  # bounded: at most 80 tasks
            while time.monotonic() < deadline and not active_alerts(
                stack["alertmanager"], "HighCeleryTaskFailureRate"
            ):
                reply = client.post("/api/v1/tasks", json={
                    "name": "data_sync.sync_single_file",
                    "args": [f"f-{uuid.uuid4().hex[:6]}", "erin"], "kwargs": {"broken": True},
                    "queue": "data_sync", "user": "erin"})  # fmt: skip
                assert reply.status_code == 202, reply.text
                time.sleep(0.5)
        alerts = active_alerts(stack["alertmanager"], "HighCeleryTaskFailureRate")
        assert alerts, "the failure-rate alert did not fire within 40 s of failures"
        assert alerts[0]["labels"]["name"] == "data_sync.sync_single_file"
        assert alerts[0]["labels"]["component"] == "tasks"
    finally:
        worker.stop()


def test_the_running_exporter_serves_every_documented_metric(stack: dict[str, Any]) -> None:
    # docs/metrics.md against the exporter's code and the rules: tests/unit/test_metric_names.py.
    text = httpx.get(f"{stack['backend'].url}/metrics", timeout=10).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for metric in documented_metrics():
        assert metric.name.removesuffix("_total") in families, metric.name
    assert families["celery_task_sent"].type == "counter"
    assert families["celery_task_runtime"].type == "histogram"
    assert not any(name.endswith("_created") for name in families)
    assert 'celery_queue_length{priority="10",queue_name="data_sync"}' in text
    assert "task_id" not in text  # no high-cardinality labels
    queues = {line.split('queue_name="')[1].split('"')[0] for line in text.splitlines()
              if line.startswith("celery_queue_length{")}  # fmt: skip
    assert queues == {"data_sync", "scheduled", "default"}  # bound queues, named once


def test_every_tier_and_endpoints_rejections_are_counted_from_zero(stack: dict[str, Any]) -> None:
    """A series born at its first rejection would start at that count: Prometheus' increase()
    and rate() would not see the first burst, and the console's plot of rejections would
    stay at 0 while the backend refused 50 requests."""
    text = httpx.get(f"{stack['backend'].url}/metrics", timeout=10).text
    family = next(f for f in text_string_to_metric_families(text)
                  if f.name == "taskdeck_ratelimit_rejections")  # fmt: skip
    series = {(s.labels["tier"], s.labels["endpoint"]) for s in family.samples}
    tiers = ("admin", "premium", "normal", "anonymous")
    assert series >= {(t, e) for t in tiers for e in ("default", "data_sync", "auth")}


def test_queue_length_counts_every_priority_list(stack: dict[str, Any]) -> None:
    import redis

    client = redis.Redis.from_url(stack["broker"])
    try:
        client.lpush("default", "x", "y")  # step 0 (priority 10)
        client.lpush("default\x06\x164", "z")  # step 4 (priority 6), kombu's separator
        text = httpx.get(f"{stack['backend'].url}/metrics", timeout=10).text
        values = {
            line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("celery_queue_length{") and 'queue_name="default"' in line
        }
        assert values['priority="10",queue_name="default"'] == 2
        assert values['priority="6",queue_name="default"'] == 1
        assert sum(values.values()) == 3
    finally:
        client.delete("default", "default\x06\x164")
        client.close()
