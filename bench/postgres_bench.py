"""The task list at 1,000,000 tasks with the ledger on PostgreSQL, next to SQLite.

The same 1,000,000 tasks (``backend_bench.task_rows``: 29 days, 10% failures) are
written into a SQLite ledger and into a PostgreSQL one (Debian's PostgreSQL started
on a free loopback port with a throwaway cluster, default settings but
``shared_buffers=256MB``; fsync on). A real backend process over each answers
GET /api/v1/tasks?limit=100, unfiltered, filtered, searched (SQLite's FTS5 against
PostgreSQL's tsvector and GIN indexes) and paged: median and p95 over 200 requests
per case, one client, after 10 warm-up requests. The load average of the machine
(2 cores, shared) is read before and after each backend's run.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from backend.services.ledger import Ledger
from backend.services.ledger_terms import argument_terms, message_words, tsvector
from backend.services.schema import tasks, tasks_search
from bench.backend_bench import (
    LEDGER_TASKS,
    LIST_CASES,
    TOKEN,
    fill_ledger,
    list_latencies,
    start_bench_backend,
    task_rows,
)
from taskdeck_dev.stack import create_database, running_postgres, running_redis

DEADLINE_S = 1800.0  # the whole run, fills included; past it the run stops
COLUMNS = [c.name for c in tasks.columns]


def _copy(conn: Any, table: str, columns: list[str], rows: Any) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def fill_postgres(url: str, n: int, bulk_user: str) -> None:
    """``task_rows`` into the PostgreSQL ledger at ``url`` (COPY), with the search rows the
    ledger writes for them (``tasks_search``), then ANALYZE."""
    ledger = Ledger(url)  # creates the tables and indexes
    ledger.close()
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        _copy(conn, "tasks", COLUMNS,
              ([row.get(c) for c in COLUMNS] for row in task_rows(n, bulk_user)))  # fmt: skip
        search = (
            [row["task_id"], row["created_at"],
             tsvector(message_words(row["exc_message"])) if row["exc_message"] else None,
             tsvector(argument_terms(row["args"], row["kwargs"], row["options"]).split())]
            for row in task_rows(n, bulk_user)
        )  # fmt: skip
        _copy(conn, tasks_search.name, [c.name for c in tasks_search.columns], search)
        conn.commit()
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _measure(tmp: Path, name: str, broker: str, env: dict[str, str]) -> dict[str, Any]:
    load_before = os.getloadavg()
    proc, url = start_bench_backend(tmp, name, broker, env)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            latencies = list_latencies(client)
    finally:
        proc.stop()
    return {"list": latencies, "load": (load_before, os.getloadavg())}


def run() -> list[str]:
    deadline = time.monotonic() + DEADLINE_S

    def in_time(what: str) -> None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"postgres bench: past {DEADLINE_S:.0f} s before {what}")

    results: dict[str, dict[str, Any]] = {}
    fills: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="taskdeck-bench-pg-") as name:
        tmp = Path(name)
        with running_redis(tmp) as broker:
            (tmp / "sqlite" / "data").mkdir(parents=True)
            started = time.perf_counter()
            fill_ledger(tmp / "sqlite" / "data" / "ledger.sqlite3", LEDGER_TASKS, "bulk-user")
            fills["SQLite"] = time.perf_counter() - started
            in_time("the SQLite list")
            results["SQLite"] = _measure(tmp, "sqlite", broker.url, {})
            in_time("PostgreSQL")
            with running_postgres(
                tmp, durable=True, settings={"shared_buffers": "256MB"}
            ) as postgres:
                url = create_database(postgres, "ledger")
                started = time.perf_counter()
                fill_postgres(url, LEDGER_TASKS, "bulk-user")
                fills["PostgreSQL"] = time.perf_counter() - started
                in_time("the PostgreSQL list")
                results["PostgreSQL"] = _measure(
                    tmp, "postgres", broker.url, {"TASKDECK_LEDGER_URL": url}
                )
    labels = [*LIST_CASES, "page at 15 days back"]
    rows = [
        "| GET /api/v1/tasks?limit=100, 1,000,000 tasks | SQLite (median, p95) | PostgreSQL (median, p95) |",
        "| --- | --- | --- |",
    ]
    for label in labels:
        cells = [
            "{:.1f} ms, {:.1f} ms".format(*results[engine]["list"][label])
            for engine in ("SQLite", "PostgreSQL")
        ]
        rows.append(f"| {label} | {cells[0]} | {cells[1]} |")
    for engine in ("SQLite", "PostgreSQL"):
        before, after = results[engine]["load"]
        rows.append(
            f"| (load average, 1/5/15 min, before / after the {engine} run) | "
            f"{before[0]:.2f} {before[1]:.2f} {before[2]:.2f} / "
            f"{after[0]:.2f} {after[1]:.2f} {after[2]:.2f} | |"
        )
    rows.append(
        f"| (setup) writing 1,000,000 tasks: SQLite (inserts, FTS5) / PostgreSQL (COPY, "
        f"tsvector rows, GIN, VACUUM ANALYZE) | {fills['SQLite']:.0f} s | {fills['PostgreSQL']:.0f} s |"
    )
    return rows
