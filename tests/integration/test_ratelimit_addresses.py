"""The anomaly detector's users per address come from each bucket's set of addresses, with
no walk of the broker's keyspace (a SCAN per bucket, ten per run, cost seconds of Redis time
at 1,000,000 keys)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from backend.services.anomalies import AnomalyDetector
from backend.services.ratelimit import DEFAULT_TIERS, RateLimiter
from taskdeck_dev.stack import redis_url
from tests.conftest import Server
from tests.helpers import scan_calls

pytestmark = pytest.mark.integration
DB = 11  # a database of this module's own on the session's Redis


@pytest.fixture
def client(redis_server: Server) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url(redis_server.port, DB))
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_users_per_address_are_read_without_scanning_the_keyspace(client: redis.Redis) -> None:
    limiter = RateLimiter(client, DEFAULT_TIERS, window_s=60.0, bucket_s=60.0)
    crowd = [f"user{n}" for n in range(6)]
    for user in crowd:
        limiter.check(f"user:{user}", "normal", "default", "10.0.0.7", user)
    limiter.check("user:alone", "normal", "default", "10.0.0.8", "alone")
    limiter.check("ip:10.0.0.9", "anonymous", "default", "10.0.0.9", None)  # no user: no entry
    pipe = client.pipeline(transaction=False)
    for n in range(5000):  # what else a broker holds (result keys)
        pipe.set(f"celery-task-meta-{n}", "{}")
    pipe.execute()
    bucket = limiter.bucket_of(time.time())
    before = scan_calls(client)
    found = limiter.ip_users([bucket - 1, bucket])
    assert found == {"10.0.0.7": set(crowd), "10.0.0.8": {"alone"}}
    anomalies = AnomalyDetector(client, limiter).run_once()
    crowded = [a for a in anomalies if a.kind == "ip_many_users"]
    assert [a.subject for a in crowded] == ["ip:10.0.0.7"]
    assert crowded[0].evidence["distinct_users"] == sorted(crowd)
    assert scan_calls(client) == before  # the keyspace was not walked
