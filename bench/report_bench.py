"""Benchmark of an offline report: the last 7 days over a ledger of 1,000,000 tasks.

A real backend process serves a SQLite ledger of 1,000,000 tasks spread evenly over the
last 7 days (10% failures in 24 groups of task, error and message, each with a
traceback), and an audit log of 20,000 entries over the same days (the report lists
the newest 5,000). Prometheus scrapes the backend and Alertmanager runs beside it, as
the console's own environment would have them (their history is minutes long: the plots
are drawn over the 7 days with what there is).

In a process of its own (offscreen Qt, no window), the report of the last 7 days with
every section is collected with the console's own clients and collector, then written
as the Reports page writes it (on the writing thread, renamed into place): 3 times as
PDF (A4) and 3 times as HTML, each format in a fresh process. The figure is the median
of the 3 of collect + write; collect and write are shown apart. Peak memory is the
process's peak resident set (``ru_maxrss``), against the same process with Qt started
and nothing collected yet. Every process the benchmark starts is stopped at its end;
each report process is bounded to 5 minutes.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from backend.services.ledger import Ledger
from backend.services.schema import audit, tasks
from taskdeck_core import lifecycle as lc
from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import (
    Server,
    running_alertmanager,
    running_prometheus,
    running_redis,
    start_backend,
)

LEDGER_TASKS = 1_000_000
AUDIT_ENTRIES = 20_000
DAYS = 7
RUNS = 3
TARGET_S = 10.0
REPORT_LIMIT_S = 300.0  # one format's 3 reports, in their process
SCRAPES_S = 12.0  # let Prometheus scrape the backend a couple of times
TOKEN = "bench-admin-token-0123456789"
USERS = [f"user{n:03d}" for n in range(200)]
NAMES = ["data_sync.sync_single_file", "data_sync.sync_batch", "reports.render_invoice"]
ERRORS = [
    ("FileStoreTimeout", "timed out after 30s reading '{file}'"),
    ("ConnectionResetError", "connection reset by peer while writing '{file}'"),
    ("ValueError", "column 7 of '{file}' is not a number"),
    ("PermissionError", "permission denied: '{file}'"),
    ("KeyError", "'customer_id' missing in '{file}'"),
    ("RuntimeError", "worker lost while processing '{file}'"),
    ("UnicodeDecodeError", "'utf-8' codec can't decode byte 0xff in '{file}'"),
    ("OSError", "no space left on device writing '{file}'"),
]
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/taskdeck/worker/tasks/{module}.py", line 88, in run\n'
    "    rows = store.read(path, timeout=30)\n"
    '  File "/srv/taskdeck/worker/store.py", line 214, in read\n'
    "    raise {exc}(message)\n"
    "{exc}: {message}\n"
)


def fill(path: Path, n: int, entries: int, now: float) -> dict[str, int]:
    """``n`` tasks over the ``DAYS`` days before ``now`` (10% failures in 24 groups), and
    ``entries`` audit entries over the same days."""
    ledger = Ledger(f"sqlite:///{path}")
    rng = random.Random(7)
    span = DAYS * 86400.0
    start = now - span
    chunk: list[dict[str, Any]] = []
    failed = 0
    with ledger.engine.begin() as conn:
        for i in range(n):
            created = start + span * i / n
            name = NAMES[i % len(NAMES)]
            fails = rng.random() < 0.1
            user = rng.choice(USERS)
            exc = message = traceback = signature = None
            if fails:
                failed += 1
                kind = rng.randrange(len(ERRORS))
                exc, template = ERRORS[kind]
                message = template.format(file=f"f-{i}.csv")
                traceback = TRACEBACK.format(module=name.split(".")[-1], exc=exc, message=message)
                signature = f"sig-{NAMES.index(name)}-{kind:02d}"
            chunk.append({
                "task_id": f"bench-{i:08d}", "name": name, "queue": name.split(".")[0],
                "state": lc.FAILURE if fails else lc.SUCCESS, "priority": rng.randint(1, 10),
                "user": user, "tier": "normal", "args": json.dumps([f"f-{i}", user]),
                "kwargs": "{}", "options": "{}", "retry_of": None, "retries": 0,
                "created_at": created, "published_at": created, "received_at": created + 0.01,
                "started_at": created + 0.02, "finished_at": created + 0.5,
                "state_ts": created + 0.5, "runtime": 0.48, "hostname": "worker1@erp",
                "exc_type": exc, "exc_message": message, "traceback": traceback,
                "result": None if fails else '{"rows":1}', "signature": signature,
                "history": json.dumps([["published", created], ["succeeded", created + 0.5]]),
            })  # fmt: skip
            if len(chunk) == 20_000:
                conn.execute(insert(tasks), chunk)
                chunk = []
        if chunk:
            conn.execute(insert(tasks), chunk)
        conn.exec_driver_sql(
            "INSERT INTO tasks_fts(rowid, exc_message) SELECT rowid, exc_message FROM tasks "
            "WHERE exc_message IS NOT NULL"
        )
        rows = []
        for i in range(entries):
            at = start + span * (i + 0.5) / entries
            targets = [f"bench-{rng.randrange(n):08d}" for _ in range(rng.choice((1, 1, 2, 5)))]
            rows.append({
                "at": at, "user": rng.choice(("admin-ana", "admin-bo", "support-chen")),
                "role": "admin", "action": rng.choice(("retry", "cancel", "priority")),
                "targets": json.dumps(targets), "target_count": len(targets),
                "reason": f"customer ticket #{10_000 + i}: {rng.choice(ERRORS)[0]} again",
                "request": json.dumps({"reason": "bench"}), "outcome": "{}", "status": "ok",
                "finished_at": at + 0.2,
            })  # fmt: skip
        conn.execute(insert(audit), rows)
    ledger.index_arguments()
    ledger.close()
    return {"tasks": n, "failed": failed, "audit": entries}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def report_part(urls: dict[str, str], fmt: str, folder: str) -> dict[str, Any]:
    """In this process: the 7-day report collected and written ``RUNS`` times as ``fmt``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    from console.controllers.reports_controller import write_off_thread
    from console.reports.collect import ReportSources, collect_report
    from console.services.alertmanager_client import AlertmanagerClient
    from console.services.backend_client import BackendClient
    from console.services.prometheus_reader import PrometheusReader

    app = QGuiApplication.instance() or QGuiApplication(["report-bench"])
    baseline = _peak_mb()

    async def one(n: int) -> dict[str, Any]:
        backend = BackendClient(urls["backend"], TOKEN)
        prometheus = PrometheusReader(urls["prometheus"])
        alertmanager = AlertmanagerClient(urls["alertmanager"])
        try:
            sources = ReportSources("bench", backend, prometheus, alertmanager)
            end = time.time()
            began = time.perf_counter()
            report = await collect_report(sources, end - DAYS * 86400.0, end)
            collected = time.perf_counter()
            target = Path(folder) / f"report-{n}.{'pdf' if fmt.startswith('pdf') else 'html'}"
            await write_off_thread(report, fmt, target)
            written = time.perf_counter()
        finally:
            await asyncio.gather(backend.aclose(), alertmanager.aclose(), return_exceptions=True)
            prometheus.close()
        audit_rows = next((len(t.rows) for t in report.tables() if t.key == "audit"), 0)
        groups = next((len(t.rows) for t in report.tables() if t.key == "failure_groups"), 0)
        return {
            "collect_s": collected - began, "write_s": written - collected,
            "total_s": written - began, "bytes": target.stat().st_size,
            "missing": list(report.missing), "audit_rows": audit_rows, "groups": groups,
            "figures": dict(report.sections[0].figures),
        }  # fmt: skip

    runs = [asyncio.run(one(n)) for n in range(RUNS)]
    del app
    return {"runs": runs, "peak_mb": _peak_mb(), "baseline_mb": baseline}


