"""Quota slots freed from the lifecycle stream, inside Redis.

The consumer group ``RELEASE_GROUP`` reads the stream apart from the ledger's, so
slots free up even while the ledger cannot take the records. Each round is one
script call (``quotas.FROM_STREAM``): it reads up to ``batch`` entries, applies
them to the slots in order (a task received again takes back a slot freed for its
redelivery; a task that finished frees its own) and acknowledges them, all in one
atomic step. No record passes through the backend: in a burst this reader costs
the backend nothing per record, where decoding every record cost it about a tenth
of its time. With nothing new, it waits for the next entry with a blocking XREAD.
Entries another backend read and left pending (it died) are taken over after
``claim_idle_s``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import redis.asyncio as aioredis

from backend.services.ingest import BLOCK_MS, MAX_BACKOFF_S, IngestStats, ensure_group
from backend.services.quotas import (
    FROM_STREAM,
    OPEN_PREFIX,
    OWNER_KEY,
    REDELIVER_KEY,
    RELEASE_GROUP,
    USERS_KEY,
)
from taskdeck_core import lifecycle as lc

log = logging.getLogger("taskdeck.quotas")

BATCH = 5000  # entries per script call: a few milliseconds of Redis at most


class QuotaReleases:
    def __init__(
        self,
        client: aioredis.Redis,
        consumer: str,
        stream: str = lc.STREAM_KEY,
        group: str = RELEASE_GROUP,
        batch: int = BATCH,
        claim_idle_s: float = 60.0,
    ) -> None:
        self.client = client
        self.consumer = consumer
        self.stream = stream
        self.group = group
        self.batch = batch
        self.claim_idle_s = claim_idle_s
        self.stats = IngestStats()
        self.freed = 0  # slots freed since the backend started
        self._script = client.register_script(FROM_STREAM)

    async def ensure_group(self) -> None:
        """The group, made if missing, from the records that come next: slots of tasks that
        finished before it existed were freed through the ledger's ingest."""
        await ensure_group(self.client, self.stream, self.group, "$")

    async def once(self) -> tuple[int, bytes | None]:
        """One round: how many entries it applied, and, when there was nothing new, the id
        of the stream's newest entry (None for an empty stream), to wait for what follows."""
        reply: Any = await self._script(
            keys=[self.stream, OWNER_KEY, REDELIVER_KEY, USERS_KEY],
            args=[self.group, self.consumer, self.batch, OPEN_PREFIX],
        )
        read, freed, newest = int(reply[0]), int(reply[1]), reply[2]
        self.freed += freed
        if read:
            self.stats.records += read
            self.stats.batches += 1
            self.stats.last_batch_at = time.time()
        return read, (newest or None)

    async def _claim_abandoned(self) -> None:
        """Entries another consumer left pending this long become this one's; the next
        round applies them with this consumer's own."""
        start: Any = "0-0"
        while True:
            reply: Any = await self.client.xautoclaim(
                self.stream, self.group, self.consumer, round(self.claim_idle_s * 1000),
                start_id=start, count=self.batch,
            )  # fmt: skip
            start = reply[0]
            if start in (b"0-0", "0-0"):
                return

    async def run(self) -> None:
        """Free slots until cancelled; reconnects with backoff when Redis fails."""
        self.stats.running = True
        backoff, last_claim = 0.5, 0.0
        try:
            while True:
                try:
                    await self.ensure_group()
                    while True:
                        if time.monotonic() - last_claim > self.claim_idle_s:
                            await self._claim_abandoned()
                            last_claim = time.monotonic()
                        read, newest = await self.once()
                        if not read:
                            await self.client.xread(
                                {self.stream: newest or "0-0"}, count=1, block=BLOCK_MS
                            )
                        backoff = 0.5
                        self.stats.last_error = None
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - keep freeing slots once it recovers
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("quota slots from the stream: %s; retrying in %.1fs", exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
        finally:
            self.stats.running = False
