"""Feeds the ledger from the lifecycle stream, losing nothing across restarts.

The backend reads the stream as a member of a consumer group, merges a batch
into the ledger, and acknowledges the batch only after the ledger committed
it. After a crash, its own unacknowledged entries are read again first; those
of a consumer that has gone away are claimed after a while.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from backend.services.ingest_helper import SharedIngest
from backend.services.ledger import Ledger
from taskdeck_core import lifecycle as lc

log = logging.getLogger("taskdeck.ingest")

BATCH = 5000  # entries per read at most: in a burst, the more a batch holds, the more often a
# task's records are merged into one write of its row (2,000: 20 % fewer tasks a second)
BLOCK_MS = 1000
CLAIM_IDLE_MS = 60_000
MAX_BACKOFF_S = 5.0  # between attempts while Redis or the database fails: soon back after it


Values = tuple[bytes, ...]  # an entry's values of ``lc.ENTRY_FIELDS`` (see ``_READ``)
Entry = tuple[bytes, Values | None]  # an entry's id and values (None: trimmed)
Read = tuple[list[tuple[bytes, Values]], list[bytes]]  # entries read; ids of trimmed ones
WIDTH = len(lc.ENTRY_FIELDS)  # values per entry
IN_FLIGHT = 4  # batches read and being applied at once, at most

# XREADGROUP answering each entry as its id and values of ``lc.ENTRY_FIELDS`` (the first
# ARGV[5] of them; b"" for a field it lacks; all nil for an entry trimmed from the stream
# since it was read): no field names, no nesting, nothing a reader does not need.
# KEYS[1] the stream; ARGV group, consumer, count, start, values per entry.
_READ = """
local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3],
                     'STREAMS', KEYS[1], ARGV[4])
