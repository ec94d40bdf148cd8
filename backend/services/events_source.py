"""The ledger's fallback source, for a Celery system without the TaskDeck integration.

Celery's own task events say what happened, but carry arguments and results
only as truncated reprs. When a task finishes, the result backend (with
``result_extended``) still holds its whole args, kwargs, result and traceback,
so a finished task's record is completed from there, and a retry can re-send
it exactly. A task that never finishes keeps only the reprs and cannot be
retried.

Which source feeds the ledger: ``TASKDECK_LEDGER_SOURCE=stream`` or ``events``,
or ``auto`` (the default): the lifecycle stream while workers write to it
(a worker-side record within the last few minutes), Celery events otherwise.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from backend.services.ledger import Ledger
from taskdeck_core import lifecycle as lc
from taskdeck_core.safe_json import clean_json, clean_text

log = logging.getLogger("taskdeck.events")

STREAM = "lifecycle-stream"
EVENTS = "celery-events"
WORKER_RECORD_WINDOW_S = 300.0
_WORKER_TYPES = {lc.RECEIVED, lc.STARTED, lc.SUCCEEDED, lc.FAILED, lc.RETRIED, lc.REVOKED}
_WORKER_TYPE_VALUES = frozenset(t.encode() for t in _WORKER_TYPES)  # as stream entries hold them
DEFAULT_BUFFER = 200_000  # events held for the ledger at most (TASKDECK_EVENTS_BUFFER)
BATCH = 5000  # events applied at once
_EXC = re.compile(r"^(?P<type>[\w.]+)\((?P<msg>.*)\)$", re.S)

_TYPES = {
    "task-sent": lc.PUBLISHED,
    "task-received": lc.RECEIVED,
    "task-started": lc.STARTED,
    "task-succeeded": lc.SUCCEEDED,
    "task-failed": lc.FAILED,
    "task-retried": lc.RETRIED,
    "task-revoked": lc.REVOKED,
    "task-rejected": lc.REJECTED,
}


class SourceChooser:
    """Decides, and reports, which source feeds the ledger."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.last_worker_record: float | None = None

    def saw_stream_records(self, records: list[lc.LifecycleRecord]) -> None:
        if any(r.type in _WORKER_TYPES for r in records):
            self.last_worker_record = time.time()

    def saw_stream_entries(self, entries: list[tuple[bytes, ...]]) -> None:
        """As ``saw_stream_records``, from stream entries as their values of
        ``lc.ENTRY_FIELDS`` (no record made of each)."""
        if any(values and values[0] in _WORKER_TYPE_VALUES for values in entries):
            self.last_worker_record = time.time()

    def seed_from_stream(self, client: redis.Redis, stream: str = lc.STREAM_KEY) -> None:
        """At start: did workers write to the stream recently?"""
        entries: Any = client.xrevrange(stream, "+", "-", count=200)
        for entry_id, fields in entries:
            kind = fields.get(b"type", b"").decode()
            if kind in _WORKER_TYPES:
                ms = int(entry_id.decode().split("-")[0])
                self.last_worker_record = ms / 1000
                return

    @property
    def plugin_seen(self) -> bool:
        """Workers with the TaskDeck plug-in wrote to the lifecycle stream recently."""
        return self.last_worker_record is not None and (
            time.time() - self.last_worker_record < WORKER_RECORD_WINDOW_S
        )

    @property
    def current(self) -> str:
        if self.mode in (STREAM, "stream"):
            return STREAM
        if self.mode in (EVENTS, "events"):
            return EVENTS
        return STREAM if self.plugin_seen else EVENTS


def _exception(text: str) -> tuple[str, str]:
    match = _EXC.match(text.strip())
    if not match:
        return "Exception", text
    message = match.group("msg")
    if len(message) >= 2 and message[0] == message[-1] and message[0] in "'\"":
        message = message[1:-1]
    return match.group("type").rsplit(".", 1)[-1], message


def record_from_event(event: dict[str, Any]) -> lc.LifecycleRecord | None:
    kind = _TYPES.get(str(event.get("type")))
    task_id = event.get("uuid")
    if kind is None or not task_id:
        return None
    ts = float(event.get("timestamp") or time.time())
    data: dict[str, Any] = {}
    if kind in (lc.PUBLISHED, lc.RECEIVED):
        data = {
            "name": event.get("name"),
            "queue": event.get("queue") or event.get("routing_key"),
            "retries": event.get("retries", 0),
            "eta": event.get("eta"),
            "expires": event.get("expires"),
            "parent_id": event.get("parent_id"),
            "root_id": event.get("root_id"),
            "argsrepr": event.get("args"),
            "kwargsrepr": event.get("kwargs"),
            "hostname": event.get("hostname"),
            # Task events come from the worker's main process (``pid``), like its heartbeats.
            "worker_pid": event.get("pid") if kind == lc.RECEIVED else None,
            "from_events": True,
        }
    elif kind == lc.STARTED:
        data = {"hostname": event.get("hostname"), "worker_pid": event.get("pid")}
    elif kind == lc.SUCCEEDED:
        data = {"runtime": event.get("runtime"), "result": event.get("result")}
    elif kind == lc.FAILED:
        exc_type, message = _exception(str(event.get("exception") or ""))
        data = {"exc_type": exc_type, "exc_message": message, "traceback": event.get("traceback")}
    elif kind == lc.RETRIED:
        data = {"reason": event.get("exception")}
    elif kind == lc.REVOKED:
        data = {"terminated": bool(event.get("terminated")), "expired": bool(event.get("expired"))}
    # Events come from the watched system's own workers: store nothing no encoder accepts.
    return lc.LifecycleRecord(
        kind, clean_text(str(task_id)), ts, data if _plain(data) else clean_json(data)
    )


