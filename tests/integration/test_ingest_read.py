"""The ledger ingest's read of the lifecycle stream, against a real redis-server: entries
come as their values, in order, whatever the order of their fields; an entry deleted from
the stream while pending comes back without values and is acknowledged, not applied."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import redis.asyncio as aioredis

from backend.services.ingest import StreamIngestor
from backend.services.ledger import Ledger
from taskdeck_core import lifecycle as lc
from tests.conftest import Server

pytestmark = pytest.mark.integration


def test_entries_are_read_in_order_and_one_deleted_while_pending_is_acknowledged(
    redis_server: Server, tmp_path: object
) -> None:
    applied: list[lc.LifecycleRecord] = []
    stream, group = f"s-{uuid.uuid4().hex[:8]}", "g"

    async def scenario() -> None:
        client = aioredis.Redis.from_url(redis_server.url)
        try:
            ingest = StreamIngestor(
                client, Ledger("sqlite://"), "c1", stream=stream, group=group, apply=applied.extend
            )
            await ingest.ensure_group()
            records = [lc.LifecycleRecord(kind, f"t{n}", 1000.0 + n, {"n": n})
                       for n, kind in enumerate([lc.PUBLISHED, lc.RECEIVED, lc.STARTED])]  # fmt: skip
            ids = [await client.xadd(stream, dict[Any, Any](r.to_fields())) for r in records]
            entries, gone = await ingest._read(">", None)  # read: pending now, not applied
            assert [eid for eid, _ in entries] == ids and gone == []
            assert [lc.LifecycleRecord.from_values(v) for _, v in entries] == records
            await client.xdel(stream, ids[1])
            assert await ingest.drain_once("0", block_ms=None) == 3
            assert [r.task_id for r in applied] == ["t0", "t2"]  # the deleted one is not
            assert ingest.stats.bad_records == 0  # nor taken for a bad record
            assert (await client.xpending(stream, group))["pending"] == 0
            # Fields in another order, or with one more, or one lacking: the same values.
            fields: dict[Any, Any] = dict(records[0].to_fields())
            await client.xadd(stream, dict(reversed(fields.items())))
            await client.xadd(stream, {**fields, "extra": "x"})
            await client.xadd(stream, {k: v for k, v in fields.items() if k != "data"})
            entries, _ = await ingest._read(">", None)
            assert [lc.LifecycleRecord.from_values(v) for _, v in entries] == [
                records[0],
                records[0],
                lc.LifecycleRecord(lc.PUBLISHED, "t0", 1000.0),
            ]
        finally:
            await client.aclose()

    asyncio.run(scenario())
