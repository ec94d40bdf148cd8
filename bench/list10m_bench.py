"""The task list at 10,000,000 tasks on SQLite.

The ledger holds 10,000,000 tasks as ``backend_bench.task_rows`` makes them (29 days,
10% failures, 200 users, two task names), written straight into SQLite in one
transaction (executemany over tuples, the failure messages' and the arguments'
full-text rows written alongside; ~5 minutes, 7.1 GB). The file is kept in
``build/bench-ledger-10m/`` between runs and made again when it is more than a day old
(the "since" case and the deep page count back from the time it was written). A real
backend process opens it through a hard link (the ledger's own migrations run on
open), and GET /api/v1/tasks?limit=100 is asked the same filter set as at 1,000,000
tasks: median and p95 over 200 requests per case, one client, after 10 warm-up
requests; the whole set three times over, the median of the three rounds' figures
reported (each round's p95 beside it: the machine is shared), and the same cases asked
of the ledger in the benchmark's own process (no HTTP, no other client). The backend's resident
memory is read after the run, next to a backend over an empty ledger asked the same.
The load average (1 min) is read before and after.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from backend.services.cursors import encode_cursor
from backend.services.ledger import Ledger
from backend.services.ledger_terms import argument_terms
from backend.services.schema import tasks
from bench.backend_bench import (
    LIST_CASES,
    REPEAT,
    TOKEN,
    rss_mb,
    start_bench_backend,
    task_rows,
    timed,
)
from bench.stack import quantile
from taskdeck_dev.stack import running_redis

TASKS = 10_000_000
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "bench-ledger-10m"
MAX_AGE_S = 86400.0
ROUNDS = 3  # the whole filter set asked this many times over: medians of the rounds' figures
CHUNK = 50_000
COLUMNS = [c.name for c in tasks.columns]
# The cached file's format: change it when the rows written change, so an old file is
# made again (schema changes need no bump: the ledger migrates the file when opened).
FORMAT = 1


def build(path: Path, n: int) -> float:
    """Write a ledger of ``n`` tasks at ``path``; returns the ``now`` its times count from."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    Ledger(f"sqlite:///{path}").close()  # the tables, indexes and full-text tables
    now = time.time()
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    marks = ", ".join("?" for _ in COLUMNS)
    insert = f"INSERT INTO tasks (rowid, {names}) VALUES (?, {marks})"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")  # 1 GB of pages while writing
    conn.execute("BEGIN")
    chunk: list[tuple[Any, ...]] = []
    messages: list[tuple[int, str]] = []
    terms: list[tuple[int, str]] = []

    def flush() -> None:
        conn.executemany(insert, chunk)
        conn.executemany("INSERT INTO tasks_fts(rowid, exc_message) VALUES (?, ?)", messages)
        conn.executemany("INSERT INTO tasks_args_fts(rowid, terms) VALUES (?, ?)", terms)
        chunk.clear()
        messages.clear()
        terms.clear()

    for rowid, row in enumerate(task_rows(n, "bulk-user", now=now), start=1):
        chunk.append((rowid, *(row.get(c) for c in COLUMNS)))
        if row["exc_message"] is not None:
            messages.append((rowid, row["exc_message"]))
        terms.append((rowid, argument_terms(row["args"], row["kwargs"], row["options"])))
        if len(chunk) == CHUNK:
            flush()
    flush()
    conn.execute("COMMIT")  # no ANALYZE: the ledger never runs one, so plans are as in use
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    (path.parent / "made.json").write_text(json.dumps({"now": now, "n": n, "format": FORMAT}))
    return now


def cached(n: int = TASKS) -> tuple[Path, float, float]:
    """The cached ledger of ``n`` tasks (made when missing or old): path, its ``now``, and
    the seconds spent making it (0 when it was there)."""
    path = CACHE / "ledger.sqlite3"
    made = CACHE / "made.json"
    if path.exists() and made.exists():
        info = json.loads(made.read_text())
        if (info.get("n"), info.get("format")) == (n, FORMAT) and (
            time.time() - info["now"] < MAX_AGE_S
        ):
            return path, float(info["now"]), 0.0
    started = time.perf_counter()
    now = build(path, n)
    return path, now, time.perf_counter() - started


