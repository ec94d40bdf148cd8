"""A submitted task can be read back at once, even while the ledger's ingest lags behind."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from taskdeck_core import lifecycle as lc
from tests.conftest import Server
from tests.helpers import api, wait_for

pytestmark = pytest.mark.integration
BACKLOG = 60_000  # lifecycle records waiting to be ingested: several seconds of work


def test_a_submitted_task_is_readable_at_once_while_ingest_lags(
    broker: Server, backend: Server
) -> None:
    client = redis.Redis.from_url(broker.url)
    try:
        pipe = client.pipeline(transaction=False)
        now = time.time()
        for n in range(BACKLOG):
            record = lc.LifecycleRecord(lc.PUBLISHED, f"storm-{n}", now,
                                        {"name": "storm", "queue": "default", "user": "storm"})  # fmt: skip
            pipe.xadd(lc.STREAM_KEY, dict[Any, Any](record.to_fields()))
        pipe.execute()
    finally:
        client.close()
    with api(backend.url, "support") as support:
        body = {"name": "data_sync.sync_single_file", "args": ["F-01234", "alice"],
                "user": "alice", "priority": 7}  # fmt: skip
        reply = support.post("/api/v1/tasks", json=body)
        assert reply.status_code == 202, reply.text
        task_id = reply.json()["task_id"]
        task = support.get(f"/api/v1/tasks/{task_id}")
        assert task.status_code == 200, task.text
        detail = task.json()
        assert detail["state"] == "PENDING" and detail["user"] == "alice"
        assert detail["priority"] == 7 and detail["args"] == ["F-01234", "alice"]
        # When the stream's copy of the same publish arrives, it changes nothing.
        wait_for(lambda: support.get(f"/api/v1/tasks/storm-{BACKLOG - 1}").status_code == 200,
                 timeout=60, what="the ingest to catch up with the backlog")  # fmt: skip
        again = support.get(f"/api/v1/tasks/{task_id}").json()
        assert [h["event"] for h in again["history"]] == ["published"]
