"""Cancel, retry and change priority: for one task, or thousands as a background job.

The rules (shared DESIGN.md, "Semantics that must hold"):
- cancel: a waiting task is taken out of the broker atomically and put in the
  durable cancelled set that the workers check before starting a task; a
  running task is terminated (prefork) ; the answer names what happened.
- priority: a waiting task's message moves to the other priority list with
  the same task id; a task that is not waiting cannot change priority.
- retry: the original envelope is published again as a new task linked to
  the original, optionally with a new priority.
Every accepted action is in the audit log before it is answered.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import redis
from celery import Celery
from sqlalchemy import bindparam, func, insert, select, update

from backend.services.audit import AuditLog
from backend.services.auth import Principal
from backend.services.broker import BrokerQueues
from backend.services.ledger import Ledger, TaskFilter
from backend.services.quotas import Quotas
from backend.services.schema import bulk_items, bulk_jobs
from taskdeck_core import lifecycle as lc
from taskdeck_core.priority import to_celery_priority
from taskdeck_core.transport import QUEUES
from taskdeck_worker.integration import RETRY_OF_HEADER, TIER_HEADER, USER_HEADER

log = logging.getLogger("taskdeck.actions")

REMOVED = "removed_from_queue"
TERMINATED = "terminated"
REVOKED = "revoked"
ALREADY_FINISHED = "already_finished"
MOVED = "moved"
NOT_QUEUED = "not_queued"
RETRIED = "retried"
NOT_RETRYABLE = "not_retryable"
NOT_FOUND = "not_found"

BULK_MAX = 100_000
PUBLISH_THREADS = 4
JOB_THREADS = 2
CHUNK = 500


class ActionError(Exception):
    """An action refused; ``status`` is the HTTP status, ``code`` the error name."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class BulkFilter:
    failure_group: str | None = None
    name: str | None = None
    state: str | None = None
    user: str | None = None
    queue: str | None = None
    since: float | None = None
    until: float | None = None

    def to_task_filter(self) -> TaskFilter:
        return TaskFilter(
            state=self.state, name=self.name, user=self.user, queue=self.queue,
            since=self.since, until=self.until, signature=self.failure_group,
        )  # fmt: skip


