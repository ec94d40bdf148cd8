"""The Grafana dashboard (monitoring/grafana/taskdeck.json): its structure, its agreement
with the console's and the rules' expressions, and every panel's query answered with data
by a real Prometheus scraping a real backend after real traffic."""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from console.services.prometheus_reader import OVERVIEW_QUERIES
from taskdeck_dev.procs import ManagedProcess
from taskdeck_dev.stack import running_prometheus, start_worker
from tests.conftest import DATA_SYNC_SYSTEM, FAST_WORKLOAD, TOKENS_ENV, Server
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "monitoring" / "grafana" / "taskdeck.json"
RULES = ROOT / "monitoring" / "prometheus" / "rules" / "taskdeck.rules.yml"

PANEL_TYPES = {"timeseries", "stat", "gauge", "bargauge", "table", "text", "row"}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Panels that show what the console's Overview plots show: the same query, the same legend.
CONSOLE_PANELS = {
    "Task rate by state": "task_rate",
    "Failure rate": "failure_rate",
    "p95 runtime": "p95_runtime",
    "Queue depth": "queue_depth",
}
CONSOLE_LEGENDS = {"failure_rate": "failure rate", "p95_runtime": "p95"}
# Panels that show what an alert rule compares with its threshold.
RULE_PANELS = {
    "Failure rate by task": "HighCeleryTaskFailureRate",
    "p95 runtime by task": "HighCeleryTaskExecutionTime",
    "Queue depth": "HighCeleryQueueLength",
    "Rate-limit anomalies by kind": "RateLimitAnomaly",
}

SCRAPE_TOKEN = "dashboard-scrape-token-0123456789"
SCRAPE_S = 1  # this module's Prometheus scrapes every second
WINDOW_S = 300  # the range queries: the last five minutes, a point every STEP_S
STEP_S = 5
SYNC = "data_sync.sync_single_file"
FLOODER = "dash-flood"  # the normal tier: FLOOD_LIMIT data-sync requests per window
FLOOD_LIMIT = 3


def load_dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def dashboard_problems(dash: Any) -> list[str]:
    """What keeps ``dash`` from being a Grafana dashboard model this project accepts."""
    if not isinstance(dash, dict):
        return ["the dashboard is not an object"]
    problems = []
    for key, kind in (("title", str), ("uid", str)):
        if not isinstance(dash.get(key), kind) or not dash[key]:
            problems.append(f"{key} is missing or not a non-empty string")
    version = dash.get("schemaVersion")
    if type(version) is not int or version < 36:
        problems.append(f"schemaVersion {version!r} is not an int of at least 36")
    variables = dash.get("templating", {}).get("list")
    if not isinstance(variables, list):
        problems.append("templating.list is missing")
        variables = []
    names = [v.get("name") for v in variables if isinstance(v, dict)]
    if len(names) != len(set(names)):
        problems.append(f"template variables repeat a name: {names}")
    source = next((v for v in variables if v.get("name") == "datasource"), None)
    if source is None or source.get("type") != "datasource" or source.get("query") != "prometheus":
        problems.append("no template variable 'datasource' of type datasource, query prometheus")
    for var in variables:
        if var.get("type") == "query" and var.get("datasource") != DATASOURCE:
            problems.append(f"variable {var.get('name')} does not read ${{datasource}}")
    panels = dash.get("panels")
    if not isinstance(panels, list) or not panels:
        return [*problems, "panels is missing or empty"]
    ids = [p.get("id") for p in panels if isinstance(p, dict)]
    if len(ids) != len(panels) or len(set(ids)) != len(ids) or not all(type(i) is int for i in ids):
        problems.append(f"panel ids are not unique ints: {ids}")
    for panel in panels:
        problems.extend(panel_problems(panel))
    return problems


