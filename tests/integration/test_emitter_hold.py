"""The worker plug-in's records while Redis does not answer: held in the process and
written, in their order, once it answers again (a restart or a failover loses none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis

from taskdeck_core import lifecycle as lc
from taskdeck_dev.procs import free_port
from taskdeck_dev.stack import redis_url, start_redis
from taskdeck_worker.integration import _Emitter
from tests.helpers import wait_for

pytestmark = [pytest.mark.integration]

STREAM = "taskdeck:test-hold"


def test_records_redis_did_not_take_are_written_in_order_once_it_answers(tmp_path: Path) -> None:
    port = free_port()
    emitter = _Emitter(redis_url(port), STREAM, 10_000)
    for n in range(5):
        emitter.emit(lc.PUBLISHED, f"task-{n}", {"n": n})
    assert emitter.held == 5  # nothing listens on the port yet
    server = start_redis(tmp_path, port)
    client = redis.Redis.from_url(redis_url(port))
    try:
        emitter.emit(lc.PUBLISHED, "task-5", {"n": 5})  # the next write takes the held first
        wait_for(lambda: emitter.held == 0, 10, "the held records written")
        entries: Any = client.xrange(STREAM)
        ids = [lc.LifecycleRecord.from_fields(fields).task_id for _, fields in entries]
        assert ids == [f"task-{n}" for n in range(6)]
    finally:
        client.close()
        server.stop()


def test_held_records_are_written_by_themselves_when_nothing_else_is(tmp_path: Path) -> None:
    port = free_port()
    emitter = _Emitter(redis_url(port), STREAM, 10_000)
    emitter.emit(lc.SUCCEEDED, "last-task", {"runtime": 0.1})
    assert emitter.held == 1
    server = start_redis(tmp_path, port)
    client = redis.Redis.from_url(redis_url(port))
    try:
        wait_for(lambda: client.xlen(STREAM) == 1, 10, "the held record written by the resender")
        assert emitter.held == 0 and emitter.dropped == 0
    finally:
        client.close()
        server.stop()


def test_with_no_replica_left_writes_stop_waiting_for_one(tmp_path: Path) -> None:
    """After a failover the new master may have no replica: one write waits for it and
    comes short, the next ones do not wait (each would take WAIT's whole timeout)."""
    port = free_port()
    server = start_redis(tmp_path, port)
    client = redis.Redis.from_url(redis_url(port))
    try:
        emitter = _Emitter(redis_url(port), STREAM, 10_000, replicas=1)
        for n in range(20):
            emitter.emit(lc.STARTED, f"task-{n}", {"n": n})
        stats: Any = client.info("commandstats")
        assert stats["cmdstat_wait"]["calls"] == 1  # the first write only
        assert client.xlen(STREAM) == 20  # every record written once, none held
        assert emitter.held == 0
    finally:
        client.close()
        server.stop()