@dataclass
class BulkRequest:
    action: str
    reason: str
    idempotency_key: str
    task_ids: list[str] | None = None
    filter: BulkFilter | None = None
    priority: int | None = None
    dry_run: bool = False

    def digest(self) -> str:
        data = asdict(self)
        data.pop("dry_run")
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Outcome:
    task_id: str
    outcome: str
    detail: str | None = None
    new_task_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Actions:
    def __init__(
        self,
        ledger: Ledger,
        audit: AuditLog,
        queues: BrokerQueues,
        client: redis.Redis,
        app: Celery,
        quotas: Quotas | None = None,
    ) -> None:
        self.quotas = quotas
        self.ledger = ledger
        self.audit = audit
        self.queues = queues
        self.redis = client
        self.app = app
        self._jobs_lock = threading.Lock()
        self._running: set[str] = set()
        # Bulk jobs get threads of their own, so a long job never starves the
        # shared executor that the ledger's ingest and the routes use.
        self.job_pool = ThreadPoolExecutor(JOB_THREADS, thread_name_prefix="bulk-job")

    # -- one task at a time: the same steps the bulk jobs use ---------------------

    def _queues_for(self, row: dict[str, Any] | None) -> list[str]:
        known = row.get("queue") if row else None
        return [known] if known else list(QUEUES)

    def _cancel_many(self, ids: list[str], rows: dict[str, dict[str, Any]]) -> list[Outcome]:
        out: dict[str, Outcome] = {}
        live = [i for i in ids if rows.get(i, {}).get("state") not in lc.FINAL_STATES]
        for i in ids:
            if i not in live:
                out[i] = Outcome(i, ALREADY_FINISHED, f"task is {rows[i]['state']}")
        if live:
            now = time.time()
            # Durable first: a worker that receives one of these from now on skips it.
            self.redis.zadd(lc.CANCELLED_KEY, dict.fromkeys(live, now))
            by_queue: dict[str, list[str]] = defaultdict(list)
            for i in live:
                for q in self._queues_for(rows.get(i)):
                    by_queue[q].append(i)
            removed: dict[str, str] = {}
            for queue, queue_ids in by_queue.items():
                pending = [i for i in queue_ids if i not in removed]
                for start in range(0, len(pending), 2000):
                    removed.update(self.queues.remove(queue, pending[start : start + 2000]))
            to_revoke: list[str] = []
            to_terminate: list[str] = []
            if removed and self.quotas is not None:
                self.quotas.release(list(removed))  # it will never run: its slot is free
            for i in live:
                if i in removed:
                    self.ledger.mark(i, lc.STATE_REVOKED, now, lc.REVOKED)
                    out[i] = Outcome(i, REMOVED, f"taken out of {removed[i]}")
                elif i not in rows:
                    out[i] = Outcome(i, NOT_FOUND, "no such task in the ledger or the broker")
                elif rows[i]["state"] == lc.STATE_STARTED:
                    to_terminate.append(i)
                    out[i] = Outcome(i, TERMINATED, f"running on {rows[i].get('hostname')}")
                else:
                    to_revoke.append(i)
                    out[i] = Outcome(i, REVOKED, "held by a worker; it will be skipped")
            if to_terminate:
                self.app.control.revoke(to_terminate, terminate=True, signal="SIGTERM")
            if to_revoke:
                self.app.control.revoke(to_revoke)
            unknown = [i for i in live if out[i].outcome == NOT_FOUND]
            if unknown:
                self.redis.zrem(lc.CANCELLED_KEY, *unknown)
        return [out[i] for i in ids]

    def _move_many(
        self, ids: list[str], rows: dict[str, dict[str, Any]], priority: int
    ) -> list[Outcome]:
        step = to_celery_priority(priority)
        by_queue: dict[str, list[str]] = defaultdict(list)
        for i in ids:
            for q in self._queues_for(rows.get(i)):
                by_queue[q].append(i)
        moved: dict[str, str] = {}
        for queue, queue_ids in by_queue.items():
            pending = [i for i in queue_ids if i not in moved]
            for start in range(0, len(pending), 2000):
                moved.update(self.queues.move(queue, pending[start : start + 2000], step))
        out = []
        for i in ids:
            if i in moved:
                out.append(Outcome(i, MOVED, f"now priority {priority}", extra={"from": moved[i]}))
            elif i not in rows:
                out.append(Outcome(i, NOT_FOUND, "no such task in the ledger or the broker"))
            else:
                out.append(
                    Outcome(
                        i,
                        NOT_QUEUED,
                        f"task is {rows[i]['state']}; only a waiting task can change priority",
                    )
                )
        return out

    def _retry_many(
        self, rows: list[dict[str, Any]], priority: int | None, new_ids: list[str] | None = None
    ) -> list[Outcome]:
        ids = new_ids or [str(uuid.uuid4()) for _ in rows]
        if len(rows) <= 50:
            return self._publish_retries(rows, priority, ids)
        # Publishing waits on Redis round trips; a few threads overlap them.
        parts = [
            (rows[k::PUBLISH_THREADS], ids[k::PUBLISH_THREADS]) for k in range(PUBLISH_THREADS)
        ]
        with ThreadPoolExecutor(PUBLISH_THREADS, thread_name_prefix="retry") as pool:
            done = list(pool.map(lambda p: self._publish_retries(p[0], priority, p[1]), parts))
        by_id = {o.task_id: o for part in done for o in part}
        return [by_id[row["task_id"]] for row in rows]

    def _publish_retries(
        self, rows: list[dict[str, Any]], priority: int | None, new_ids: list[str]
    ) -> list[Outcome]:
        out = []
        emitter = getattr(self.app, "taskdeck_emitter", None)
        recording = emitter.batched() if emitter is not None else contextlib.nullcontext()
        # Both are sent in one pipeline each at the end, the records first (the inner
        # context exits first), so a crash in between loses a retry rather than
        # running one twice: a bulk job that resumes treats a recorded publish as sent.
        batch_size = 4 * len(rows) + 10  # never flushes early
        if self.quotas is not None:
            # A retry is queued work of its user: it counts against the quota (but is
            # not refused by it: support decided to run it).
            self.quotas.force_take_many(
                [(row["user"], new_id) for row, new_id in zip(rows, new_ids, strict=True)
                 if row.get("user") and not _not_retryable(row)]
            )  # fmt: skip
        with self.app.producer_or_acquire() as producer, producer.batch(batch_size), recording:
            for row, new_id in zip(rows, new_ids, strict=True):
                reason = _not_retryable(row)
                if reason:
                    out.append(Outcome(row["task_id"], NOT_RETRYABLE, reason))
                    continue
                user_priority = priority if priority is not None else (row["priority"] or 5)
                headers = {RETRY_OF_HEADER: row["task_id"]}
                if row.get("user"):
                    headers[USER_HEADER] = row["user"]
                if row.get("tier"):
                    headers[TIER_HEADER] = row["tier"]
                self.app.send_task(
                    row["name"],
                    args=json.loads(row["args"] or "[]"),
                    kwargs=json.loads(row["kwargs"] or "{}"),
                    task_id=new_id,
                    queue=row["queue"] or None,
                    priority=to_celery_priority(user_priority),
                    headers=headers,
                    producer=producer,
                )
                out.append(Outcome(row["task_id"], RETRIED, None, new_task_id=new_id))
        return out

    def _row(self, task_id: str) -> dict[str, Any] | None:
        return self.ledger.rows([task_id]).get(task_id)

    def _audited(
        self, who: Principal, action: str, task_id: str, reason: str, request: dict[str, Any],
        act: Any,
    ) -> dict[str, Any]:  # fmt: skip
        audit_id = self.audit.begin(who, action, [task_id], 1, reason, request)
        try:
            outcome: Outcome = act()
        except Exception as exc:
            self.audit.finish(audit_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
            raise
        answer: dict[str, Any] = {
            "task_id": task_id, "outcome": outcome.outcome, "detail": outcome.detail,
        }  # fmt: skip
        if outcome.new_task_id:
            answer["new_task_id"] = outcome.new_task_id
        self.audit.finish(audit_id, "ok", answer)
        answer["audit_id"] = audit_id
        return answer

    def cancel(self, who: Principal, task_id: str, reason: str) -> dict[str, Any]:
        row = self._row(task_id)
        if row is None and not any(self._find_waiting(task_id, row)):
            raise ActionError(404, "unknown_task", f"no task with id {task_id!r}")
        rows = {task_id: row} if row else {}
        return self._audited(
            who, "cancel", task_id, reason, {"reason": reason},
            lambda: self._cancel_many([task_id], rows)[0],
        )  # fmt: skip

    def set_priority(
        self, who: Principal, task_id: str, priority: int, reason: str
    ) -> dict[str, Any]:
        row = self._row(task_id)
        waiting = self._find_waiting(task_id, row)
        if row is None and not waiting:
            raise ActionError(404, "unknown_task", f"no task with id {task_id!r}")
        if not waiting:
            state = row["state"] if row else "unknown"
            raise ActionError(
                409, NOT_QUEUED,
                f"task {task_id} is {state}, not waiting in a queue; only a waiting task can change priority",
            )  # fmt: skip
        rows = {task_id: row} if row else {}
        answer = self._audited(
            who, "priority", task_id, reason, {"priority": priority, "reason": reason},
            lambda: self._move_many([task_id], rows, priority)[0],
        )  # fmt: skip
        return answer

    def retry(
        self, who: Principal, task_id: str, reason: str, priority: int | None
    ) -> dict[str, Any]:
        row = self._row(task_id)
        if row is None:
            raise ActionError(404, "unknown_task", f"no task with id {task_id!r}")
        why = _not_retryable(row)
        if why:
            raise ActionError(409, NOT_RETRYABLE, why)
        return self._audited(
            who, "retry", task_id, reason, {"priority": priority, "reason": reason},
            lambda: self._retry_many([row], priority)[0],
        )  # fmt: skip

    def _find_waiting(self, task_id: str, row: dict[str, Any] | None) -> list[str]:
        """Queues in which a message of ``task_id`` is waiting (normally none or one):
        the queue the ledger knows for it, and the configured ones."""
        candidates = dict.fromkeys([*self._queues_for(row), *QUEUES])
        return [q for q in candidates if self.queues.locate(q, task_id)]

    # -- bulk ------------------------------------------------------------------

    def resolve(self, req: BulkRequest) -> list[str]:
        if req.task_ids is not None:
            return list(dict.fromkeys(req.task_ids))
        assert req.filter is not None
        return self.ledger.ids(req.filter.to_task_filter(), BULK_MAX + 1)

    def submit_bulk(self, who: Principal, req: BulkRequest) -> tuple[dict[str, Any], bool]:
        """Create (or find) the job for ``req``; returns its answer and whether it is new."""
        with self.ledger.engine.connect() as conn:
            existing = conn.execute(
                select(bulk_jobs).where(bulk_jobs.c.idempotency_key == req.idempotency_key)
            ).first()
        if existing is not None:
            if existing.request_hash != req.digest():
                raise ActionError(
                    409, "idempotency_key_reused",
                    "this idempotency_key was used for a different request; use a new key",
                )  # fmt: skip
            return {"job_id": existing.job_id, "total": existing.total}, False
        ids = self.resolve(req)
        if not ids:
            raise ActionError(422, "empty_selection", "no task matches; nothing would be changed")
        if len(ids) > BULK_MAX:
            raise ActionError(
                422, "selection_too_large",
                f"more than {BULK_MAX} tasks match; narrow the filter (e.g. a time range)",
            )  # fmt: skip
        if req.dry_run:
            return {"dry_run": True, "total": len(ids), "sample_ids": ids[:20]}, False
        job_id = str(uuid.uuid4())
        targets: Any = (
            ids if req.task_ids is not None else {"filter": asdict(req.filter or BulkFilter())}
        )
        audit_id = self.audit.begin(
            who, f"bulk_{req.action}", targets, len(ids), req.reason,
            {"action": req.action, "priority": req.priority, "idempotency_key": req.idempotency_key,
             "task_ids": req.task_ids, "filter": asdict(req.filter) if req.filter else None},
        )  # fmt: skip
        now = time.time()
        with self.ledger.engine.begin() as conn:
            conn.execute(
                insert(bulk_jobs).values(
                    job_id=job_id,
                    idempotency_key=req.idempotency_key,
                    request_hash=req.digest(),
                    action=req.action,
                    params=json.dumps({"priority": req.priority}),
                    user=who.user,
                    audit_id=audit_id,
                    state="queued",
                    total=len(ids),
                    done=0,
                    failed=0,
                    created_at=now,
                    updated_at=now,
                )  # fmt: skip
            )
            conn.execute(
                insert(bulk_items),
                [{"job_id": job_id, "seq": n, "task_id": i} for n, i in enumerate(ids)],
            )
        return {"job_id": job_id, "total": len(ids)}, True

    def job(self, job_id: str) -> dict[str, Any] | None:
        with self.ledger.engine.connect() as conn:
            row = conn.execute(select(bulk_jobs).where(bulk_jobs.c.job_id == job_id)).first()
            if row is None:
                return None
            errors = conn.execute(
                select(bulk_items.c.task_id, bulk_items.c.outcome, bulk_items.c.error)
                .where(bulk_items.c.job_id == job_id, bulk_items.c.error.is_not(None))
                .order_by(bulk_items.c.seq)
                .limit(100)
            ).all()
            counts = conn.execute(
                select(bulk_items.c.outcome, func.count())
                .where(bulk_items.c.job_id == job_id)
                .group_by(bulk_items.c.outcome)
            ).all()
        return {
            "job_id": row.job_id,
            "action": row.action,
            "state": row.state,
            "total": row.total,
            "done": row.done,
            "failed": row.failed,
            "outcomes": {str(o or "pending"): int(n) for o, n in counts},
            "errors": [
                {"task_id": e.task_id, "outcome": e.outcome, "detail": e.error} for e in errors
            ],
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }

    def unfinished_jobs(self) -> list[str]:
        with self.ledger.engine.connect() as conn:
            return [
                r.job_id
                for r in conn.execute(
                    select(bulk_jobs.c.job_id).where(bulk_jobs.c.state.in_(("queued", "running")))
                )
            ]

    def run_job(self, job_id: str) -> None:
        """Work through a job's items that have no outcome yet; safe to call after a restart."""
        with self._jobs_lock:
            if job_id in self._running:
                return
            self._running.add(job_id)
        try:
            self._run_job(job_id)
        except Exception as exc:
            log.exception("bulk job %s failed", job_id)
            with self.ledger.engine.begin() as conn:
                job = conn.execute(select(bulk_jobs).where(bulk_jobs.c.job_id == job_id)).first()
                conn.execute(
                    update(bulk_jobs).where(bulk_jobs.c.job_id == job_id)
                    .values(state="failed", updated_at=time.time())
                )  # fmt: skip
            if job is not None:
                self.audit.finish(job.audit_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
        finally:
            with self._jobs_lock:
                self._running.discard(job_id)

    def _run_job(self, job_id: str) -> None:
        with self.ledger.engine.begin() as conn:
            job = conn.execute(select(bulk_jobs).where(bulk_jobs.c.job_id == job_id)).one()
            conn.execute(
                update(bulk_jobs).where(bulk_jobs.c.job_id == job_id)
                .values(state="running", updated_at=time.time())
            )  # fmt: skip
        priority = json.loads(job.params).get("priority")
        self._resume_publishing(job_id)
        while True:
            with self.ledger.engine.connect() as conn:
                items: Any = conn.execute(
                    select(bulk_items.c.seq, bulk_items.c.task_id)
                    .where(bulk_items.c.job_id == job_id, bulk_items.c.outcome.is_(None))
                    .order_by(bulk_items.c.seq)
                    .limit(CHUNK)
                ).all()
            if not items:
                break
            ids = [i.task_id for i in items]
            rows = self.ledger.rows(ids)
            if job.action == "retry":
                outcomes = self._retry_chunk(job_id, items, rows, priority)
            elif job.action == "cancel":
                outcomes = self._cancel_many(ids, rows)
            else:
                outcomes = self._move_many(ids, rows, int(priority))
            self._record(job_id, items, outcomes)
        with self.ledger.engine.begin() as conn:
            conn.execute(
                update(bulk_jobs).where(bulk_jobs.c.job_id == job_id)
                .values(state="done", updated_at=time.time())
            )  # fmt: skip
        final = self.job(job_id) or {}
        status = "ok" if final.get("failed", 0) == 0 else "partial"
        self.audit.finish(
            job.audit_id, status,
            {"job_id": job_id, "total": final.get("total"), "done": final.get("done"),
             "failed": final.get("failed"), "outcomes": final.get("outcomes")},
        )  # fmt: skip

    def _retry_chunk(
        self, job_id: str, items: list[Any], rows: dict[str, dict[str, Any]], priority: int | None
    ) -> list[Outcome]:
        # The new ids are committed before publishing, so a restart in between
        # can tell which retries were already sent and never sends one twice.
        new_ids = {i.seq: str(uuid.uuid4()) for i in items}
        with self.ledger.engine.begin() as conn:
            conn.execute(
                _ITEM_UPDATE.values(new_task_id=bindparam("v_new"), outcome="publishing"),
                [{"b_job": job_id, "b_seq": i.seq, "v_new": new_ids[i.seq]} for i in items],
            )
        present = [rows[i.task_id] for i in items if i.task_id in rows]
        present_ids = [new_ids[i.seq] for i in items if i.task_id in rows]
        sent = {o.task_id: o for o in self._retry_many(present, priority, present_ids)}
        return [
            sent.get(i.task_id) or Outcome(i.task_id, NOT_FOUND, "no such task in the ledger")
            for i in items
        ]

    def _resume_publishing(self, job_id: str) -> None:
        """Items caught between 'new id committed' and 'outcome recorded' by a restart."""
        with self.ledger.engine.connect() as conn:
            caught = conn.execute(
                select(bulk_items.c.seq, bulk_items.c.task_id, bulk_items.c.new_task_id).where(
                    bulk_items.c.job_id == job_id, bulk_items.c.outcome == "publishing"
                )
            ).all()
        if not caught:
            return
        with self.ledger.engine.connect() as conn:
            job = conn.execute(select(bulk_jobs).where(bulk_jobs.c.job_id == job_id)).one()
        published = self._published({new_id for _s, _t, new_id in caught}, job.updated_at)
        outcomes = []
        for seq, task_id, new_id in caught:
            if new_id in published:
                outcomes.append((seq, Outcome(task_id, RETRIED, None, new_task_id=new_id)))
            else:
                row = self.ledger.rows([task_id]).get(task_id)
                if row is None:
                    outcomes.append(
                        (seq, Outcome(task_id, NOT_FOUND, "no such task in the ledger"))
                    )
                else:
                    outcomes.append((seq, self._retry_many([row], None, [new_id])[0]))
        self._record(
            job_id, [_Item(seq, o.task_id) for seq, o in outcomes], [o for _s, o in outcomes]
        )

    def _published(self, ids: set[str], since: float) -> set[str]:
        """Which of ``ids`` the ledger, or the stream since ``since``, has seen published."""
        seen = set(self.ledger.rows(ids))
        start = f"{int((since - 60) * 1000)}-0"  # stream ids are millisecond timestamps
        entries: Any = self.redis.xrange(lc.STREAM_KEY, start, "+")
        for _entry, fields in entries:
            if fields.get(b"type") == b"published":
                task_id = fields.get(b"task_id", b"").decode()
                if task_id in ids:
                    seen.add(task_id)
        return seen

    def _record(self, job_id: str, items: list[Any], outcomes: list[Outcome]) -> None:
        failed_kinds = {NOT_FOUND, NOT_QUEUED, NOT_RETRYABLE}
        with self.ledger.engine.begin() as conn:
            conn.execute(
                _ITEM_UPDATE.values(
                    outcome=bindparam("v_outcome"),
                    new_task_id=bindparam("v_new"),
                    error=bindparam("v_error"),
                ),
                [
                    {"b_job": job_id, "b_seq": item.seq, "v_outcome": o.outcome,
                     "v_new": o.new_task_id,
                     "v_error": o.detail if o.outcome in failed_kinds else None}
                    for item, o in zip(items, outcomes, strict=True)
                ],
            )  # fmt: skip
            failed = sum(1 for o in outcomes if o.outcome in failed_kinds)
            conn.execute(
                update(bulk_jobs)
                .where(bulk_jobs.c.job_id == job_id)
                .values(
                    done=bulk_jobs.c.done + len(outcomes) - failed,
                    failed=bulk_jobs.c.failed + failed,
                    updated_at=time.time(),
                )
            )


_ITEM_UPDATE = update(bulk_items).where(
    bulk_items.c.job_id == bindparam("b_job"), bulk_items.c.seq == bindparam("b_seq")
)


@dataclass(frozen=True)
class _Item:
    seq: int
    task_id: str


def _not_retryable(row: dict[str, Any]) -> str | None:
    if row["state"] not in lc.FINAL_STATES:
        return f"task {row['task_id']} is {row['state']}; only a finished task can be retried"
    if not row.get("name") or row.get("args") is None:
        return (
            f"task {row['task_id']} has no recorded envelope (it was published where the "
            "TaskDeck integration is not installed), so it cannot be re-sent exactly"
        )
    return None
