"""An offline report's content, collected from the real backend, worker, Prometheus and
Alertmanager of the test stack, checked against what each of them answers itself; and
what the report says when Prometheus or the backend cannot be reached."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from console.domain.series import step_for
from console.reports import collect
from console.reports.collect import ReportSources, collect_report
from console.reports.model import Report, Section, Table
from console.services.alertmanager_client import AlertmanagerClient
from console.services.backend_client import BackendClient
from console.services.prometheus_reader import OVERVIEW_QUERIES, PrometheusReader
from taskdeck_dev.procs import LOOPBACK, ManagedProcess, free_port
from taskdeck_dev.stack import (
    running_alertmanager,
    running_backend,
    running_prometheus,
    running_redis,
    start_worker,
)
from tests.conftest import FAST_WORKLOAD, ROOMY, TOKENS, Server
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration

SYNC = "data_sync.sync_single_file"
WORKER = "testworker@taskdeck"


def run(
    backend_url: str, prometheus_url: str, alertmanager_url: str, start: float, end: float,
    sections: set[str] | None = None, progress: list[tuple[float, str]] | None = None,
) -> Report:  # fmt: skip
    async def go() -> Report:
        backend = BackendClient(backend_url, TOKENS["admin"])
        prometheus = PrometheusReader(prometheus_url, timeout_s=5.0)
        alertmanager = AlertmanagerClient(alertmanager_url)
        sources = ReportSources("test", backend, prometheus, alertmanager)
        seen = progress if progress is not None else []
        try:
            return await collect_report(
                sources, start, end, sections, lambda f, what: seen.append((f, what))
            )
        finally:
            await backend.aclose()
            await alertmanager.aclose()
            prometheus.close()

    return asyncio.run(go())


def section(report: Report, key: str) -> Section:
    return next(s for s in report.sections if s.key == key)


def table(report: Report, key: str) -> Table:
    return next(t for t in report.tables() if t.key == key)


def column(t: Table, key: str) -> list[Any]:
    index = [c.id for c in t.columns].index(key)
    return [row[index] for row in t.rows]


def figure(s: Section, label: str) -> str:
    return dict(s.figures)[label]


def submit(client: httpx.Client, file_id: str, **kwargs: Any) -> str:
    body = {"name": SYNC, "args": [file_id, "alice"], "kwargs": kwargs, "queue": "data_sync",
            "user": "alice"}  # fmt: skip
    reply = client.post("/api/v1/tasks", json=body)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["task_id"])


def state(client: httpx.Client, task_id: str) -> str | None:
    reply = client.get(f"/api/v1/tasks/{task_id}")
    return reply.json()["state"] if reply.status_code == 200 else None


def prometheus_has(url: str, query: str) -> bool:
    """Whether ``query`` has a value a second ago (a report's window ends in a whole second)."""
    params: dict[str, str | int] = {"query": query, "time": math.floor(time.time()) - 1}
    reply = httpx.get(f"{url}/api/v1/query", params=params, timeout=5)
    return reply.status_code == 200 and bool(reply.json()["data"]["result"])


@pytest.fixture(scope="module")
def window(
    celery_worker: ManagedProcess, backend_server: Server, prometheus_server: Server,
    alertmanager_server: Server,
) -> dict[str, Any]:  # fmt: skip
    """Tasks that succeed and fail, and a retry in the audit log, in a window of the last
    minute or so (its start is before the stack's Prometheus has data: the plots start late)."""
    start = time.time() - 60
    marker = uuid.uuid4().hex[:8]
    with api(backend_server.url, "admin") as admin:
        good = [submit(admin, f"r-{marker}-{n}") for n in range(5)]
        bad = [submit(admin, f"r-bad-{marker}-{n}", bogus=n) for n in range(3)]
        wait_for(lambda: all(state(admin, t) == "SUCCESS" for t in good), 30, "the successes")
        wait_for(lambda: all(state(admin, t) == "FAILURE" for t in bad), 30, "the failures")
        reason = f"report check {marker}"
        reply = admin.post(f"/api/v1/tasks/{bad[0]}/retry", json={"reason": reason})
        assert reply.status_code == 200, reply.text
        retried = reply.json()
    # Prometheus has scraped the failures and the worker (1 s scrapes).
    wait_for(lambda: prometheus_has(prometheus_server.url, "celery_task_failed_total > 0"), 20,
             "Prometheus to count a failure")  # fmt: skip
    worker_up = f'celery_worker_up{{hostname="{WORKER}"}} == 1'
    wait_for(lambda: prometheus_has(prometheus_server.url, worker_up), 20,
             "Prometheus to see the worker")  # fmt: skip
    return {"start": start, "good": good, "bad": bad, "reason": reason, "retried": retried}


def test_the_report_holds_what_each_source_says_of_the_window(
    window: dict[str, Any], backend_server: Server, prometheus_server: Server,
    alertmanager_server: Server,
) -> None:  # fmt: skip
    # The retried task may still be running: the window ends once every task in it ended.
    with api(backend_server.url, "admin") as admin:

        def ended() -> bool:
            params = {"since": window["start"], "limit": 1000}
            items = admin.get("/api/v1/tasks", params=params).json()["items"]
            return all(t["state"] in ("SUCCESS", "FAILURE", "REVOKED") for t in items)

        wait_for(ended, 30, "the tasks of the window to end")
    start, end = window["start"], time.time()
    progress: list[tuple[float, str]] = []
    began = time.monotonic()
    report = run(backend_server.url, prometheus_server.url, alertmanager_server.url, start, end,
                 progress=progress)  # fmt: skip
    took = time.monotonic() - began
    assert report.missing == (), report.missing
    assert [s.key for s in report.sections] == [
        "summary", "trends", "failures", "anomalies", "alerts", "quotas", "audit",
    ]  # fmt: skip
    assert took < 20, took
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 8

    with api(backend_server.url, "admin") as admin:
        stats = admin.get("/api/v1/stats/tasks", params={"window_s": round(end - start)}).json()
        listed: list[dict[str, Any]] = admin.get(
            "/api/v1/tasks", params={"since": start, "until": end, "limit": 1000}
        ).json()["items"]
        groups = admin.get("/api/v1/failures/groups", params={"since": start, "until": end}).json()
        workers = admin.get("/api/v1/workers").json()
        quota_rows = admin.get("/api/v1/quotas").json()

    summary = section(report, "summary")
    assert stats["failed"] >= len(window["bad"]) and stats["succeeded"] >= len(window["good"])
    assert figure(summary, "Succeeded in the window") == f"{stats['succeeded']:,}"
    assert figure(summary, "Failed in the window") == f"{stats['failed']:,}"
    rate = 100.0 * stats["failed"] / (stats["failed"] + stats["succeeded"])
    assert figure(summary, "Failure rate") == f"{rate:.1f} %"
    by_state = table(report, "tasks_by_state")
    assert dict(zip(column(by_state, "state"), column(by_state, "tasks"), strict=True)) == dict(
        Counter(t["state"] for t in listed)
    )
    queues = table(report, "busiest_queues")
    assert column(queues, "queue")[0] == "data_sync"
    assert column(queues, "tasks")[0] == sum(t["queue"] == "data_sync" for t in listed)
    workers_table = table(report, "workers")
    hosts = column(workers_table, "worker")
    assert {w["hostname"] for w in workers} <= set(hosts)
    up = column(workers_table, "up_s")[hosts.index(WORKER)]
    assert up is not None and 0 < up <= end - start

    trends = section(report, "trends")
    assert [p.key for p in trends.plots] == ["queue_depth", "task_rate", "failure_rate",
                                             "p95_runtime"]  # fmt: skip
    depth = trends.plots[0]
    assert depth.series and all(0 < len(s.points) <= 500 for s in depth.series)
    assert all(start - 15 <= t <= end for s in depth.series for t, _ in s.points)
    # Prometheus' own answer to the Overview's query, asked at the same instants.
    step = step_for(end - start, 500)
    last = math.floor(end)
    first = last - math.floor((end - start) / step) * step
    answer = httpx.get(
        f"{prometheus_server.url}/api/v1/query_range",
        params={"query": OVERVIEW_QUERIES["queue_depth"][0], "start": first, "end": last,
                "step": step},
        timeout=5,
    ).json()["data"]["result"]  # fmt: skip
    expected = {
        r["metric"]["queue_name"]: [(float(t), float(v)) for t, v in r["values"]] for r in answer
    }
    assert expected
    assert {s.name: [p for p in s.points if not math.isnan(p[1])] for s in depth.series} == (
        expected
    )

    failures = section(report, "failures")
    top = table(report, "failure_groups")
    assert column(top, "signature") == [g["signature"] for g in groups][:10]
    assert column(top, "count") == [g["count"] for g in groups][:10]
    ours = [g for g in groups if g["name"] == SYNC]
    assert ours and ours[0]["count"] >= len(window["bad"])
    assert ours[0]["signature"] in column(top, "signature")
    assert len(failures.preformatted) == len(column(top, "signature"))
    assert all("Traceback" in text for _, text in failures.preformatted)
    assert any("bogus" in text for _, text in failures.preformatted)

    audit = table(report, "audit")
    reasons = column(audit, "reason")
    assert window["reason"] in reasons
    row = audit.rows[reasons.index(window["reason"])]
    assert row[1:4] == ("admin-user", "admin", "retry")
    assert window["bad"][0] in str(row[4])
    assert all(start <= at < end for at in column(audit, "at"))

    quotas = table(report, "quotas")
    assert quota_rows
    assert {(r[0], r[1], r[2]) for r in quotas.rows} == {
        (q["user"], q["used"], q["limit"]) for q in quota_rows
    }

    # The alerts fired: those Prometheus' own ALERTS series shows in the window.
    answer = httpx.get(
        f"{prometheus_server.url}/api/v1/query_range",
        params={"query": f'max_over_time(ALERTS{{alertstate="firing"}}[{step:.0f}s])',
                "start": first, "end": last,
                "step": step},
        timeout=5,
    ).json()["data"]["result"]  # fmt: skip
    firing = {r["metric"]["alertname"] for r in answer}
    assert set(column(table(report, "alerts"), "alert")) == firing
    assert table(report, "silences").columns[0].id == "matchers"


def test_without_prometheus_the_report_says_so_and_holds_the_rest(
    window: dict[str, Any], backend_server: Server, alertmanager_server: Server
) -> None:
    dead = f"http://{LOOPBACK}:{free_port(LOOPBACK)}"
    report = run(backend_server.url, dead, alertmanager_server.url, window["start"], time.time())
    assert report.missing
    assert all(dead in m for m in report.missing), report.missing
    assert any("trend plots are not in this report" in m for m in report.missing)
    trends = section(report, "trends")
    assert trends.plots == () and trends.missing
    assert figure(section(report, "summary"), "Failed in the window") != "0"
    assert window["reason"] in column(table(report, "audit"), "reason")
    assert table(report, "failure_groups").rows
    assert section(report, "failures").preformatted


def test_without_the_backend_the_report_says_so_and_holds_prometheus_trends(
    window: dict[str, Any], prometheus_server: Server, alertmanager_server: Server
) -> None:
    dead = f"http://{LOOPBACK}:{free_port(LOOPBACK)}"
    report = run(dead, prometheus_server.url, alertmanager_server.url, window["start"],
                 time.time(), sections={"summary", "trends", "audit", "failures"})  # fmt: skip
    assert [s.key for s in report.sections] == ["summary", "trends", "failures", "audit"]
    assert report.missing and all(f"backend at {dead}" in m for m in report.missing)
    assert section(report, "audit").tables == () and section(report, "audit").missing
    assert section(report, "failures").missing
    assert all(p.series for p in section(report, "trends").plots[:1])
    assert WORKER in column(table(report, "workers"), "worker")  # from Prometheus alone


def test_cancelling_the_collection_cancels_it(
    window: dict[str, Any], backend_server: Server, prometheus_server: Server,
    alertmanager_server: Server,
) -> None:  # fmt: skip
    async def go() -> None:
        backend = BackendClient(backend_server.url, TOKENS["admin"])
        prometheus = PrometheusReader(prometheus_server.url)
        alertmanager = AlertmanagerClient(alertmanager_server.url)
        sources = ReportSources("test", backend, prometheus, alertmanager)
        try:
            task = asyncio.create_task(collect_report(sources, window["start"], time.time()))
            await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert task.cancelled()
        finally:
            await backend.aclose()
            await alertmanager.aclose()
            prometheus.close()

    asyncio.run(go())


def test_a_worker_stopped_and_started_again_is_an_alert_with_its_duration_and_a_return(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A stack of its own (a worker is stopped here): the backend marks a worker offline
    after 3 s without heartbeats, and CeleryWorkerDown fires after 6 s down."""
    run_dir = tmp_path_factory.mktemp("report-alerts")
    name = "reportworker"
    host = f"{name}@taskdeck"
    with contextlib.ExitStack() as started:  # stopped in reverse order
        redis = started.enter_context(running_redis(run_dir))
        backend = started.enter_context(running_backend(
            run_dir, redis.url, {**ROOMY, "TASKDECK_WORKER_TIMEOUT_S": "3"}))  # fmt: skip
        alertmanager = started.enter_context(running_alertmanager(run_dir))
        prometheus = started.enter_context(running_prometheus(
            run_dir, backend, alertmanager, interval="1s", rules_factor=0.05))  # fmt: skip
        start = time.time()
        silence = {
            "matchers": [{"name": "alertname", "value": "ReportCheck", "isRegex": False,
                          "isEqual": True}],
            "startsAt": datetime.fromtimestamp(start, UTC).isoformat(),
            "endsAt": datetime.fromtimestamp(start + 3600, UTC).isoformat(),
            "createdBy": "report-check", "comment": "silenced for the report",
        }  # fmt: skip
        reply = httpx.post(f"{alertmanager.url}/api/v2/silences", json=silence, timeout=5)
        assert reply.status_code == 200, reply.text
        worker = start_worker(run_dir, redis.url, name, concurrency=1, env=FAST_WORKLOAD)
        started.callback(lambda: worker.stop())
        up = f'celery_worker_up{{hostname="{host}"}} == 1'
        wait_for(lambda: prometheus_has(prometheus.url, up), 30, "the worker up")
        worker.stop()
        firing = f'ALERTS{{alertname="CeleryWorkerDown", alertstate="firing", hostname="{host}"}}'
        wait_for(lambda: prometheus_has(prometheus.url, firing), 30, "CeleryWorkerDown")
        seen_firing = time.time()
        worker = start_worker(run_dir, redis.url, name, concurrency=1, env=FAST_WORKLOAD)
        wait_for(lambda: not prometheus_has(prometheus.url, firing), 30, "the alert to resolve")
        resolved = time.time()
        wait_for(lambda: prometheus_has(prometheus.url, up), 30, "the worker up again")
        end = time.time()
        report = run(backend.url, prometheus.url, alertmanager.url, start, end,
                     sections={"summary", "alerts"})  # fmt: skip

    assert report.missing == (), report.missing
    step = step_for(end - start, 500)
    alerts = table(report, "alerts")
    rows = [
        r for r in alerts.rows if r[0] == "CeleryWorkerDown" and f"hostname={host}" in str(r[2])
    ]
    assert len(rows) == 1, alerts.rows
    _alert, severity, _labels, began, ended, duration = rows[0]
    assert severity == "critical"
    assert isinstance(began, float) and isinstance(ended, float) and isinstance(duration, float)
    assert start <= began <= seen_firing <= ended <= resolved + step
    assert duration == pytest.approx(ended - began)
    silences = table(report, "silences")
    assert len(silences.rows) == 1
    matchers, by, comment, starts, ends, state = silences.rows[0]
    assert (matchers, by, comment, state) == (
        "alertname=ReportCheck",
        "report-check",
        "silenced for the report",
        "active",
    )
    assert starts == pytest.approx(start, abs=1) and ends == pytest.approx(start + 3600, abs=1)
    workers = table(report, "workers")
    row = workers.rows[column(workers, "worker").index(host)]
    assert row[column_index(workers, "restarts")] == 1
    assert row[column_index(workers, "status")] == "online"
    up_s = row[column_index(workers, "up_s")]
    assert isinstance(up_s, float) and 0 < up_s < end - start


def column_index(t: Table, key: str) -> int:
    return [c.id for c in t.columns].index(key)


# This module's own ``backend`` (tests/conftest.py): a user with a small limit, in short
# buckets, so hammering it is soon an anomaly.
HAMMER_TIERS = {
    "normal": {"default": 50, "data_sync": 6, "auth": 5},
    "premium": {"default": 50, "data_sync": 200, "auth": 5},
    "admin": {"default": 500, "data_sync": 500, "auth": 50},
}


@pytest.fixture(scope="module")
def backend_env() -> dict[str, str]:
    return {
        **ROOMY,
        "TASKDECK_RATELIMIT_TIERS": json.dumps(HAMMER_TIERS),
        "TASKDECK_USER_TIERS": "steady-a:premium,steady-b:premium",
        "TASKDECK_RATELIMIT_WINDOW_S": "4",
        "TASKDECK_RATELIMIT_BUCKET_S": "3",
    }


def test_an_anomaly_seen_in_the_window_is_listed_with_its_evidence_plotted(
    backend: Server,
) -> None:
    start = time.time()
    subject = "user:hammer-user"
    body = {"name": SYNC, "queue": "data_sync", "user": "hammer-user"}
    with api(backend.url, "admin") as admin, api(backend.url, "support") as support:

        def anomaly() -> dict[str, Any] | None:
            for item in admin.get("/api/v1/ratelimits/anomalies").json():
                if item["kind"] == "key_rejections" and item["subject"] == subject:
                    return dict(item)
            return None

        deadline = time.monotonic() + 20
        while anomaly() is None:
            assert time.monotonic() < deadline, "no anomaly for a user far over the limit"
            for _ in range(20):
                support.post("/api/v1/tasks", json={**body, "args": [uuid.uuid4().hex, "h"]})
        before = anomaly()
        dead = f"http://{LOOPBACK}:{free_port(LOOPBACK)}"
        report = run(backend.url, dead, dead, start, time.time(), sections={"anomalies"})
        after = anomaly()
    listed = table(report, "anomalies")
    subjects = column(listed, "subject")
    assert subject in subjects
    row = listed.rows[subjects.index(subject)]
    assert row[0] == "Key far above its own rejections"
    assert isinstance(row[2], float) and row[2] >= 4
    plot = next(p for p in report.plots() if p.title.endswith(subject))
    series = {s.name: s.points for s in plot.series}
    assert set(series) == {"rejections", "requests", "baseline of rejections"}
    # As the backend held it just before or just after (a bucket may end in between).
    held = next(
        a for a in (before, after)
        if a and [v for _, v in series["rejections"]] == a["evidence"]["rejections_per_bucket"]
    )  # fmt: skip
    evidence = held["evidence"]
    assert [v for _, v in series["requests"]] == evidence["requests_per_bucket"]
    times = [t for t, _ in series["requests"]]
    assert times[-1] == held["last_seen"]
    assert all(b - a == 3 for a, b in zip(times, times[1:], strict=False))
    assert {v for _, v in series["baseline of rejections"]} == {evidence["baseline_mean"]}
    assert section(report, "anomalies").missing  # no Prometheus: no rejections' trend


def test_counts_cut_at_the_most_read_say_at_least_and_give_no_rate(
    window: dict[str, Any], backend_server: Server, prometheus_server: Server,
    alertmanager_server: Server, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # A report reads at most TASKS_MAX tasks per question: lowered here to 2 (pages of 2),
    # the window's 5 successes and 3 failures are more than it counts.
    monkeypatch.setattr(collect, "TASKS_MAX", 2)
    monkeypatch.setattr(collect, "PAGE", 2)
    end = time.time() - 10  # not "ending now": counted from the ledger's list
    report = run(backend_server.url, prometheus_server.url, alertmanager_server.url,
                 window["start"], end, {"summary"})  # fmt: skip
    summary = section(report, "summary")
    assert figure(summary, "Succeeded in the window") == "at least 2"
    assert figure(summary, "Failed in the window") == "at least 2"
    assert figure(summary, "Tasks created in the window") == "at least 2"
    assert figure(summary, "Failure rate") == "–", "2 of each is no 50 % failure rate"
    assert any("failure rate is not given" in p for p in summary.paragraphs)