def snapshot_part(urls: dict[str, str], fmt: str, folder: str) -> dict[str, Any]:
    """In this process: a snapshot with 7 days of trends and report content taken and
    written ``RUNS`` times; then the 7-day report made from the last one, as HTML."""
    del fmt
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    from console.controllers.reports_controller import write_off_thread
    from console.domain import clock
    from console.reports.collect import ReportSources, collect_report
    from console.services.alertmanager_client import AlertmanagerClient
    from console.services.backend_client import BackendClient
    from console.services.broker_reader import BrokerReader
    from console.services.prometheus_reader import PrometheusReader
    from console.snapshot.file import read_snapshot, write_snapshot
    from console.snapshot.record import take_snapshot
    from console.snapshot.replay import SnapshotAlertmanager, SnapshotBackend, SnapshotMetrics

    app = QGuiApplication.instance() or QGuiApplication(["report-bench"])
    baseline = _peak_mb()
    target = Path(folder) / "bench.tdsnap"

    async def one() -> dict[str, Any]:
        backend = BackendClient(urls["backend"], TOKEN)
        prometheus = PrometheusReader(urls["prometheus"])
        alertmanager = AlertmanagerClient(urls["alertmanager"])
        broker = BrokerReader(urls["broker"])
        try:
            sources = ReportSources("bench", backend, prometheus, alertmanager)
            began = time.perf_counter()
            snapshot = await take_snapshot(sources, broker, DAYS * 86400.0)
            taken = time.perf_counter()
            await asyncio.to_thread(write_snapshot, snapshot, target)
            written = time.perf_counter()
        finally:
            await asyncio.gather(backend.aclose(), alertmanager.aclose(), broker.aclose(),
                                 return_exceptions=True)  # fmt: skip
            prometheus.close()
        return {"take_s": taken - began, "write_s": written - taken, "total_s": written - began,
                "bytes": target.stat().st_size, "tasks": len(snapshot.tasks),
                "audit": len(snapshot.audit), "missing": list(snapshot.missing)}  # fmt: skip

    runs = [asyncio.run(one()) for _ in range(RUNS)]
    peak_taking = _peak_mb()

    async def report() -> dict[str, Any]:
        began = time.perf_counter()
        snapshot = await asyncio.to_thread(read_snapshot, target)
        opened = time.perf_counter()
        clock.freeze(snapshot.taken_at)
        sources = ReportSources("bench", SnapshotBackend(snapshot), SnapshotMetrics(snapshot),
                                SnapshotAlertmanager(snapshot))  # fmt: skip
        end = snapshot.taken_at
        made = await collect_report(sources, end - DAYS * 86400.0, end)
        await write_off_thread(made, "html", Path(folder) / "from-snapshot.html")
        return {"open_s": opened - began, "total_s": time.perf_counter() - began,
                "missing": list(made.missing)}  # fmt: skip

    from_snapshot = asyncio.run(report())
    del app
    return {"runs": runs, "peak_mb": peak_taking, "baseline_mb": baseline,
            "report": from_snapshot, "peak_after_report_mb": _peak_mb()}  # fmt: skip


