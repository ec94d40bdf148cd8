"""Feeds the ledger from the lifecycle stream, losing nothing across restarts.

The backend reads the stream as a member of a consumer group, merges a batch
into the ledger, and acknowledges the batch only after the ledger committed
it. After a crash, its own unacknowledged entries are read again first; those
of a consumer that has gone away are claimed after a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from backend.services.ledger import Ledger
from taskdeck_core import lifecycle as lc

log = logging.getLogger("taskdeck.ingest")

BATCH = 2000
BLOCK_MS = 1000
CLAIM_IDLE_MS = 60_000
MAX_BACKOFF_S = 5.0  # between attempts while Redis or the database fails: soon back after it


@dataclass
class IngestStats:
    records: int = 0
    batches: int = 0
    bad_records: int = 0
    last_batch_at: float | None = None
    last_error: str | None = None
    running: bool = False


class StreamIngestor:
    def __init__(
        self,
        client: aioredis.Redis,
        ledger: Ledger,
        consumer: str,
        stream: str = lc.STREAM_KEY,
        group: str = lc.LEDGER_GROUP,
        batch: int = BATCH,
        apply: Callable[[list[lc.LifecycleRecord]], object] | None = None,
        group_start: str = "0",
        what: str = "ledger ingest",
        claim_idle_s: float = CLAIM_IDLE_MS / 1000,
        decode: Callable[[dict[bytes, bytes]], lc.LifecycleRecord] = lc.LifecycleRecord.from_fields,
    ) -> None:
        self.decode = decode  # a reader needing only types and task ids decodes no more
        # Entries another backend read and did not acknowledge for this long are taken over
        # (it died, or hangs): with several backends, nothing waits for one to come back.
        self.claim_idle_s = claim_idle_s
        self.apply = apply or ledger.apply
        self.client = client
        self.ledger = ledger
        self.consumer = consumer
        self.stream = stream
        self.group = group
        self.batch = batch
        # Where a new consumer group starts: the whole stream ("0"), or what comes next ("$").
        self.group_start = group_start
        self.what = what  # how the log names this consumer
        self.stats = IngestStats()
        self._backoff = 0.5  # seconds before the next attempt after a failure

    async def ensure_group(self) -> None:
        try:
            await self.client.xgroup_create(
                self.stream, self.group, id=self.group_start, mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def lag(self) -> int | None:
        """Entries in the stream not yet delivered to the ledger's group (None if unknown)."""
        for info in await self.client.xinfo_groups(self.stream):
            name = info.get("name")
            if (name.decode() if isinstance(name, bytes) else name) == self.group:
                lag = info.get("lag")
                pending = int(info.get("pending") or 0)
                return None if lag is None else int(lag) + pending
        return None

    async def _handle(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        records = []
        for _entry_id, fields in entries:
            try:
                records.append(self.decode(fields))
            except ValueError as exc:
                self.stats.bad_records += 1
                log.warning("ledger: skipping a stream entry: %s", exc)
        if records:
            await asyncio.to_thread(self.apply, records)
        # Only now, with the batch committed, may the entries leave the pending list.
        await self.client.xack(self.stream, self.group, *[entry_id for entry_id, _ in entries])
        self.stats.records += len(records)
        self.stats.batches += 1
        self.stats.last_batch_at = time.time()

    async def _read(self, start: str, block_ms: int | None) -> Any:
        return await self.client.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=self.batch, block=block_ms
        )

    async def _apply_reply(self, reply: Any) -> int:
        """Apply and acknowledge the entries of one XREADGROUP reply; returns how many."""
        if not reply:
            return 0
        entries = [(eid, fields) for eid, fields in reply[0][1] if fields]
        if entries:
            await self._handle(entries)
        # A pending entry that was trimmed from the stream comes back without fields.
        gone = [eid for eid, fields in reply[0][1] if not fields]
        if gone:
            await self.client.xack(self.stream, self.group, *gone)
        return len(reply[0][1])

    async def drain_once(self, start: str = ">", block_ms: int | None = BLOCK_MS) -> int:
        """Read and apply one batch; returns how many entries it held."""
        return await self._apply_reply(await self._read(start, block_ms))

    async def _drain_ahead(self) -> None:
        """Consume new entries until ``claim_idle_s`` has passed, the next batch read while
        the current one is applied. A batch read ahead is pending in the group until its own
        commit: if anything fails, ``run`` reads this consumer's pending entries again."""
        until = time.monotonic() + self.claim_idle_s
        ahead: asyncio.Future[Any] | None = asyncio.ensure_future(self._read(">", BLOCK_MS))
        try:
            while ahead is not None:
                reply = await ahead
                if time.monotonic() >= until:
                    ahead = None
                    await self._apply_reply(reply)
                    return
                ahead = asyncio.ensure_future(self._read(">", BLOCK_MS))
                await self._apply_reply(reply)
                self._backoff = 0.5
                self.stats.last_error = None
        finally:
            if ahead is not None and not ahead.done():
                ahead.cancel()
                with contextlib.suppress(BaseException):
                    await ahead

    async def _claim_abandoned(self) -> None:
        start = "0-0"
        while True:
            reply: Any = await self.client.xautoclaim(
                self.stream,
                self.group,
                self.consumer,
                round(self.claim_idle_s * 1000),
                start_id=start,
                count=self.batch,
            )
            start, entries = reply[0], reply[1]
            entries = [(eid, fields) for eid, fields in entries if fields]
            if entries:
                await self._handle(entries)
            if start in (b"0-0", "0-0"):
                return

    async def run(self) -> None:
        """Consume until cancelled; reconnects with backoff when Redis or the database fails."""
        self.stats.running = True
        self._backoff = 0.5
        last_claim = 0.0
        try:
            while True:
                try:
                    await self.ensure_group()
                    # Our own entries left unacknowledged by a previous run come first.
                    while await self.drain_once("0", block_ms=None):
                        pass
                    while True:
                        if time.monotonic() - last_claim > self.claim_idle_s:
                            await self._claim_abandoned()
                            last_claim = time.monotonic()
                        await self._drain_ahead()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - keep consuming once it recovers
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("%s: %s; retrying in %.1fs", self.what, exc, self._backoff)
                    await asyncio.sleep(self._backoff)
                    self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)
        finally:
            self.stats.running = False