def latencies(client: httpx.Client, now: float) -> dict[str, tuple[float, float]]:
    """``backend_bench.list_latencies`` with times counted from the ledger's ``now``."""
    out = {}
    for label, params in LIST_CASES.items():
        params = {k: (str(now - 86400) if v == "__day__" else v) for k, v in params.items()}
        if label == "q=exact task id":
            params["q"] = f"bench-{TASKS // 2:08d}"
        for _ in range(10):
            client.get("/api/v1/tasks", params={**params, "limit": 100})
        samples = []
        for _ in range(REPEAT):
            ms, reply = timed(client, "GET", "/api/v1/tasks", params={**params, "limit": 100})
            assert reply.status_code == 200, reply.text
            assert reply.json()["items"], (label, "found nothing")
            samples.append(ms)
        out[label] = (statistics.median(samples), quantile(samples, 0.95))
    cursor = encode_cursor(now - 15 * 86400, "bench-")
    samples = []
    for _ in range(REPEAT):
        ms, reply = timed(client, "GET", "/api/v1/tasks", params={"limit": 100, "cursor": cursor})
        assert reply.status_code == 200 and reply.json()["items"], reply.text
        samples.append(ms)
    out["page at 15 days back"] = (statistics.median(samples), quantile(samples, 0.95))
    return out


def ledger_times(path: Path, now: float) -> dict[str, float]:
    """The same cases asked of the ledger in this process (no HTTP): median ms of 50."""
    from backend.services.ledger import TaskFilter

    ledger = Ledger(f"sqlite:///{path}")
    out = {}
    for label, params in LIST_CASES.items():
        given: dict[str, Any] = {
            k: (now - 86400 if v == "__day__" else v) for k, v in params.items()
        }
        if label == "q=exact task id":
            given["q"] = f"bench-{TASKS // 2:08d}"
        samples = []
        for n in range(55):
            started = time.perf_counter()
            ledger.list_tasks(TaskFilter(**given), 100)
            if n >= 5:
                samples.append((time.perf_counter() - started) * 1000)
        out[label] = statistics.median(samples)
    ledger.close()
    return out


def measure(path: Path, now: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    out: dict[str, Any] = {"load": [os.getloadavg()[0]]}
    with tempfile.TemporaryDirectory(prefix="taskdeck-bench-10m-") as name:
        tmp = Path(name)
        with running_redis(tmp) as broker:
            empty, url = start_bench_backend(tmp, "empty", broker.url)
            try:
                with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                    for params in LIST_CASES.values():
                        client.get("/api/v1/tasks", params={"limit": 100, **params})
                out["rss_empty_mb"] = rss_mb(empty)
            finally:
                empty.stop()
            data = tmp / "full" / "data"
            data.mkdir(parents=True)
            # The backend works on the cached file itself (a hard link: no 9 GB copy); a
            # list run writes nothing into it but what the ledger's own migrations add.
            os.link(path, data / "ledger.sqlite3")
            started = time.perf_counter()
            full, url = start_bench_backend(tmp, "full", broker.url)
            out["start_s"] = time.perf_counter() - started
            try:
                with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
                    out["rounds"] = [latencies(client, now) for _ in range(ROUNDS)]
                out["rss_full_mb"] = rss_mb(full)
            finally:
                full.stop()
    out["in_process"] = ledger_times(path, now)
    out["load"].append(os.getloadavg()[0])
    return out


def run() -> list[str]:
    path, now, build_s = cached()
    size_gb = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e9
    result = measure(path, now)
    rows = [
        f"| GET /api/v1/tasks?limit=100, 10,000,000 tasks, SQLite | median ({ROUNDS} rounds' median) | p95 (median; each round) | the ledger's own time, no HTTP (median) | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    ledger = result["in_process"]
    for label in result["rounds"][0]:
        p50s = [r[label][0] for r in result["rounds"]]
        p95s = [r[label][1] for r in result["rounds"]]
        own = f"{ledger[label]:.1f} ms" if label in ledger else "–"
        rows.append(
            f"| {label} | {statistics.median(p50s):.1f} ms | {statistics.median(p95s):.1f} ms "
            f"({', '.join(f'{p:.1f}' for p in p95s)}) | {own} | p95 ≤ 20 ms |"
        )
    rows.append(
        f"| backend memory (RSS), empty ledger / 10,000,000 tasks after the list run | "
        f"{result['rss_empty_mb']:.0f} MB | {result['rss_full_mb']:.0f} MB | | flat with the ledger's size |"
    )  # fmt: skip
    rows.append(
        f"| backend start over the ledger (process start to serving) | {result['start_s']:.1f} s | | | |"
    )
    rows.append(
        f"| load average (1 min), before / after | {result['load'][0]:.2f} | {result['load'][1]:.2f} | | |"
    )  # fmt: skip
    made = f"made in {build_s:.0f} s" if build_s else "cached in build/, made earlier"
    rows.append(f"| (setup) ledger file | {size_gb:.1f} GB | {made} | | |")
    return rows


if __name__ == "__main__":  # python -m bench.list10m_bench build: make the cached ledger only
    import sys

    if sys.argv[1:] == ["build"]:
        p, _, s = cached()
        print(p, f"{s:.0f} s")
    else:
        raise SystemExit("usage: python -m bench.list10m_bench build")
