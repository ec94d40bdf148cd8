"""The Rate limits page against a real broker, backend and Prometheus with tight limits: an
anomaly the test provokes is listed with its evidence, the test's own rejections are in the
latest rejections, the tiers are those the backend has, and a backend that does not answer
is said so. What the page shows is checked against the backend's /api/v1/ratelimits.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pytestqt.qtbot import QtBot

from console.controllers.ratelimits_controller import RateLimitsController
from console.models.anomaly_evidence import BASELINE_SERIES, BASELINE_SHARE_SERIES, SHARE_SERIES
from console.models.format import number
from console.services.backend_client import BackendClient
from console.services.prometheus_reader import PrometheusReader
from console.views.ratelimits_page import RateLimitsPage
from taskdeck_core.api_types import Anomaly, Rejection
from taskdeck_core.net import LOOPBACK, free_port
from taskdeck_dev.stack import running_prometheus
from tests.conftest import TOKENS, TOKENS_ENV, Server
from tests.console.conftest import run_coro
from tests.fault_proxy import fault_proxy
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration
WAIT_MS = 30_000
BUCKET_S = 3  # an anomaly stays listed 5 buckets after it was last seen
# The page reads the backend every second (the console's default is 5 s): an anomaly is
# listed for 5 buckets (15 s) after its own, and the first test must see the page show two
# of them, one after the other, within that time, on a loaded machine too.
REFRESH_S = 1.0
TIERS = {
    "normal": {"default": 50, "data_sync": 6, "auth": 5},
    "premium": {"default": 50, "data_sync": 200, "auth": 5},
    "admin": {"default": 500, "data_sync": 500, "auth": 50},
}
SYNC = "data_sync.sync_single_file"
# Users of their own tokens, all calling from one address.
CROWD = {f"crowd-{n}": f"crowd-token-{n}-0123456789" for n in range(6)}


@pytest.fixture(scope="module")
def backend_env() -> dict[str, str]:
    """This module's ``backend`` (tests/conftest.py): small limits, a short window and
    buckets, metrics open to its Prometheus."""
    return {
        "TASKDECK_TOKENS": ",".join([TOKENS_ENV, *(f"{u}:support:{t}" for u, t in CROWD.items())]),
        "TASKDECK_RATELIMIT_TIERS": json.dumps(TIERS),
        "TASKDECK_USER_TIERS": "steady-a:premium,steady-b:premium,mallory:normal",
        "TASKDECK_RATELIMIT_WINDOW_S": "4",
        "TASKDECK_RATELIMIT_BUCKET_S": str(BUCKET_S),
        "TASKDECK_QUOTA_DEFAULT": "100000",
        "TASKDECK_METRICS_OPEN": "1",
    }


@pytest.fixture(scope="module")
def prometheus(stack_dir: Any, backend: Server) -> Iterator[Server]:
    with running_prometheus(stack_dir, backend, None, interval="1s") as server:
        yield server


@pytest.fixture
def admin(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url, "admin") as client:
        yield client


@pytest.fixture
def support(backend: Server) -> Iterator[httpx.Client]:
    with api(backend.url, "support") as client:
        yield client


def submit(client: httpx.Client, user: str) -> int:
    reply = client.post(
        "/api/v1/tasks",
        json={"name": SYNC, "args": [f"f-{uuid.uuid4().hex[:8]}", user], "queue": "data_sync",
              "user": user},
    )  # fmt: skip
    return reply.status_code


def opened(
    qtbot: QtBot, backend_url: str, prometheus_url: str
) -> tuple[RateLimitsPage, RateLimitsController, BackendClient, PrometheusReader]:
    client = BackendClient(backend_url, TOKENS["admin"])
    reader = PrometheusReader(prometheus_url)
    controller = RateLimitsController(client, reader, refresh_s=REFRESH_S)
    page = RateLimitsPage()
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.attach(controller)
    page.show()
    return page, controller, client, reader


@pytest.fixture
def page(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, prometheus: Server
) -> Iterator[RateLimitsPage]:
    shown, controller, client, reader = opened(qtbot, backend.url, prometheus.url)
    yield shown
    run_coro(qtbot, controller.aclose())
    run_coro(qtbot, client.aclose())
    reader.close()


def api_anomaly(admin: httpx.Client, kind: str, subject: str) -> Anomaly | None:
    for item in admin.get("/api/v1/ratelimits/anomalies").json():
        if item["kind"] == kind and item["subject"] == subject:
            return Anomaly.model_validate(item)
    return None


def test_a_user_hammering_an_endpoint_is_an_anomaly_shown_with_its_evidence(
    qtbot: QtBot, page: RateLimitsPage, admin: httpx.Client, support: httpx.Client
) -> None:
    subject = "user:hammer-user"
    # The burst starts with a bucket, so the detector (every bucket/4) judges it within that
    # bucket against an empty baseline, and both of its anomalies are last seen together. A
    # burst squeezed between the detector's last look at a bucket and that bucket's end
    # would be judged only in the next one, against a baseline share it made itself: no
    # endpoint anomaly at all.
    wait_for(lambda: time.time() % BUCKET_S < 0.5, BUCKET_S + 1, "a bucket to start", 0.01)
    refused = sum(submit(support, "hammer-user") == 429 for _ in range(20))
    assert refused > 5

    def both_listed() -> bool:
        return (
            api_anomaly(admin, "key_rejections", subject) is not None
            and api_anomaly(admin, "endpoint_rejection_share", "data_sync") is not None
        )

    wait_for(both_listed, 20, "the anomalies of a user far over the limit")
    # One address acting as many users.
    for user, token in CROWD.items():
        with httpx.Client(base_url=str(admin.base_url), timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as crowd_client:  # fmt: skip
            assert submit(crowd_client, user) == 202
    page.select_anomaly("key_rejections", subject)

    def same_as_backend() -> bool:
        shown = page.anomaly
        return shown is not None and shown == api_anomaly(admin, "key_rejections", subject)

    # The backend's answer stops changing once the bucket the key hammered in is over.
    qtbot.waitUntil(same_as_backend, timeout=WAIT_MS)
    shown = page.anomaly
    assert shown is not None and shown.score >= 4
    assert shown.first_seen <= shown.last_seen
    key = f"key_rejections|{subject}"
    row = page.anomalies.row_of(key)
    assert row is not None
    assert page.anomalies.proxy.index(row, 1).data() == subject
    evidence = shown.evidence
    assert set(page.evidence_keys()) == {"rejections", "requests", BASELINE_SERIES}
    rejections = page.evidence.curve("rejections").yData
    requests = page.evidence.curve("requests").yData
    assert list(rejections) == evidence["rejections_per_bucket"]
    assert list(requests) == evidence["requests_per_bucket"]
    assert sum(rejections) > 0 and rejections[-1] <= requests[-1]
    baseline = page.evidence.curve(BASELINE_SERIES).yData
    assert set(baseline) == {evidence["baseline_mean"]}
    times = page.evidence.curve("requests").xData
    assert times[-1] == shown.last_seen and times[-1] - times[-2] == BUCKET_S
    assert f"{number(evidence['baseline_std'], 2)}" in page.facts.text()

    # The endpoint's share of 429s, against its own baseline share.
    page.select_anomaly("endpoint_rejection_share", "data_sync")

    def share_as_backend() -> bool:
        shown = page.anomaly
        return shown is not None and shown == api_anomaly(
            admin, "endpoint_rejection_share", "data_sync"
        )

    qtbot.waitUntil(share_as_backend, timeout=WAIT_MS)
    endpoint = page.anomaly
    assert endpoint is not None
    assert page.evidence_keys() == [SHARE_SERIES, BASELINE_SHARE_SERIES]
    share = page.evidence.curve(SHARE_SERIES).yData
    rejected, sent = (
        endpoint.evidence["rejected_per_bucket"],
        endpoint.evidence["requests_per_bucket"],
    )
    assert (
        share[-1] == rejected[-1] / sent[-1] and round(share[-1], 3) == endpoint.evidence["share"]
    )
    assert set(page.evidence.curve(BASELINE_SHARE_SERIES).yData) == {
        endpoint.evidence["baseline_share"]
    }

    # The address's users are listed, as the backend has them.
    qtbot.waitUntil(lambda: api_anomaly(admin, "ip_many_users", f"ip:{LOOPBACK}") is not None,
                    timeout=WAIT_MS)  # fmt: skip
    page.select_anomaly("ip_many_users", f"ip:{LOOPBACK}")

    def users_as_backend() -> bool:
        crowd = api_anomaly(admin, "ip_many_users", f"ip:{LOOPBACK}")
        return crowd is not None and page.evidence_items() == crowd.evidence["distinct_users"]

    qtbot.waitUntil(users_as_backend, timeout=WAIT_MS)
    assert set(CROWD) <= set(page.evidence_items())
    assert page.evidence_keys() == []
    assert page.evidence_list.isVisibleTo(page)

    # Prometheus counts the rejections per tier and endpoint.
    def plotted() -> bool:
        return "normal / data_sync" in page.trend.keys()

    qtbot.waitUntil(plotted, timeout=WAIT_MS)
    assert page.trend.message_text() == ""


def test_the_latest_rejections_show_the_tests_own(
    qtbot: QtBot, page: RateLimitsPage, admin: httpx.Client, support: httpx.Client
) -> None:
    user = f"burst-{uuid.uuid4().hex[:6]}"
    codes = [submit(support, user) for _ in range(10)]
    assert codes.count(429) >= 4

    def of_user(rows: list[Rejection]) -> list[tuple[float, str, str, str, str]]:
        return sorted(
            (r.ts, r.key, r.tier, r.endpoint, r.ip) for r in rows if r.key == f"user:{user}"
        )

    def api_rows() -> list[tuple[float, str, str, str, str]]:
        events = admin.get("/api/v1/ratelimits/events", params={"limit": 100}).json()
        return of_user([Rejection.model_validate(e) for e in events])

    expected = api_rows()
    assert len(expected) == codes.count(429)
    qtbot.waitUntil(lambda: of_user(page.rejections_model.rejections()) == expected,
                    timeout=WAIT_MS)  # fmt: skip
    assert {row[2:4] for row in expected} == {("normal", "data_sync")}


def test_the_tiers_are_the_backends(
    qtbot: QtBot, page: RateLimitsPage, admin: httpx.Client
) -> None:
    config = admin.get("/api/v1/ratelimits/config").json()
    qtbot.waitUntil(lambda: bool(page.tier_rows()), timeout=WAIT_MS)
    rows = page.tier_rows()
    assert set(rows) == set(config["tiers"])
    for tier, limits in config["tiers"].items():
        for endpoint in config["endpoint_classes"]:
            assert rows[tier][endpoint] == number(limits[endpoint])
        users = {u for u, t in config["user_tiers"].items() if t == tier}
        shown = rows[tier]["Users"]
        assert (set(shown.split(", ")) if users else {shown}) == (users or {"—"})
    assert rows["normal"]["data_sync"] == "6" and "mallory" in rows["normal"]["Users"]
    assert "4 s" in page.tiers_heading.text()


def test_a_backend_that_does_not_answer_is_said_so(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop
) -> None:
    closed = f"http://{LOOPBACK}:{free_port()}"
    shown, controller, client, reader = opened(qtbot, closed, f"http://{LOOPBACK}:{free_port()}")
    statuses: list[str] = []
    shown.status.connect(statuses.append)
    try:
        qtbot.waitUntil(lambda: shown.message_text() != "", timeout=WAIT_MS)
        text = shown.message_text()
        assert text.startswith("The rate limits could not be read")
        assert f"cannot reach the backend at {closed}" in text
        assert statuses == [text]
        qtbot.waitUntil(lambda: shown.trend.message_text() != "", timeout=WAIT_MS)
        assert "failed" in shown.trend.message_text()
        assert shown.anomalies_model.rowCount() == 0
    finally:
        run_coro(qtbot, controller.aclose())
        run_coro(qtbot, client.aclose())
        reader.close()


def test_a_backend_gone_away_is_said_so_and_the_message_goes_when_it_answers(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, backend: Server, prometheus: Server
) -> None:
    with fault_proxy(backend.url) as proxy:
        shown, controller, client, reader = opened(qtbot, proxy.url, prometheus.url)
        try:
            qtbot.waitUntil(lambda: bool(shown.tier_rows()), timeout=WAIT_MS)
            tiers = shown.tier_rows()
            proxy.down = True
            controller.refresh()
            qtbot.waitUntil(lambda: shown.message_text() != "", timeout=WAIT_MS)
            assert shown.message_text().startswith("The rate limits could not be read")
            assert shown.tier_rows() == tiers  # what was read stays
            proxy.down = False
            controller.refresh()
            qtbot.waitUntil(lambda: shown.message_text() == "", timeout=WAIT_MS)
            assert not shown.message.isVisibleTo(shown)
        finally:
            run_coro(qtbot, controller.aclose())
            run_coro(qtbot, client.aclose())
            reader.close()