def report_in_fresh_process(
    urls: dict[str, str], fmt: str, folder: Path, part: str = "report_part"
) -> dict[str, Any]:
    code = (
        "import json, os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'; "
        f"from bench.report_bench import {part} as part; "
        "print(json.dumps(part(json.loads(sys.argv[1]), sys.argv[2], sys.argv[3])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(urls), fmt, str(folder)],
        capture_output=True, text=True, timeout=REPORT_LIMIT_S, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"the report's part failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure_all() -> dict[str, Any]:
    load_start = os.getloadavg()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="taskdeck-bench-") as name:
        tmp = Path(name)
        with running_redis(tmp) as broker:
            data = tmp / "backend" / "data"
            data.mkdir(parents=True)
            started = time.perf_counter()
            result["ledger"] = fill(data / "ledger.sqlite3", LEDGER_TASKS, AUDIT_ENTRIES,
                                    time.time() - 60)  # fmt: skip
            result["fill_s"] = time.perf_counter() - started
            port = free_port()
            roomy = ", ".join(f'"{t}": {{"default": 10000000, "data_sync": 10000000}}'
                              for t in ("admin", "premium", "normal", "anonymous"))  # fmt: skip
            proc = start_backend(tmp, port, broker.url, env={
                "TASKDECK_TOKENS": f"bench:admin:{TOKEN}", "TASKDECK_DATA_DIR": str(data),
                "TASKDECK_METRICS_OPEN": "1", "TASKDECK_QUOTA_DEFAULT": "100000",
                "TASKDECK_RATELIMIT_TIERS": "{" + roomy + "}",
            })  # fmt: skip
            try:
                backend = Server(proc, port, f"http://127.0.0.1:{port}")
                with running_alertmanager(tmp) as am, running_prometheus(tmp, backend, am) as prom:
                    time.sleep(SCRAPES_S)
                    urls = {"backend": backend.url, "prometheus": prom.url,
                            "alertmanager": am.url, "broker": broker.url}  # fmt: skip
                    for fmt in ("pdf-a4", "html"):
                        out = tmp / fmt
                        out.mkdir()
                        result[fmt] = report_in_fresh_process(urls, fmt, out)
                    out = tmp / "snapshot"
                    out.mkdir()
                    result["snapshot"] = report_in_fresh_process(urls, "snapshot", out,
                                                                 "snapshot_part")  # fmt: skip
            finally:
                proc.stop()
    result["load_start"], result["load_end"] = load_start, os.getloadavg()
    return result


