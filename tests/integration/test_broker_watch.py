"""The broker watch's check at start against a real redis-server and a real SQLite ledger.

A backend killed between recording a publish on the lifecycle stream and putting
the message in the broker leaves a task that will never run. The check the next
backend makes at start finds it only once the ledger holds it, i.e. once the
ledger has applied the stream: the check waits for that.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import redis

from backend.services.broker import BrokerQueues
from backend.services.broker_watch import BrokerWatch
from backend.services.environment import EnvironmentService
from backend.services.ledger import Ledger
from taskdeck_core import lifecycle as lc

pytestmark = pytest.mark.integration


class Environment:
    """The part of the environment service the watch reads: the queues."""

    def __init__(self, queue: str) -> None:
        self.queue = queue

    def current(self) -> Any:
        return SimpleNamespace(queues=[self.queue])


def test_the_check_at_start_waits_for_the_ledger_to_catch_up_with_the_stream(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    queue = f"q-{uuid.uuid4().hex[:8]}"
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    caught_up = {"now": False}
    watch = BrokerWatch(
        redis_client, redis_client, ledger, BrokerQueues(redis_client), cast(EnvironmentService, Environment(queue)),
        confirm_s=0.0, caught_up=lambda: caught_up["now"],
    )  # fmt: skip
    watch.run_once()  # the backend has just started: its ingest has not applied the stream
    assert watch.status.last_check_at is None
    # The killed backend's publish reaches the ledger now; its message never reached the broker.
    task_id = f"never-sent-{uuid.uuid4().hex[:8]}"
    ledger.apply([lc.LifecycleRecord(lc.PUBLISHED, task_id, time.time(), {
        "name": "sync", "args": ["f-1", "alice"], "kwargs": {}, "queue": queue,
        "priority": 5, "user": "alice"})])  # fmt: skip
    caught_up["now"] = True
    for _ in range(3):
        watch.run_once()
    assert watch.status.last_check_at is not None
    assert ledger.still_waiting([task_id]) == set()  # marked lost, no longer waiting
    assert [t for t, _ in ledger.waiting()] == []
