"""Load on one backend: many clients at once, as the system TaskDeck was built for set its
own targets (submit under 100 ms, 100 concurrent tasks).

A real backend process (SQLite ledger), a real Redis and two prefork workers (4
processes each) on this machine; the clients are asyncio tasks with connections of their
own (httpx), in the benchmark's process.

- Burst: 100 clients submit one task each at the same moment; the latency of each submit
  (request to 202), median and p95; then until every one of them is final in the ledger.
- Mixed: 50 clients for 60 s, each in a loop choosing a read (the task list, one task, the
  failure groups, the queues: 70 %), a submit (20 %) or an action (a cancel or a retry of
  one of its own tasks: 10 %), with no pause. Per operation: count, median and p95.
  The audit log must hold one entry per action answered (none lost), and the backend's
  resident memory is sampled every 5 s (flat: bounded growth). Then the same mix for
  TASKDECK_BENCH_SOAK_S more (300 s), memory sampled every 30 s: whether it levels off.
Rate limits and quotas are set out of the way: this measures the backend, not its limits.
Every process started is stopped at the end; each phase is bounded in time.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.backend_bench import TOKEN, rss_mb, start_bench_backend
from bench.stack import quantile
from taskdeck_dev.stack import running_redis, start_worker

CLIENTS_BURST = 100
CLIENTS_MIXED = 50
MIXED_S = 60.0
# Then the same mix for longer, the backend's memory sampled every SOAK_EVERY_S.
SOAK_S = float(os.environ.get("TASKDECK_BENCH_SOAK_S", "300"))
SOAK_EVERY_S = 30.0
SYNC = "data_sync.sync_single_file"
WORKLOAD = {"TASKDECK_WORKLOAD_SPEED": "50", "TASKDECK_WORKLOAD_FAILURE_RATE": "0.1",
            "TASKDECK_WORKLOAD_RETRY_BACKOFF_S": "1"}  # fmt: skip
FINAL = {"SUCCESS", "FAILURE", "REVOKED"}


def _client(url: str) -> httpx.AsyncClient:
    # Idle connections dropped before uvicorn's 5 s keep-alive ends, as the console does.
    return httpx.AsyncClient(base_url=url, timeout=30,
                             headers={"Authorization": f"Bearer {TOKEN}"},
                             limits=httpx.Limits(keepalive_expiry=4.0))  # fmt: skip


def _body(n: str, user: str) -> dict[str, Any]:
    return {"name": SYNC, "args": [f"load-{n}", user], "queue": "data_sync", "user": user}


async def burst(url: str) -> dict[str, Any]:
    clients = [_client(url) for _ in range(CLIENTS_BURST)]
    gate = asyncio.Event()

    async def one(n: int, client: httpx.AsyncClient) -> tuple[float, str]:
        await client.get("/health")  # the connection is open before the gate
        await gate.wait()
        began = time.perf_counter()
        reply = await client.post("/api/v1/tasks", json=_body(f"b{n}", f"burst{n % 10}"))
        assert reply.status_code == 202, reply.text
        return (time.perf_counter() - began) * 1000, reply.json()["task_id"]

    try:
        waiting = [asyncio.ensure_future(one(n, c)) for n, c in enumerate(clients)]
        await asyncio.sleep(1.0)
        began = time.perf_counter()
        gate.set()
        results = await asyncio.gather(*waiting)
        accepted_s = time.perf_counter() - began
        ids = [task_id for _ms, task_id in results]
        deadline = time.monotonic() + 120
        final = 0
        while time.monotonic() < deadline:
            states = await asyncio.gather(*(clients[0].get(f"/api/v1/tasks/{t}") for t in ids))
            final = sum(1 for r in states if r.status_code == 200 and r.json()["state"] in FINAL)
            if final == len(ids):
                break
            await asyncio.sleep(0.5)
        all_final_s = time.perf_counter() - began
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    latencies = [ms for ms, _id in results]
    return {"median_ms": statistics.median(latencies), "p95_ms": quantile(latencies, 0.95),
            "max_ms": max(latencies), "accepted_s": accepted_s, "final": final,
            "all_final_s": all_final_s}  # fmt: skip


async def mixed(
    url: str, backend_pid_rss: Any, duration_s: float = 0.0, every_s: float = 5.0
) -> dict[str, Any]:
    clients = [_client(url) for _ in range(CLIENTS_MIXED)]
    samples: dict[str, list[float]] = {k: [] for k in ("read", "submit", "action")}
    errors: dict[str, int] = {}
    done_reasons: list[str] = []
    refused_actions = 0
    rss: list[tuple[float, float]] = []
    stop_at = time.monotonic() + (duration_s or MIXED_S)

    async def loop(n: int, client: httpx.AsyncClient) -> None:
        rng = random.Random(n)
        mine: list[str] = []
        user = f"mixed{n:02d}"
        k = 0
        while time.monotonic() < stop_at:
            k += 1
            try:
                await step(n, k, rng, client, mine, user)
            except httpx.TransportError as exc:  # counted: the backend dropped a connection
                key = f"{type(exc).__name__}"
                errors[key] = errors.get(key, 0) + 1

    async def step(
        n: int, k: int, rng: random.Random, client: httpx.AsyncClient, mine: list[str], user: str
    ) -> None:
        nonlocal refused_actions
        roll = rng.random()
        began = time.perf_counter()
        if roll < 0.7 or (roll >= 0.9 and not mine):
            kind = "read"
            choice = rng.random()
            if choice < 0.4:
                reply = await client.get("/api/v1/tasks", params={"limit": 100})
            elif choice < 0.7 and mine:
                reply = await client.get(f"/api/v1/tasks/{rng.choice(mine)}")
            elif choice < 0.85:
                reply = await client.get("/api/v1/failures/groups")
            else:
                reply = await client.get("/api/v1/queues")
        elif roll < 0.9:
            kind = "submit"
            reply = await client.post("/api/v1/tasks", json=_body(f"m{n}-{k}", user))
            if reply.status_code == 202:
                mine.append(reply.json()["task_id"])
        else:
            kind = "action"
            task_id = rng.choice(mine)
            verb = "cancel" if rng.random() < 0.5 else "retry"
            reply = await client.post(f"/api/v1/tasks/{task_id}/{verb}",
                                      json={"reason": f"load {n}-{k}"})  # fmt: skip
            if reply.status_code == 200:  # done: its audit entry must be there
                done_reasons.append(f"load {n}-{k}")
            elif reply.status_code == 409:  # refused (the task finished meanwhile)
                refused_actions += 1
        ms = (time.perf_counter() - began) * 1000
        if reply.status_code >= 500 or reply.status_code == 429:
            errors[f"{kind} {reply.status_code}"] = errors.get(f"{kind} {reply.status_code}", 0) + 1
        else:
            samples[kind].append(ms)

    async def memory() -> None:
        began = time.monotonic()
        while time.monotonic() < stop_at:
            rss.append((time.monotonic() - began, backend_pid_rss()))
            await asyncio.sleep(every_s)
        rss.append((time.monotonic() - began, backend_pid_rss()))

    try:
        await asyncio.gather(memory(), *(loop(n, c) for n, c in enumerate(clients)))
        audited: set[str] = set()
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1000, "since": time.time() - 600}
            if cursor:
                params["cursor"] = cursor
            page = (await clients[0].get("/api/v1/audit", params=params)).json()
            audited |= {str(e.get("reason")) for e in page["items"]
                        if str(e.get("reason", "")).startswith("load ")}  # fmt: skip
            cursor = page["next_cursor"]
            if not cursor:
                break
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    out: dict[str, Any] = {
        "errors": errors, "done": len(done_reasons), "refused": refused_actions,
        "unaudited": sum(1 for r in done_reasons if r not in audited), "rss": rss,
    }  # fmt: skip
    for kind, values in samples.items():
        out[kind] = (
            len(values),
            statistics.median(values) if values else 0.0,
            quantile(values, 0.95) if values else 0.0,
        )
    return out


def measure() -> dict[str, Any]:
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="taskdeck-bench-") as name:
        tmp = Path(name)
        with running_redis(tmp) as broker:
            workers = [start_worker(tmp, broker.url, f"load{n}", concurrency=4, env=WORKLOAD)
                       for n in range(2)]  # fmt: skip
            proc, url = start_bench_backend(tmp, "load", broker.url)
            try:
                result: dict[str, Any] = {"burst": asyncio.run(asyncio.wait_for(burst(url), 200)),
                          "mixed": asyncio.run(asyncio.wait_for(mixed(url, lambda: rss_mb(proc)),
                                                                MIXED_S + 120))}  # fmt: skip
                if SOAK_S > 0:  # the same load for longer: does the memory level off?
                    result["soak"] = asyncio.run(
                        asyncio.wait_for(
                            mixed(url, lambda: rss_mb(proc), SOAK_S, SOAK_EVERY_S), SOAK_S + 120
                        )
                    )
            finally:
                proc.stop()
                for worker in workers:
                    worker.stop()
                log = tmp / "load" / "logs" / "backend.log"
                kept = Path(tempfile.gettempdir()) / "taskdeck-load-backend.log"
                if log.exists():  # kept for reading what went wrong, if anything did
                    kept.write_bytes(log.read_bytes())
    result["load"] = (load_start, os.getloadavg())
    return result


def run() -> list[str]:
    r = measure()
    b, m = r["burst"], r["mixed"]
    rows = [
        "| measure | result | target |",
        "| --- | --- | --- |",
        f"| machine | {os.cpu_count()} cores; load average (1 min) {r['load'][0][0]:.2f} at start, "
        f"{r['load'][1][0]:.2f} at end; backend, Redis, 2 workers × 4 processes and the clients "
        "on it | |",
        f"| {CLIENTS_BURST} clients submit at once: submit latency | median {b['median_ms']:.0f} ms, "
        f"p95 {b['p95_ms']:.0f} ms, slowest {b['max_ms']:.0f} ms; all accepted in "
        f"{b['accepted_s']:.2f} s | p95 < 100 ms |",
        f"| — those {CLIENTS_BURST} tasks final in the ledger | {b['final']} of {CLIENTS_BURST}, "
        f"{b['all_final_s']:.1f} s after the burst | all |",
    ]
    for kind, target in (("read", "p95 < 100 ms"), ("submit", "p95 < 100 ms"), ("action", "")):
        n, p50, p95 = m[kind]
        rows.append(f"| {CLIENTS_MIXED} clients × {MIXED_S:.0f} s, {kind}s | {n:,} answered; "
                    f"median {p50:.0f} ms, p95 {p95:.0f} ms | {target} |")  # fmt: skip
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(m["errors"].items())) or "none"
    rows.append(f"| — errors (5xx, 429) | {errors} | none |")
    rows.append(f"| — actions done (200) / refused (409) / done without an audit entry | "
                f"{m['done']:,} / {m['refused']:,} / {m['unaudited']} | 0 without (no audit record "
                "lost) |")  # fmt: skip
    series = ", ".join(f"{t:.0f} s: {mb:.0f}" for t, mb in m["rss"])
    rows.append(f"| — backend memory (RSS, MB) over the run | {series} | flat |")
    soak = r.get("soak")
    if soak:
        series = ", ".join(f"{t:.0f} s: {mb:.0f}" for t, mb in soak["rss"])
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(soak["errors"].items())) or "none"
        rows.append(f"| the same {CLIENTS_MIXED} clients {SOAK_S:.0f} s more: backend memory "
                    f"(RSS, MB) | {series} | levels off |")  # fmt: skip
        rows.append(f"| — in those {SOAK_S:.0f} s: errors; actions done without an audit entry | "
                    f"{errors}; {soak['unaudited']} of {soak['done']:,} | none; 0 |")  # fmt: skip
    return rows


if __name__ == "__main__":
    print("\n".join(run()))