def _plain(data: dict[str, Any]) -> bool:
    """Every value is None, a boolean, an int, a finite float or ASCII text: nothing for
    ``clean_json`` to change (what nearly every event holds; the check costs a third)."""
    for value in data.values():
        kind = type(value)
        if value is None or kind is bool or kind is int:
            continue
        if kind is str:
            if not value.isascii():
                return False
        elif kind is not float or not math.isfinite(value):
            return False
    return True


class EventIngestor:
    """Buffers task events from the receiver thread; applies them while this source is in use.

    The buffer is bounded (``buffer`` events): Celery's events arrive by publish/subscribe,
    so the receiver cannot slow their senders down, and holding everything a storm sends
    would hold unbounded memory. An event that arrives while the buffer is full is dropped
    and counted (``dropped``, ``on_drop``), never lost silently; /health and the metric
    ``taskdeck_ledger_events_dropped_total`` say how many.
    """

    def __init__(
        self,
        ledger: Ledger,
        results: redis.Redis,
        chooser: SourceChooser,
        apply: Callable[[list[lc.LifecycleRecord]], object] | None = None,
        buffer: int = DEFAULT_BUFFER,
        on_drop: Callable[[], object] | None = None,
    ) -> None:
        self.ledger = ledger
        self.apply = apply or ledger.apply
        self.results = results
        self.chooser = chooser
        self.buffer = buffer
        self._events: collections.deque[dict[str, Any]] = collections.deque()
        self._lock = threading.Lock()
        self._on_drop = on_drop
        self.records = 0
        self.received = 0  # task events handed over by the receiver
        self.dropped = 0  # of those, dropped because the buffer was full
        self.set_aside = 0  # of those, read while the lifecycle stream fed the ledger
        # Whether the latest finished task's result held its whole arguments
        # (result_extended); None until one is seen.
        self.extended: bool | None = None

    def feed(self, event: dict[str, Any]) -> None:
        """Called on the event receiver's thread."""
        if not str(event.get("type", "")).startswith("task-"):
            return
        with self._lock:
            self.received += 1
            if len(self._events) >= self.buffer:
                self.dropped += 1
                full = True
            else:
                self._events.append(event)
                full = False
        if full:
            if self.dropped == 1 or self.dropped % 10_000 == 0:
                log.warning("ledger from events: the buffer of %d events is full; %d dropped "
                            "so far", self.buffer, self.dropped)  # fmt: skip
            if self._on_drop is not None:
                self._on_drop()

    def _completed(self, records: list[lc.LifecycleRecord]) -> list[lc.LifecycleRecord]:
        """Whole args, kwargs and result from the result backend, for finished tasks."""
        final = [r for r in records if r.type in (lc.SUCCEEDED, lc.FAILED)]
        if not final:
            return records
        metas: Any = self.results.mget([f"celery-task-meta-{r.task_id}" for r in final])
        extra = []
        for rec, raw in zip(final, metas, strict=True):
            if not raw:
                continue
            try:
                meta = json.loads(raw)
            except ValueError:
                continue
            self.extended = "args" in meta and bool(meta.get("name"))
            if self.extended:
                # Not a publish: the arguments of one, read back (lc.REBUILT: not counted as sent).
                extra.append(lc.LifecycleRecord(lc.PUBLISHED, rec.task_id, rec.ts - 1e-6, {
                    "name": meta["name"], "args": meta.get("args") or [],
                    "kwargs": meta.get("kwargs") or {}, "queue": meta.get("queue"),
                    "retries": meta.get("retries") or 0, lc.REBUILT: True,
                }))  # fmt: skip
            if rec.type == lc.SUCCEEDED and "result" in meta:
                rec.data["result"] = meta["result"]
            if rec.type == lc.FAILED and meta.get("traceback"):
                rec.data["traceback"] = meta["traceback"]
        return records + extra

    def drain(self) -> int:
        """Apply what has arrived (when this source is in use); returns records applied."""
        with self._lock:
            batch = [self._events.popleft() for _ in range(min(len(self._events), BATCH))]
        if not batch:
            return 0
        if self.chooser.current != EVENTS:
            self.set_aside += len(batch)
            return 0
        records = [r for r in (record_from_event(e) for e in batch) if r is not None]
        records = self._completed(records)
        self.apply(records)
        self.records += len(records)
        return len(records)

    async def run(self) -> None:
        while True:
            try:
                applied = await asyncio.to_thread(self.drain)
            except Exception as exc:  # noqa: BLE001 - keep going; the next batch may work
                log.warning("ledger from events: %s", exc)
                applied = 0
            if not applied:
                await asyncio.sleep(0.5)