def panel_problems(panel: Any) -> list[str]:
    if not isinstance(panel, dict):
        return ["a panel is not an object"]
    where = f"panel {panel.get('id')} ({panel.get('title')!r})"
    problems = []
    if not isinstance(panel.get("title"), str) or not panel["title"]:
        problems.append(f"{where}: no title")
    if panel.get("type") not in PANEL_TYPES:
        problems.append(f"{where}: type {panel.get('type')!r} is not one of {sorted(PANEL_TYPES)}")
    grid = panel.get("gridPos")
    if not isinstance(grid, dict) or not all(type(grid.get(k)) is int for k in "xywh"):
        problems.append(f"{where}: gridPos has not x, y, w and h as ints")
    elif not (
        grid["x"] >= 0 and grid["y"] >= 0 and grid["w"] >= 1 and grid["h"] >= 1
        and grid["x"] + grid["w"] <= 24
    ):  # fmt: skip
        problems.append(f"{where}: gridPos {grid} is not within 24 columns")
    if panel.get("type") in ("row", "text"):
        return problems
    if panel.get("datasource") != DATASOURCE:
        problems.append(f"{where}: datasource is {panel.get('datasource')!r}, not ${{datasource}}")
    targets = panel.get("targets")
    if not isinstance(targets, list) or not targets:
        return [*problems, f"{where}: no targets"]
    ref_ids = [t.get("refId") for t in targets if isinstance(t, dict)]
    if len(ref_ids) != len(targets) or len(set(ref_ids)) != len(ref_ids):
        problems.append(f"{where}: refIds are not unique: {ref_ids}")
    for target in targets:
        if not isinstance(target, dict):
            continue
        if not isinstance(target.get("refId"), str) or not target["refId"]:
            problems.append(f"{where}: a target has no refId")
        if not isinstance(target.get("expr"), str) or not target["expr"].strip():
            problems.append(f"{where}: target {target.get('refId')} has no expr")
        if target.get("datasource", DATASOURCE) != DATASOURCE:
            problems.append(f"{where}: target {target.get('refId')} reads another datasource")
    return problems


