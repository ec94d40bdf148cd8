"""Learning a watched system's transport from its broker, on a large keyspace.

The backend and the console (``taskdeck_core.discovery.Learner``) scan the
whole keyspace for ``_kombu.binding.*`` sets every 60 s (and while they know
no queue), read the sets, and LLEN every list of priorities 0-9 of each queue;
in between (every 10 s) they read only the sets they know and the lists. Both are measured
on a real redis-server holding 1,000,000 other keys (result-backend entries,
as a busy system with ``result_expires`` of a day has) and on an empty one:
median and p95 of the whole ``discover`` call, and the time Redis itself spent
(``INFO commandstats``) per call.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import redis

from taskdeck_core.discovery import binding_keys, discover
from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import start_redis

QUEUES = ("erp_sync", "celery", "reports", "billing", "mail")
RUNS = 15


def _system(client: redis.Redis) -> None:
    for q in QUEUES:
        client.sadd(f"_kombu.binding.{q}", f"{q}\x06\x16\x06\x16{q}")
        client.lpush(q, "{}")
        client.lpush(f"{q}\x06\x163", "{}")


def _measure(client: redis.Redis, known: bool) -> tuple[float, float, float]:
    keys = binding_keys(client) if known else None
    client.config_resetstat()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        info = discover(client, keys=keys)
        times.append(time.perf_counter() - start)
        assert info.queues == sorted(QUEUES), info.queues
    stats = client.info("commandstats")
    server_us = sum(v["usec"] for v in stats.values())
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], server_us / RUNS / 1e6


def run() -> list[str]:
    rows = [
        "| keyspace | look | median | p95 | Redis busy per look |",
        "| --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_redis(Path(tmp), port)
        client = redis.Redis(port=port, socket_timeout=30)
        try:
            _system(client)
            for label, extra in (
                ("the system's keys only", 0),
                ("+ 1,000,000 result keys", 1_000_000),
            ):
                for first in range(0, extra, 10_000):
                    client.mset(
                        {f"celery-task-meta-{n}": "{}" for n in range(first, first + 10_000)}
                    )
                for look, known in (
                    ("scan (every 60 s)", False),
                    ("known sets (every 10 s)", True),
                ):
                    med, p95, busy = _measure(client, known)
                    rows.append(f"| {label} | {look} | {med * 1000:.1f} ms | "
                                f"{p95 * 1000:.1f} ms | {busy * 1000:.1f} ms |")  # fmt: skip
        finally:
            client.close()
            proc.stop()
    return rows


if __name__ == "__main__":
    print("\n".join(run()))