def _s(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s"


def run() -> list[str]:
    r = measure_all()
    ledger = r["ledger"]
    rows = [
        "| measure | result | target |",
        "| --- | --- | --- |",
        f"| machine | {os.cpu_count()} cores; load average (1 min) {r['load_start'][0]:.2f} at "
        f"start, {r['load_end'][0]:.2f} at end | |",
        f"| ledger | {ledger['tasks']:,} tasks over {DAYS} days ({ledger['failed']:,} failed), "
        f"{ledger['audit']:,} audit entries | |",
    ]
    for fmt, label in (("pdf-a4", "PDF (A4)"), ("html", "HTML")):
        part = r[fmt]
        runs = part["runs"]
        totals = [x["total_s"] for x in runs]
        first = runs[0]
        created = first["figures"].get("Tasks created in the window", "?")
        rows.append(
            f"| 7-day report as {label}, collect + write (median of {RUNS}) | "
            f"{_s(totals)} (collect {_s([x['collect_s'] for x in runs])}, write "
            f"{_s([x['write_s'] for x in runs])}; slowest {max(totals):.2f} s) | < {TARGET_S:.0f} s |"
        )
        rows.append(
            f"| — its content | {created} tasks created in the window, {first['groups']} failure "
            f"groups listed, {first['audit_rows']:,} audit rows; {first['bytes'] / 1e6:.1f} MB; "
            f"{len(first['missing'])} part(s) missing | |"
        )
        rows.append(
            f"| — peak memory (RSS) of the process making it | {part['peak_mb']:.0f} MB "
            f"(Qt started, nothing collected: {part['baseline_mb']:.0f} MB) | bounded |"
        )
    snap = r["snapshot"]
    runs = snap["runs"]
    totals = [x["total_s"] for x in runs]
    first = runs[0]
    rows.append(
        f"| snapshot with 7 days of trends and report content, taken + written (median of "
        f"{RUNS}) | {_s(totals)} (taking {_s([x['take_s'] for x in runs])}, writing "
        f"{_s([x['write_s'] for x in runs])}); {first['bytes'] / 1e6:.1f} MB holding "
        f"{first['tasks']:,} tasks and {first['audit']:,} audit entries; "
        f"{len(first['missing'])} part(s) missing | |"
    )
    rows.append(
        f"| — peak memory (RSS) of the process taking it | {snap['peak_mb']:.0f} MB (Qt started, "
        f"nothing taken: {snap['baseline_mb']:.0f} MB) | bounded |"
    )
    made = snap["report"]
    rows.append(
        f"| the 7-day report as HTML from that snapshot, no server: open + collect + write | "
        f"{made['total_s']:.2f} s (opening the file {made['open_s']:.2f} s); "
        f"{len(made['missing'])} part(s) missing; peak memory {snap['peak_after_report_mb']:.0f} MB "
        f"| < {TARGET_S:.0f} s |"
    )
    rows.append(f"| (setup) writing the ledger and audit log into SQLite | {r['fill_s']:.0f} s | |")
    return rows


if __name__ == "__main__":
    print("\n".join(run()))