def overlaps(panels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    cells: dict[tuple[int, int], str] = {}
    found = []
    for panel in panels:
        g = panel["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    found.append((cells[(x, y)], panel["title"]))
                cells[(x, y)] = panel["title"]
    return found


def rule_expressions() -> dict[str, str]:
    """Each alert's expression without its threshold, its whitespace made single spaces."""
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return {
        rule["alert"]: re.sub(r"\s*(>=|>|==)\s*[0-9.]+$", "", " ".join(rule["expr"].split()))
        for group in groups
        for rule in group["rules"]
    }


def targets() -> list[tuple[str, str, str]]:
    """(panel title, refId, expr) of every target of every panel."""
    return [
        (panel["title"], target["refId"], target["expr"])
        for panel in load_dashboard()["panels"]
        for target in panel.get("targets", [])
    ]


def grafana_expr(expr: str, queue: str = ".+") -> str:
    """``expr`` with Grafana's variables replaced as Grafana does for a range of WINDOW_S
    at STEP_S, with a data source whose scrape interval is SCRAPE_S, and ``queue`` the
    queue variable's value (".+", its All)."""
    interval = max(STEP_S, SCRAPE_S)
    rate_interval = max(interval + SCRAPE_S, 4 * SCRAPE_S)
    for name, value in (
        ("__rate_interval", f"{rate_interval}s"),
        ("__interval_ms", str(interval * 1000)),
        ("__interval", f"{interval}s"),
        ("__range_s", str(WINDOW_S)),
        ("__range", f"{WINDOW_S}s"),
        ("queue", queue),
    ):
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    assert "$" not in expr, f"a variable is left unreplaced in {expr}"
    return expr


# --- structure, and agreement with the console and the rules: no servers ---------------


def test_the_dashboard_is_a_grafana_dashboard_model() -> None:
    dash = load_dashboard()
    assert dashboard_problems(dash) == []
    assert not overlaps(dash["panels"])
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["queue"]["definition"] == "label_values(celery_queue_length, queue_name)"
    # Every panel has a unit, so Grafana does not guess one.
    for panel in dash["panels"]:
        assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]


def test_the_validator_finds_what_a_broken_dashboard_lacks() -> None:
    dash = load_dashboard()
    dash["schemaVersion"] = "39"
    dash["templating"]["list"] = [v for v in dash["templating"]["list"] if v["name"] != "queue"]
    first, second = dash["panels"][0], dash["panels"][1]
    second["id"] = first["id"]
    first["type"] = "graph"
    first["gridPos"]["x"] = 20
    first["gridPos"]["w"] = 6
    first["datasource"] = {"type": "prometheus", "uid": "prod"}
    del second["targets"][0]["refId"]
    second["targets"][0]["expr"] = " "
    del dash["templating"]["list"][0]
    problems = "\n".join(dashboard_problems(dash))
    for part in (
        "schemaVersion '39'",
        "no template variable 'datasource'",
        "panel ids are not unique",
        "type 'graph'",
        "not within 24 columns",
        "not ${datasource}",
        "has no refId",
        "has no expr",
    ):
        assert part in problems
    assert dashboard_problems([]) == ["the dashboard is not an object"]


def test_panels_that_show_the_console_overview_use_its_queries() -> None:
    panels = {p["title"]: p for p in load_dashboard()["panels"]}
    assert set(CONSOLE_PANELS.values()) == set(OVERVIEW_QUERIES), (
        "a console Overview query has no panel here"
    )
    for title, name in CONSOLE_PANELS.items():
        query, legend = OVERVIEW_QUERIES[name]
        [target] = panels[title]["targets"]
        assert target["expr"] == query, title
        expected = f"{{{{{legend}}}}}" if legend else CONSOLE_LEGENDS[name]
        assert target["legendFormat"] == expected, title


def test_panels_that_show_a_rule_use_its_expression() -> None:
    panels = {p["title"]: p for p in load_dashboard()["panels"]}
    rules = rule_expressions()
    for title, alert in RULE_PANELS.items():
        [target] = panels[title]["targets"]
        assert " ".join(target["expr"].split()) == rules[alert], title


# --- every query against a real Prometheus -------------------------------------------


@pytest.fixture(scope="module")
def backend_env() -> dict[str, str]:
    """This module's ``backend`` (tests/conftest.py): a scrape token, so Prometheus sees the
    per-user quota series, and a data-sync limit FLOODER reaches."""
    return {
        "TASKDECK_TOKENS": TOKENS_ENV,
        **DATA_SYNC_SYSTEM,
        "TASKDECK_METRICS_TOKEN": SCRAPE_TOKEN,
        "TASKDECK_QUOTA_DEFAULT": "100",
        "TASKDECK_RATELIMIT_TIERS": "{"
        f'"normal": {{"default": 1000, "data_sync": {FLOOD_LIMIT}, "auth": 100}},'
        ' "premium": {"default": 1000, "data_sync": 1000, "auth": 100},'
        ' "admin": {"default": 1000, "data_sync": 1000, "auth": 100}}',
        "TASKDECK_USER_TIERS": f"dash-user:premium,{FLOODER}:normal",
        "TASKDECK_RATELIMIT_WINDOW_S": "60",
    }


@pytest.fixture(scope="module")
def prometheus(stack_dir: Path, backend: Server) -> Iterator[Server]:
    with running_prometheus(
        stack_dir, backend, None, interval=f"{SCRAPE_S}s", metrics_token=SCRAPE_TOKEN
    ) as server:
        yield server


@pytest.fixture(scope="module")
def worker(stack_dir: Path, broker: Server) -> Iterator[ManagedProcess]:
    proc = start_worker(stack_dir, broker.url, "dashworker", concurrency=2, env=FAST_WORKLOAD)
    try:
        yield proc
    finally:
        proc.stop()


def query_range(prom: str, expr: str) -> dict[str, Any]:
    end = time.time()
    reply = httpx.get(
        f"{prom}/api/v1/query_range",
        params={"query": expr, "start": end - WINDOW_S, "end": end, "step": STEP_S},
        timeout=10,
    )
    body: dict[str, Any] = reply.json()
    return body


def finite_series(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s for s in body["data"]["result"] if any(math.isfinite(float(v)) for _t, v in s["values"])
    ]


@pytest.fixture(scope="module")
def traffic(prometheus: Server, backend: Server, worker: ManagedProcess) -> str:
    """Tasks that succeed and fail, run by the worker, and requests the rate limit refuses,
    in two rounds: Prometheus takes a series' first sample as its start, so the rates see
    only what moves after it; once it has scraped both rounds, its URL."""

    def scraped(expr: str) -> bool:
        return bool(finite_series(query_range(prometheus.url, expr)))

    with api(backend.url, "support") as client:

        def submit(user: str, broken: bool = False) -> int:
            return client.post("/api/v1/tasks", json={
                "name": SYNC, "args": [f"f-{uuid.uuid4().hex[:8]}", user],
                "queue": "data_sync", "user": user,
                # An argument the task does not take fails it.
                **({"kwargs": {"broken": True}} if broken else {})}).status_code  # fmt: skip

        assert [submit("dash-user"), submit("dash-user", broken=True)] == [202, 202]
        codes = [submit(FLOODER) for _ in range(FLOOD_LIMIT + 1)]
        assert codes == [202] * FLOOD_LIMIT + [429], codes
        for expr in (
            "celery_task_failed_total",
            "celery_task_succeeded_total",
            "taskdeck_ratelimit_rejections_total",
            "taskdeck_quota_used",
        ):
            wait_for(partial(scraped, expr), 30, f"Prometheus to scrape {expr}", interval=0.2)
        codes = [submit("dash-user", broken=n % 2 == 1) for n in range(4)]
        assert codes == [202] * 4 and submit(FLOODER) == 429
    for counter in (
        "celery_task_failed_total",
        "celery_task_succeeded_total",
        "taskdeck_ratelimit_rejections_total",
    ):
        expr = f"sum(increase({counter}[1m])) > 0"
        wait_for(partial(scraped, expr), 30, f"Prometheus to see {counter} move", interval=0.2)
    return prometheus.url


@pytest.mark.parametrize(("title", "ref_id", "expr"), targets(), ids=lambda v: str(v)[:40])
def test_every_panel_query_returns_data(traffic: str, title: str, ref_id: str, expr: str) -> None:
    query = grafana_expr(expr)
    answers: list[dict[str, Any]] = []

    def has_data() -> bool:
        answers.append(query_range(traffic, query))
        return answers[-1].get("status") == "success" and bool(finite_series(answers[-1]))

    # The rates need two scrapes after a counter moved; most answer at once.
    wait_for(has_data, 15, f"{title} ({ref_id}) to return data: {query}", interval=0.5)
    assert answers[-1]["data"]["resultType"] == "matrix"


def test_the_queue_variable_lists_the_queues_and_narrows_the_panels(traffic: str) -> None:
    reply = httpx.get(
        f"{traffic}/api/v1/label/queue_name/values",
        params={"match[]": "celery_queue_length"},
        timeout=10,
    ).json()
    assert reply["status"] == "success"
    assert {"data_sync", "default", "scheduled"} <= set(reply["data"])
    [priority] = [t for t in targets() if t[0] == "Queue length by priority"]
    one = finite_series(query_range(traffic, grafana_expr(priority[2], queue="data_sync")))
    every = finite_series(query_range(traffic, grafana_expr(priority[2])))
    assert one and {s["metric"]["queue_name"] for s in one} == {"data_sync"}
    assert {s["metric"]["queue_name"] for s in every} >= {"data_sync", "default", "scheduled"}
