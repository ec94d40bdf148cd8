"""Benchmark of the foundation: sandbox cold start and task round trip on a real worker.

Measures, on this machine:
- ``taskdeck-sandbox up`` to every part ready, and ``down`` to every process gone;
- publish-to-result latency of the data-sync task through one prefork worker
  (2 processes, simulated work made negligible), and the throughput of a burst.
Each figure is a median over repeated runs; the machine is shared and noisy.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from celery import Celery

from taskdeck_dev import sandbox
from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import running_redis, start_worker
from taskdeck_worker.celery_app import create_celery
from taskdeck_worker.config import WorkerSettings

STARTS = 3
ROUND_TRIPS = 200
BURST = 1000


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_sandbox(tmp: Path) -> dict[str, float]:
    ups, downs = [], []
    preferred = {name: free_port() for name in sandbox.PREFERRED_PORTS}
    sandbox.PREFERRED_PORTS.update(preferred)  # keep clear of a sandbox the user is running
    for n in range(STARTS):
        run_dir = tmp / f"sb{n}"
        started = time.perf_counter()
        sandbox.up(run_dir, rate=1.0, log=lambda _m: None)
        ups.append(time.perf_counter() - started)
        started = time.perf_counter()
        sandbox.down(run_dir)
        downs.append(time.perf_counter() - started)
    return {"up_s": statistics.median(ups), "down_s": statistics.median(downs)}


def bench_round_trip(tmp: Path) -> dict[str, float]:
    fast = {"TASKDECK_WORKLOAD_SPEED": "1000", "TASKDECK_WORKLOAD_FAILURE_RATE": "0"}
    with running_redis(tmp) as broker:
        worker = start_worker(tmp, broker.url, "benchworker", concurrency=2, env=fast)
        app = create_celery(WorkerSettings(broker_url=broker.url))
        try:
            return round_trips(app)
        finally:
            app.close()
            worker.stop()


def round_trips(app: Celery) -> dict[str, float]:
    """Publish-to-result latency one task at a time, then the throughput of a burst."""
    latencies = []
    for n in range(ROUND_TRIPS):
        started = time.perf_counter()
        app.send_task(
            "data_sync.sync_single_file", args=[f"f-{n}", "bench"], queue="data_sync"
        ).get(timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    results = [
        app.send_task("data_sync.sync_single_file", args=[f"b-{n}", "bench"], queue="data_sync")
        for n in range(BURST)
    ]
    for result in results:
        result.get(timeout=120)
    burst_s = time.perf_counter() - started
    return {
        "rt_p50_ms": statistics.median(latencies),
        "rt_p95_ms": quantile(latencies, 0.95),
        "burst_tasks_per_s": BURST / burst_s,
    }


def run() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="taskdeck-bench-") as name:
        tmp = Path(name)
        stack = bench_sandbox(tmp)
        trip = bench_round_trip(tmp)
    return [
        "| measure | result |",
        "| --- | --- |",
        f"| `taskdeck-sandbox up`, all 7 parts ready (median of {STARTS}) | {stack['up_s']:.2f} s |",
        f"| `taskdeck-sandbox down`, every process gone (median of {STARTS}) | {stack['down_s']:.2f} s |",
        f"| task publish → result, 1 prefork worker × 2 (median of {ROUND_TRIPS}) | {trip['rt_p50_ms']:.1f} ms |",
        f"| same, p95 | {trip['rt_p95_ms']:.1f} ms |",
        f"| burst of {BURST} tasks through that worker | {trip['burst_tasks_per_s']:.0f} tasks/s |",
    ]
