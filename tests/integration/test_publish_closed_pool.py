"""Sends while kombu's pools are closed under them, on a real Redis, without timing: a
request that took the app's pool just before the transport changed (``pools.reset``) finds
it closed when it acquires ("Acquire on closed pool"); the submit, retry and cancel
routes send once more on fresh pools and answer as usual, each message sent once."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from kombu import pools

from backend.api.deps import Services
from backend.config import load_settings
from backend.main import build_services, create_app
from taskdeck_core import lifecycle as lc
from taskdeck_core.transport import SANDBOX_TRANSPORT
from taskdeck_dev.stack import running_redis, worker_env
from taskdeck_worker.integration import RETRY_OF_HEADER
from tests.conftest import ROOMY, TOKENS

pytestmark = pytest.mark.integration
SYNC = "data_sync.sync_single_file"


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The backend's app in this process (its background work not started), on a Redis."""
    with running_redis(tmp_path) as server:
        env = {**ROOMY, **worker_env(server.url), "TASKDECK_DATA_DIR": str(tmp_path / "backend")}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = load_settings()
        services = build_services(settings)
        db = redis.Redis.from_url(server.url)
        client = TestClient(create_app(settings, services),
                            headers={"Authorization": f"Bearer {TOKENS['admin']}"})  # fmt: skip
        try:
            yield {"client": client, "services": services, "db": db}
        finally:
            client.close()
            services.actions.bulk.job_pool.shutdown(wait=False)
            services.celery.close()
            services.ledger.close()
            services.redis.close()
            db.close()


def waiting(db: redis.Redis) -> list[dict[str, Any]]:
    messages = []
    for key in SANDBOX_TRANSPORT.list_names("data_sync"):
        payloads: Any = db.lrange(key, 0, -1)
        messages += [json.loads(raw) for raw in payloads]
    return messages


def closed_under_it(services: Services) -> None:
    """What a request meets when the transport changes between its finding the app's pools
    and acquiring from them: kombu closed them (the app still holds them)."""
    app = services.celery
    assert not app.producer_pool._closed and not app.pool._closed  # in use, open
    pools.reset()
    assert app.producer_pool._closed and app.pool._closed


def submit(client: TestClient, file_id: str) -> str:
    body = {"name": SYNC, "args": [file_id, "pool"], "queue": "data_sync", "user": "pool"}
    reply = client.post("/api/v1/tasks", json=body)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["task_id"])


def test_submit_retry_and_cancel_send_once_on_a_fresh_pool(backend: dict[str, Any]) -> None:
    client: TestClient = backend["client"]
    services: Services = backend["services"]
    db: redis.Redis = backend["db"]
    first = submit(client, "f-0")  # the app's pools exist and are open

    closed_under_it(services)
    second = submit(client, "f-1")
    assert Counter(m["headers"]["id"] for m in waiting(db)) == {first: 1, second: 1}

    failed = "pool-failed-1"
    t0 = time.time() - 60
    services.ledger.apply([
        lc.LifecycleRecord(lc.PUBLISHED, failed, t0, {
            "name": SYNC, "args": ["f-2", "pool"], "kwargs": {}, "queue": "data_sync",
            "priority": 5, "user": "pool"}),
        lc.LifecycleRecord(lc.FAILED, failed, t0 + 1, {"exc_type": "IOError", "exc_message": "x"}),
    ])  # fmt: skip
    closed_under_it(services)
    reply = client.post(f"/api/v1/tasks/{failed}/retry", json={"reason": "store back"})
    assert reply.status_code in (200, 202), reply.text
    retries = [m for m in waiting(db) if m["headers"].get(RETRY_OF_HEADER) == failed]
    assert len(retries) == 1 and retries[0]["headers"]["id"] == reply.json()["new_task_id"]

    closed_under_it(services)
    reply = client.post(f"/api/v1/tasks/{second}/cancel", json={"reason": "not needed"})
    assert reply.status_code == 200, reply.text
    assert second not in {m["headers"]["id"] for m in waiting(db)}


def test_a_changed_transport_leaves_the_app_open_pools(backend: dict[str, Any]) -> None:
    """The backend's own reset, when it learns other transport options, drops the app's
    closed pools: the next send takes fresh ones, with no refusal to retry."""
    client: TestClient = backend["client"]
    services: Services = backend["services"]
    submit(client, "f-0")
    app = services.celery
    app.conf.broker_transport_options = {}  # the options learned next differ
    services.environment.learn()
    assert not app.producer_pool._closed and not app.pool._closed
    assert app.conf.broker_transport_options  # learned again
    submit(client, "f-1")
    assert len(waiting(backend["db"])) == 2