local out, n = {}, tonumber(ARGV[5])
if not r then return out end
local names = {'type', 'task_id', 'ts', 'data'}
for _, e in ipairs(r[1][2]) do
  local f = e[2]
  out[#out + 1] = e[1]
  if f then
    -- The plug-in writes the fields in this order: then no table of them is made.
    local ordered = #f == 2 * #names
    for k = 1, #names do
      if ordered and f[2 * k - 1] ~= names[k] then ordered = false end
    end
    if ordered then
      for k = 1, n do out[#out + 1] = f[2 * k] end
    else
      local got = {}
      for i = 1, #f, 2 do got[f[i]] = f[i + 1] end
      for k = 1, n do out[#out + 1] = got[names[k]] or '' end
    end
  else
    for k = 1, n do out[#out + 1] = false end
  end
end
return out
"""


async def ensure_group(client: aioredis.Redis, stream: str, group: str, start: str) -> None:
    """The consumer group ``group`` of ``stream``, made (with the stream) if missing,
    starting at ``start`` ("0": the whole stream; "$": what comes next)."""
    try:
        await client.xgroup_create(stream, group, id=start, mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


class _Lane:
    """Applies its share of each batch in a thread of its own, in the order the batches
    came. After a share fails, the later ones fail too without being applied: they come
    again in order, with the failed one, from the pending list."""

    def __init__(self, name: str) -> None:
        self.pool = ThreadPoolExecutor(1, thread_name_prefix=name)
        self.broken: BaseException | None = None

    def run(self, work: Callable[..., tuple[int, int]], *args: Any) -> asyncio.Future[Any]:
        def guarded() -> tuple[int, int]:
            if self.broken is not None:
                raise self.broken
            try:
                return work(*args)
            except BaseException as exc:
                self.broken = exc
                raise

        return asyncio.get_running_loop().run_in_executor(self.pool, guarded)


@dataclass
class _Batch:
    ids: list[bytes]  # its entries, to acknowledge
    shares: list[asyncio.Future[tuple[int, int]]]  # each share's (applied, refused)

    def done(self) -> bool:
        return all(share.done() for share in self.shares)


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
        what: str = "ledger ingest",
        claim_idle_s: float = CLAIM_IDLE_MS / 1000,
        shared: SharedIngest | None = None,
    ) -> None:
        # Helper processes applying a share of each batch (``ingest_helper``), or None.
        self.shared = shared
        self._read_values = client.register_script(_READ)
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
        self.what = what  # how the log names this consumer
        self.stats = IngestStats()
        self._lane = _Lane(what)  # the backend's own share of each batch
        self._backoff = 0.5  # seconds before the next attempt after a failure

    async def ensure_group(self) -> None:
        await ensure_group(self.client, self.stream, self.group, "0")

    async def lag(self) -> int | None:
        """Entries in the stream not yet delivered to the ledger's group (None if unknown)."""
        for info in await self.client.xinfo_groups(self.stream):
            name = info.get("name")
            if (name.decode() if isinstance(name, bytes) else name) == self.group:
                lag = info.get("lag")
                pending = int(info.get("pending") or 0)
                return None if lag is None else int(lag) + pending
        return None

    def _apply_own(self, fields: list[Values]) -> tuple[int, int]:
        """Blocking (in the own lane): decode and apply; returns (applied, refused)."""
        records, refused = [], 0
        for one in fields:
            try:
                records.append(lc.LifecycleRecord.from_values(one))
            except ValueError as exc:
                refused += 1
                log.warning("ledger: skipping a stream entry: %s", exc)
        if records:
            self.apply(records)
        return len(records), refused

    def _start(self, entries: list[tuple[bytes, Values]]) -> _Batch:
        """Start applying a batch: each share in its lane, after that lane's earlier ones."""
        fields = [f for _entry_id, f in entries]
        jobs: list[asyncio.Future[tuple[int, int]]] = []
        if self.shared is not None:
            fields, theirs = self.shared.split(fields)
            for n, share in enumerate(theirs):
                if share:
                    jobs.append(asyncio.wrap_future(self.shared.submit(n, share)))
        if fields:
            jobs.append(self._lane.run(self._apply_own, fields))
        return _Batch([entry_id for entry_id, _ in entries], jobs)

    async def _finish(self, batch: _Batch) -> None:
        """Wait for every share of ``batch``, then acknowledge it (raises if one failed: the
        batch stays pending, and is read again)."""
        done = await asyncio.gather(*batch.shares, return_exceptions=True)
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome
        # Only now, with the batch committed, may the entries leave the pending list.
        await self.client.xack(self.stream, self.group, *batch.ids)
        self.stats.records += sum(applied for applied, _ in done)  # type: ignore[misc]
        self.stats.bad_records += sum(refused for _, refused in done)  # type: ignore[misc]
        self.stats.batches += 1
        self.stats.last_batch_at = time.time()

    async def _handle(self, entries: list[tuple[bytes, Values]]) -> None:
        await self._settled([batch := self._start(entries)])
        await self._finish(batch)

    @staticmethod
    async def _settled(batches: Iterable[_Batch]) -> None:
        """Wait until these batches are applied or failed (not acknowledged)."""
        await asyncio.gather(*(s for b in batches for s in b.shares), return_exceptions=True)

    async def _read(self, start: str, block_ms: int | None) -> Read:
        """Up to ``batch`` entries from ``start`` (">": new ones; "0": this consumer's
        pending ones), waiting up to ``block_ms`` for a new one if there is none: the entries
        read, and the ids of those trimmed from the stream since they were read (a pending
        entry then comes back without fields)."""
        flat: Any = await self._read_values(
            keys=[self.stream], args=[self.group, self.consumer, self.batch, start, WIDTH]
        )
        if not flat and block_ms:
            # Nothing yet: wait for the next entry the usual way (a script cannot block).
            reply: Any = await self.client.xreadgroup(
                self.group, self.consumer, {self.stream: start}, count=1, block=block_ms
            )
            return self._split(
                [(eid, self._values(fields)) for eid, fields in (reply[0][1] if reply else [])]
            )
        w = WIDTH + 1
        ids = flat[0::w]
        # Each field's values taken by a stride, and zipped back per entry: no Python loop
        # over the entries (this ran at thousands of entries a second in a burst).
        rows = zip(*(flat[k::w] for k in range(1, w)), strict=True)
        if None not in flat[1::w]:
            return list(zip(ids, rows, strict=True)), []
        return self._split(
            list(zip(ids, (r if r[0] is not None else None for r in rows), strict=True))
        )

    def _values(self, fields: dict[bytes, bytes] | None) -> tuple[bytes, ...] | None:
        """An entry read as a mapping, as the values the ingest reads (None: trimmed)."""
        return lc.values_of(fields) if fields else None

    @staticmethod
    def _split(read: list[Entry]) -> Read:
        """The entries read, and the ids of those trimmed (their values None)."""
        entries = [(eid, values) for eid, values in read if values is not None]
        return entries, [eid for eid, values in read if values is None]

    async def _apply_reply(self, read: Read) -> int:
        """Apply and acknowledge the entries read; returns how many."""
        entries, gone = read
        if entries:
            await self._handle(entries)
        if gone:
            await self.client.xack(self.stream, self.group, *gone)
        return len(entries) + len(gone)

    async def drain_once(self, start: str = ">", block_ms: int | None = BLOCK_MS) -> int:
        """Read and apply one batch; returns how many entries it held."""
        return await self._apply_reply(await self._read(start, block_ms))

    async def _drain_ahead(self) -> None:
        """Consume new entries until ``claim_idle_s`` has passed. Batches are read while
        earlier ones are applied (up to ``IN_FLIGHT`` at once, each lane applying its shares
        in order), and acknowledged in order once applied. If anything fails, what was not
        acknowledged is pending in the group, and ``run`` reads it again."""
        until = time.monotonic() + self.claim_idle_s
        flying: collections.deque[_Batch] = collections.deque()
        try:
            while True:
                # While batches are out, a read that finds nothing returns at once.
                entries, gone = await self._read(">", None if flying else BLOCK_MS)
                if gone:
                    await self.client.xack(self.stream, self.group, *gone)
                if entries:
                    flying.append(self._start(entries))
                over = time.monotonic() >= until
                while flying and (
                    flying[0].done() or len(flying) > IN_FLIGHT or not entries or over
                ):
                    await self._finish(flying.popleft())
                self._backoff = 0.5
                self.stats.last_error = None
                if over:
                    return
        finally:
            await self._settled(flying)

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
            start = reply[0]
            entries = [(eid, lc.values_of(fields)) for eid, fields in reply[1] if fields]
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
                # Every batch settled: the pending ones come again, from the start.
                self._lane.broken = None
                if self.shared is not None:
                    self.shared.reset()
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
