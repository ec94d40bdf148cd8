"""Quota slots freed from the lifecycle stream inside Redis (``QuotaReleases``), against a
real redis-server: records applied in order, nothing left pending, an earlier reader's
pending entries applied, an abandoned consumer's taken over, and a new record applied
soon after it is written while the reader waits."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from backend.services.quota_stream import QuotaReleases
from backend.services.quotas import OPEN_PREFIX, REDELIVER_KEY, RELEASE_GROUP, Quotas
from taskdeck_core import lifecycle as lc
from tests.conftest import Server

pytestmark = pytest.mark.integration


def record(redis_client: redis.Redis, stream: str, kind: str, task_id: str) -> bytes:
    fields: dict[Any, Any] = lc.LifecycleRecord(kind, task_id, time.time(), {}).to_fields()
    return redis_client.xadd(stream, fields)  # type: ignore[return-value]


def open_slots(redis_client: redis.Redis, user: str) -> set[str]:
    return {m.decode() for m in redis_client.smembers(OPEN_PREFIX + user)}  # type: ignore[union-attr]


def pending(redis_client: redis.Redis, stream: str) -> int:
    return int(redis_client.xpending(stream, RELEASE_GROUP)["pending"])


def test_records_free_and_retake_slots_in_redis_and_leave_nothing_pending(
    redis_client: redis.Redis, redis_server: Server
) -> None:
    tag = uuid.uuid4().hex[:8]
    stream, user, unacked = f"s-{tag}", f"u-{tag}", f"unacked-{tag}"
    t1, t2, t3, t4, t5 = (f"{tag}-t{n}" for n in range(1, 6))
    quotas = Quotas(redis_client, 10)
    for task in (t1, t2, t3):
        assert quotas.take(user, task).taken
    redis_client.hset(unacked, "tag-3", "message")
    assert quotas.release_for_redelivery({t3: "tag-3"}, unacked) == [t3]  # its worker died
    assert open_slots(redis_client, user) == {t1, t2}

    async def scenario() -> None:
        aclient = aioredis.Redis.from_url(redis_server.url)
        reader = QuotaReleases(aclient, "c1", stream=stream, claim_idle_s=0.2)
        try:
            await reader.ensure_group()
            # An earlier reader read this one and stopped before acknowledging it.
            record(redis_client, stream, lc.SUCCEEDED, t1)
            redis_client.xreadgroup(RELEASE_GROUP, "c1", {stream: ">"}, count=1)
            assert pending(redis_client, stream) == 1
            record(redis_client, stream, lc.RECEIVED, t3)  # delivered again: takes its slot back
            record(redis_client, stream, lc.SUCCEEDED, t2)
            record(redis_client, stream, lc.PUBLISHED, t4)  # no slot of its own: nothing
            redis_client.xadd(stream, {"type": "succeeded"})  # no task id: skipped
            assert await reader.once() == (1, None)  # the pending one first
            assert open_slots(redis_client, user) == {t2} and pending(redis_client, stream) == 0
            read, _ = await reader.once()
            assert read == 4 and open_slots(redis_client, user) == {t3}  # t3 took its slot back
            assert (
                not redis_client.hexists(REDELIVER_KEY, t3) and pending(redis_client, stream) == 0
            )
            newest = redis_client.xrevrange(stream, count=1)[0][0]  # type: ignore[index]
            assert await reader.once() == (0, newest)  # nothing new: where to wait from
            assert reader.freed == 2

            # A consumer that died with an entry read: taken over after claim_idle_s.
            assert quotas.take(user, t5).taken
            record(redis_client, stream, lc.FAILED, t5)
            redis_client.xreadgroup(RELEASE_GROUP, "dead", {stream: ">"}, count=1)
            running = asyncio.create_task(reader.run())
            await asyncio.sleep(0)
            deadline = time.monotonic() + 10
            while t5 in open_slots(redis_client, user) or pending(redis_client, stream):
                assert time.monotonic() < deadline, "the dead consumer's entry was not applied"
                await asyncio.sleep(0.05)
            # While it waits for the next entry, one written is applied at once.
            record(redis_client, stream, lc.REVOKED, t3)
            while t3 in open_slots(redis_client, user):
                assert time.monotonic() < deadline, "a new record was not applied"
                await asyncio.sleep(0.05)
            assert reader.stats.last_error is None
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
        finally:
            await aclient.aclose()

    asyncio.run(scenario())
    assert open_slots(redis_client, user) == set()
