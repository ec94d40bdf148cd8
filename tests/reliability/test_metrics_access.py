"""Who may scrape /metrics, and what a scrape sees.

By default the backend serves /metrics to no one (403 metrics_closed) until it
has a scrape token (TASKDECK_METRICS_TOKEN) or is told to serve it openly
(TASKDECK_METRICS_OPEN=1). With the token, a scrape without it or with a wrong
one answers 401 and counts against the address's failed authentications, as a
wrong API token does (429 after the limit), while the right token still reads.
An open scrape sees no series that name users (taskdeck_quota_*); the token
sees them. Prometheus, given the token by the project's configuration as
write_prometheus_config writes it, scrapes them. Three backends over one
redis-server (a database each).
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from taskdeck_dev.stack import redis_url, running_backend, running_prometheus
from tests.conftest import TOKENS, TOKENS_ENV, Server
from tests.helpers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

SCRAPE_TOKEN = "scrape-token-0123456789abcdef"
AUTH_LIMIT = 3
BASE = {
    "TASKDECK_TOKENS": TOKENS_ENV,
    "TASKDECK_RATELIMIT_TIERS": json.dumps({"anonymous": {"auth": AUTH_LIMIT}}),
}
USER = "quota-person"


def started(
    stack_dir: Path, broker: Server, name: str, db: int, env: dict[str, str]
) -> Iterator[Server]:
    with running_backend(stack_dir / name, redis_url(broker.port, db), {**BASE, **env}) as server:
        # A user with a quota of their own: the series that would name them.
        reply = httpx.put(
            f"{server.url}/api/v1/quotas/{USER}", json={"limit": 7, "reason": "metrics test"},
            headers={"Authorization": f"Bearer {TOKENS['admin']}"}, timeout=10,
        )  # fmt: skip
        assert reply.status_code == 200, reply.text
        yield server


@pytest.fixture(scope="module")
def closed(stack_dir: Path, broker: Server) -> Iterator[Server]:
    """Neither a token nor open: the default."""
    yield from started(stack_dir, broker, "closed", 1, {})


@pytest.fixture(scope="module")
def guarded(stack_dir: Path, broker: Server) -> Iterator[Server]:
    yield from started(stack_dir, broker, "guarded", 2, {"TASKDECK_METRICS_TOKEN": SCRAPE_TOKEN})


@pytest.fixture(scope="module")
def open_backend(stack_dir: Path, broker: Server) -> Iterator[Server]:
    env = {"TASKDECK_METRICS_TOKEN": SCRAPE_TOKEN, "TASKDECK_METRICS_OPEN": "1"}
    yield from started(stack_dir, broker, "open", 3, env)


def scrape(server: Server, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(f"{server.url}/metrics", headers=headers, timeout=10)


def quota_samples(text: str) -> list[dict[str, str]]:
    return [
        sample.labels
        for family in text_string_to_metric_families(text)
        if family.name in ("taskdeck_quota_used", "taskdeck_quota_limit")
        for sample in family.samples
    ]


def test_by_default_no_one_may_scrape(closed: Server) -> None:
    for token in (None, SCRAPE_TOKEN, TOKENS["admin"]):
        reply = scrape(closed, token)
        assert reply.status_code == 403, reply.text
        payload = reply.json()
        assert payload["error"] == "metrics_closed"
        assert "TASKDECK_METRICS_TOKEN" in payload["detail"]
        assert "TASKDECK_METRICS_OPEN" in payload["detail"]
        assert USER not in reply.text


def test_with_a_token_wrong_scrapes_count_as_failed_logins(guarded: Server) -> None:
    replies = [scrape(guarded, None)] + [scrape(guarded, f"guess-{n}") for n in range(4)]
    codes = [r.status_code for r in replies]
    assert codes == [401] * AUTH_LIMIT + [429] * 2, codes
    assert replies[0].headers["WWW-Authenticate"] == "Bearer"
    assert [int(r.headers["X-RateLimit-Remaining"]) for r in replies[:AUTH_LIMIT]] == [2, 1, 0]
    limited = replies[-1].json()
    assert limited["error"] == "rate_limited"
    assert (limited["key"], limited["endpoint"]) == ("ip:127.0.0.1", "auth")
    assert all(USER not in r.text for r in replies)
    # The limit is on failures: Prometheus with the right token still reads, all of it.
    right = scrape(guarded, SCRAPE_TOKEN)
    assert right.status_code == 200, right.text
    assert {"user": USER} in quota_samples(right.text)
    # An API token is no scrape token.
    assert scrape(guarded, TOKENS["admin"]).status_code == 429


def test_an_open_scrape_sees_no_user_and_the_token_sees_them(open_backend: Server) -> None:
    anonymous = scrape(open_backend)
    assert anonymous.status_code == 200, anonymous.text
    names = {f.name for f in text_string_to_metric_families(anonymous.text)}
    assert {"taskdeck_broker_up", "celery_queue_length", "taskdeck_quota_used"} <= names
    assert quota_samples(anonymous.text) == []
    assert USER not in anonymous.text
    full = scrape(open_backend, SCRAPE_TOKEN)
    assert full.status_code == 200
    assert {"user": USER} in quota_samples(full.text)
    wrong = scrape(open_backend, "not-the-token")
    assert wrong.status_code == 401 and USER not in wrong.text


def test_prometheus_scrapes_with_the_token_its_config_names(
    stack_dir: Path, guarded: Server
) -> None:
    with running_prometheus(
        stack_dir, guarded, None, interval="1s", metrics_token=SCRAPE_TOKEN
    ) as prometheus:
        credentials = stack_dir / "prometheus" / "metrics.token"
        assert credentials.read_text() == SCRAPE_TOKEN
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600

        def quota_seen() -> bool:
            reply = httpx.get(
                f"{prometheus.url}/api/v1/query",
                params={"query": f'taskdeck_quota_limit{{user="{USER}"}}'},
                timeout=5,
            )
            result = reply.json()["data"]["result"]
            return bool(result) and result[0]["value"][1] == "7"

        wait_for(quota_seen, 20, "Prometheus to scrape the per-user quota series")
        targets = httpx.get(f"{prometheus.url}/api/v1/targets", timeout=5).json()
        (target,) = targets["data"]["activeTargets"]
        assert target["health"] == "up", target
