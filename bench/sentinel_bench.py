"""Failover under Redis Sentinel: how long the broker is gone, and what is lost.

Debian's redis-server and redis-sentinel on loopback: a master with AOF, one replica and
three Sentinels (quorum 2, ``down-after-milliseconds 1000``); a prefork worker (2
processes) and the backend, both given the ``sentinel://`` URL, with
``TASKDECK_LEDGER_REPLICAS=1``. A client submits a task every 20 ms through the backend;
after 3 s the master is killed with SIGKILL. Measured per run (3 runs, each on servers of
its own):

- promoted: from the kill until the Sentinels name the replica as the master;
- accepted again: from the kill until a submission sent after the first refusal is
  accepted;
- submissions refused meanwhile (503, the broker unavailable) and any 500;
- of the tasks accepted, how many ended final in the ledger, how many were marked lost
  (their message did not reach the replica), and how many neither (a lost record).

Each run stops by itself (the submitter after 6 s past the failover; the wait for the
ledger after 90 s), and stops every process it started.
"""

from __future__ import annotations

import os
import signal
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.backend_bench import TOKEN, start_bench_backend
from taskdeck_dev.procs import wait_until
from taskdeck_dev.stack import running_sentinel, start_worker

RUNS = 3
SYNC = "data_sync.sync_single_file"
ENV = {"TASKDECK_LEDGER_REPLICAS": "1"}
WORKER_ENV = {**ENV, "TASKDECK_WORKLOAD_SPEED": "50", "TASKDECK_WORKLOAD_FAILURE_RATE": "0",
              "TASKDECK_VISIBILITY_TIMEOUT_S": "10"}  # fmt: skip
BACKEND_ENV = {**ENV, "TASKDECK_BROKER_WATCH_S": "0.5", "TASKDECK_LOST_CONFIRM_S": "2"}


def one_run(tmp: Path) -> dict[str, Any]:
    with running_sentinel(tmp) as group:
        worker = start_worker(tmp, group.url, "failover-worker", env=WORKER_ENV)
        backend, url = start_bench_backend(tmp, "backend", group.url, BACKEND_ENV)
        try:
            return _failover(group, url)
        finally:
            backend.stop()
            worker.stop()


def _failover(group: Any, url: str) -> dict[str, Any]:
    accepted: list[tuple[float, str]] = []  # (request sent, task id)
    statuses: list[int] = []
    refused_at: list[float] = []  # when a refused request was answered
    stop = threading.Event()
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def submitter() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
            while not stop.is_set():
                body = {"name": SYNC, "args": [f"f-{uuid.uuid4().hex[:8]}", "u"], "user": "u"}
                sent = time.time()
                try:
                    reply = client.post("/api/v1/tasks", json=body)
                except httpx.HTTPError:
                    statuses.append(0)
                    refused_at.append(time.time())
                    continue
                statuses.append(reply.status_code)
                if reply.status_code == 202:
                    accepted.append((sent, reply.json()["task_id"]))
                else:
                    refused_at.append(time.time())
                stop.wait(0.02)

    thread = threading.Thread(target=submitter, daemon=True)
    thread.start()
    first = group.master_port()
    try:
        stop.wait(3.0)  # traffic before the failure
        killed = time.time()
        os.kill(group.nodes[first].pid, signal.SIGKILL)
        wait_until(lambda: group.master_port() not in (None, first), 60, "the failover")
        promoted = time.time()
        wait_until(lambda: bool(accepted) and accepted[-1][0] > killed, 60, "a submission accepted")
        again = next(at for at, _ in accepted if at > killed)
        stop.wait(6.0)  # traffic after it
    finally:
        stop.set()
        thread.join(15)
    ids = [t for _, t in accepted]
    states: dict[str, tuple[str | None, bool]] = {}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:

        def settled() -> bool:
            for task_id in ids:
                if states.get(task_id, (None, False))[0] != "SUCCESS":
                    body = client.get(f"/api/v1/tasks/{task_id}").json()
                    states[task_id] = (body.get("state"), bool(body.get("lost_at")))
            return all(s == "SUCCESS" or lost for s, lost in states.values())

        try:
            wait_until(settled, 90, "every accepted task final or lost", interval=0.5)
        except Exception:  # noqa: BLE001 - counted below as neither final nor lost
            pass
    lost = sum(1 for _, was_lost in states.values() if was_lost)
    final = sum(1 for s, _ in states.values() if s == "SUCCESS")
    return {
        "promoted_s": promoted - killed,
        "again_s": again - killed,
        "accepted": len(ids),
        "refused": sum(1 for s in statuses if s == 503 or s == 0),
        "errors_500": sum(1 for s in statuses if s >= 500 and s != 503),
        "final": final,
        "lost": lost,
        "missing": len(ids) - final - lost,
    }


def run() -> list[str]:
    runs = []
    for n in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="taskdeck-sentinel-bench-") as tmp:
            runs.append(one_run(Path(tmp) / f"run{n}"))
    load = os.getloadavg()[0]
    med = {k: statistics.median(r[k] for r in runs) for k in ("promoted_s", "again_s")}
    rows = [
        f"Load average (1 min) at the end: {load:.1f}.",
        "",
        "| run | promoted | accepted again | refused meanwhile | 500s | accepted | final | "
        "marked lost | neither (a lost record) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, r in enumerate(runs, 1):
        rows.append(
            f"| {n} | {r['promoted_s']:.2f} s | {r['again_s']:.2f} s | {r['refused']} | "
            f"{r['errors_500']} | {r['accepted']} | {r['final']} | {r['lost']} | {r['missing']} |"
        )
    rows.append(f"| median | {med['promoted_s']:.2f} s | {med['again_s']:.2f} s | | | | | | |")
    return rows


if __name__ == "__main__":
    print("\n".join(run()))
