"""Looks at the broker that come while the keyspace is being scanned for binding sets share
that one scan: at 1,000,000 keys a scan took seconds, and each look meanwhile started one of
its own (a console and a backend reached ~100 full scans a minute, bench/RESULTS.md)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from taskdeck_core.discovery import Learner
from taskdeck_dev.stack import redis_url
from tests.conftest import Server
from tests.helpers import scan_calls

pytestmark = pytest.mark.integration
DB = 13  # a database of this module's own on the session's Redis
SEP = "\x06\x16"
LOOKS = 8


@pytest.fixture
def client(redis_server: Server) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url(redis_server.port, DB))
    client.flushdb()
    client.sadd("_kombu.binding.celery", *[f"{q}{SEP}{SEP}{q}" for q in ("data_sync", "default")])
    client.sadd("_kombu.binding.celeryev", f"worker.#{SEP}{SEP}celeryev.x")
    pipe = client.pipeline(transaction=False)
    for n in range(100_000):  # what else a broker holds (result keys)
        pipe.set(f"celery-task-meta-{n}", "{}")
    pipe.execute()
    yield client
    client.flushdb()
    client.close()


def test_looks_during_a_scan_share_it_and_use_the_sets_known(client: redis.Redis) -> None:
    learner = Learner(client)
    before = scan_calls(client)
    first = learner()  # scans, and knows a task queue's binding: settled
    one_scan = scan_calls(client) - before
    assert one_scan > 10 and first.queues == ["data_sync", "default"]
    learner._scanned_at = 0.0  # the next look is due to scan again
    start = threading.Barrier(LOOKS)
    seen: list[list[str]] = []

    def look() -> None:
        start.wait()
        seen.append(learner().queues)

    threads = [threading.Thread(target=look) for _ in range(LOOKS)]
    before = scan_calls(client)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # One scan for all of them (each scanning would be LOOKS times as many calls).
    assert scan_calls(client) - before <= 2 * one_scan
    assert seen == [["data_sync", "default"]] * LOOKS
