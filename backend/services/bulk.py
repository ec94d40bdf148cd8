"""Bulk jobs: cancel, retry or reprioritise thousands of tasks in the background.

A job is selected by task ids or by a filter, created once per idempotency key
(the same key with another request is refused). Each selected task is an item
with its own outcome, decided by the same rules as the single actions: what a
single route refuses for one task (finished, not waiting, unknown) is a failed
item of the job (``already_finished``, ``not_queued``, ``not_found`` ...), not
a refused job, since a selection of thousands can go stale in part between
choosing and sending. Only a selection with nothing at all to act on is
refused (404: a filter that matches nothing, task ids none of which is known).
A dry run changes nothing and says what each item would come to if the job ran
now, per outcome. Its items are worked through in chunks on threads
of their own, each chunk's outcomes recorded once it is done (a retry's chunk
is published while the next one is read), so the job's done/total moves as it
goes; after a restart,
``run_job`` resumes with the items that have no outcome yet, and never sends a
retry twice. The job is audited when created and when it ends.

Several backends share the ledger: a job is run by the backend that holds its lease
(``ledger_jobs``), taken when it creates the job and renewed every third of the lease by a
thread of its own. Every few seconds each backend also claims the unfinished jobs whose
lease lapsed (their backend died) and resumes them as after a restart, so a job outlives
the backend that started it; one whose lease it lost stops before its next chunk.

A chunk's messages are sent only if the lease was renewed less than LEASE_MARGIN of it ago
(checked once they are built, just before the batch goes out), so another backend can
claim the job no sooner than 0.3 of the lease after the last send began. A backend frozen
for longer than that in the middle of sending a batch (a stopped process, a paused VM)
can still send that one chunk again after the new holder resumed it: the one way a retry
goes twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from backend.services.action_steps import (
    FAILED_OUTCOMES,
    RETRIED,
    ActionError,
    ActionSteps,
    Outcome,
    retry_outcome,
)
from backend.services.audit import AuditLog
from backend.services.auth import Principal
from backend.services.batching import chunks
from backend.services.cursors import decode_cursor_id, encode_cursor_id
from backend.services.ledger_jobs import (
    UNFINISHED,
    BulkItem,
    BulkJob,
    BulkJobStatus,
    ItemInfo,
    ItemResult,
    Lease,
    LeaseLost,
    PublishingItem,
)
from backend.services.ledger_rows import TaskFilter, TaskRecord
from taskdeck_core import lifecycle as lc

log = logging.getLogger("taskdeck.actions")

BULK_MAX = 100_000
JOB_THREADS = 2
CHUNK = 2000  # items acted on, and recorded, at a time
SAMPLE = 20  # ids a dry run shows
LEASE_S = 15.0  # a job's lease, renewed every third of it (TASKDECK_BULK_LEASE_S)
# A job stops rather than send anything once its last renewal is this share of the lease old:
# the lease may lapse before the broker gets the messages.
LEASE_MARGIN = 0.7


def selection(f: TaskFilter | None) -> dict[str, Any]:
    """A bulk filter as the request names it (a failure group, not a signature)."""
    f = f or TaskFilter()
    named = {"failure_group": f.signature, "name": f.name, "state": f.state, "user": f.user,
             "queue": f.queue, "since": f.since, "until": f.until}  # fmt: skip
    if f.lost is not None:  # named only when given, so earlier jobs keep their digest
        named["lost"] = f.lost
    if f.retried is not None:
        named["retried"] = f.retried
    return named


@dataclass(frozen=True)
class BulkRequest:
    action: str  # cancel | retry | priority
    reason: str
    idempotency_key: str
    task_ids: list[str] | None = None
    filter: TaskFilter | None = None
    priority: int | None = None
    dry_run: bool = False

    def digest(self) -> str:
        """What makes two requests the same one (a dry run or not)."""
        data = {
            "action": self.action, "reason": self.reason, "idempotency_key": self.idempotency_key,
            "task_ids": self.task_ids, "priority": self.priority,
            "filter": selection(self.filter) if self.filter is not None else None,
        }  # fmt: skip
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class BulkAccepted:
    job_id: str
    total: int


@dataclass(frozen=True)
class BulkDryRun:
    total: int
    sample_ids: list[str]
    outcomes: dict[str, int]  # outcome -> items that would come to it
    samples: dict[str, list[str]]  # outcome -> the first SAMPLE of its task ids
    dry_run: bool = True


class BulkJobs:
    def __init__(self, steps: ActionSteps, audit: AuditLog, lease_s: float = LEASE_S) -> None:
        self.steps = steps
        self.ledger = steps.ledger
        self.store = steps.ledger.jobs
        self.audit = audit
        self._jobs_lock = threading.Lock()
        self._running: set[str] = set()
        # Bulk jobs get threads of their own, so a long job never starves the
        # shared executor that the ledger's ingest and the routes use.
        self.job_pool = ThreadPoolExecutor(JOB_THREADS, thread_name_prefix="bulk-job")
        # This process's leases: one owner name per process, unique even for backends of
        # one host with one instance name.
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = Lease(owner, lease_s)
        self._held: dict[str, float] = {}  # job -> monotonic time of its last renewal
        self._queued: set[str] = set()  # claimable jobs handed to job_pool, not started yet
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    def start(self) -> None:
        """Renew this backend's leases, and claim and run unfinished jobs that no live
        backend holds (at once: those a restart interrupted), every third of the lease."""
        if self._keeper is None:
            self._keeper = threading.Thread(target=self._keep, name="bulk-leases", daemon=True)
            self._keeper.start()

    def stop(self) -> None:
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join(timeout=5)

    def _keep(self) -> None:
        every = self.lease.seconds / 3
        while True:
            try:
                self.keep_once()
            except Exception as exc:  # noqa: BLE001 - the ledger may be away; next round
                log.warning("bulk job leases: %s", exc)
            if self._stop.wait(every):
                return

    def keep_once(self) -> list[str]:
        """Renew the leases held, then hand the claimable jobs to job_pool; returns those."""
        with self._jobs_lock:
            held = set(self._held)
        if held:
            began = time.monotonic()
            kept = self.store.renew(held, self.lease)
            with self._jobs_lock:
                for job_id in held:
                    if job_id in kept and job_id in self._held:
                        self._held[job_id] = began
                    elif job_id not in kept:
                        self._held.pop(job_id, None)
                        log.warning("bulk job %s: its lease is held by another backend", job_id)
        handed = []
        for job_id in self.store.claimable():
            with self._jobs_lock:
                if job_id in self._running or job_id in self._queued:
                    continue
                self._queued.add(job_id)
            self.job_pool.submit(self.run_job, job_id)
            handed.append(job_id)
        return handed

    def _renewed(self, job_id: str, at: float) -> None:
        with self._jobs_lock:
            self._held[job_id] = at

    def _check_lease(self, job_id: str) -> None:
        """Raise LeaseLost unless the job's lease was renewed recently enough to send."""
        with self._jobs_lock:
            at = self._held.get(job_id)
        if at is None or time.monotonic() - at > self.lease.seconds * LEASE_MARGIN:
            raise LeaseLost(f"bulk job {job_id}: its lease may have lapsed")

    def resolve(self, req: BulkRequest) -> list[str]:
        if req.task_ids is not None:
            return list(dict.fromkeys(req.task_ids))
        if req.filter is None:
            raise ActionError(422, "empty_selection", "give task_ids or a filter")
        return self.ledger.ids(req.filter, BULK_MAX + 1)

    def submit(self, who: Principal, req: BulkRequest) -> tuple[BulkAccepted | BulkDryRun, bool]:
        """Create (or find) the job for ``req``; returns its answer and whether it is new.

        Identical requests at the same moment get the one job: the job and its audit entry
        are written in one transaction, which the idempotency key's uniqueness lets only
        one of them commit; the others answer the job that did.
        """
        existing = self.store.by_key(req.idempotency_key)
        if existing is not None:
            return self._same_key(existing, req), False
        ids = self.resolve(req)
        if not ids:
            raise ActionError(404, "empty_selection", "no task matches; nothing would be changed")
        if len(ids) > BULK_MAX:
            raise ActionError(
                422, "selection_too_large",
                f"more than {BULK_MAX} tasks match; narrow the filter (e.g. a time range)",
            )  # fmt: skip
        if req.task_ids is not None and not self._any_known(req.action, ids):
            raise ActionError(
                404, "unknown_task",
                f"none of the {len(ids)} task ids is in the ledger"
                + ("" if req.action == "retry" else " or waiting in a queue"),
            )  # fmt: skip
        if req.dry_run:
            return self.dry_run(req, ids), False
        targets: Any = ids if req.task_ids is not None else {"filter": selection(req.filter)}
        now = time.time()
        try:
            with self.store.engine.begin() as conn:
                audit_id = self.audit.begin(
                    who, f"bulk_{req.action}", targets, len(ids), req.reason,
                    {"action": req.action, "priority": req.priority,
                     "idempotency_key": req.idempotency_key, "task_ids": req.task_ids,
                     "filter": selection(req.filter) if req.filter else None},
                    conn=conn,
                )  # fmt: skip
                job = BulkJob(
                    job_id=str(uuid.uuid4()), idempotency_key=req.idempotency_key,
                    request_hash=req.digest(), action=req.action, priority=req.priority,
                    user=who.user, audit_id=audit_id, state="queued", total=len(ids), done=0,
                    failed=0, created_at=now, updated_at=now,
                )  # fmt: skip
                self.store.create(conn, job, ids, self.lease)
        except IntegrityError:
            # The same key committed by an identical request a moment ago.
            existing = self.store.by_key(req.idempotency_key)
            if existing is None:
                raise
            return self._same_key(existing, req), False
        self._renewed(job.job_id, time.monotonic())
        return BulkAccepted(job.job_id, job.total), True

    def _same_key(self, existing: BulkJob, req: BulkRequest) -> BulkAccepted:
        if existing.request_hash != req.digest():
            raise ActionError(
                409, "idempotency_key_reused",
                "this idempotency_key was used for a different request; use a new key",
            )  # fmt: skip
        return BulkAccepted(existing.job_id, existing.total)

    def _any_known(self, action: str, ids: list[str]) -> bool:
        """Whether any of ``ids`` is in the ledger or (but for a retry) waits in a queue."""
        if self.ledger.known(ids):
            return True
        return action != "retry" and bool(self.steps.waiting_in(ids, {}))

    def dry_run(self, req: BulkRequest, ids: list[str]) -> BulkDryRun:
        """What the job would come to, item by item, if it ran now: its items per outcome."""
        outcomes: Counter[str] = Counter()
        samples: dict[str, list[str]] = {}
        for part in chunks(ids, CHUNK):
            rows = self.ledger.rows(part)
            for o in self.steps.preview(req.action, list(part), rows, req.priority):
                outcomes[o.outcome] += 1
                shown = samples.setdefault(o.outcome, [])
                if len(shown) < SAMPLE:
                    shown.append(o.task_id)
        return BulkDryRun(
            total=len(ids), sample_ids=ids[:SAMPLE], outcomes=dict(outcomes), samples=samples
        )

    def status(self, job_id: str) -> BulkJobStatus | None:
        return self.store.status(job_id)

    def recent(self, limit: int, user: str | None = None) -> list[BulkJobStatus]:
        """The newest jobs (``user``'s only, if given), newest first."""
        return self.store.recent(limit, user)

    def items(
        self, job_id: str, outcome: str | None, limit: int, cursor: str | None
    ) -> tuple[list[ItemInfo], str | None] | None:
        """A page of a job's items in order, with ``outcome`` if given ("pending": none yet),
        and the cursor of the next page; None if there is no such job. Raises CursorError
        for a cursor this API did not hand out."""
        after = decode_cursor_id(cursor) if cursor else None
        if self.store.get(job_id) is None:
            return None
        found = self.store.items(job_id, outcome, limit + 1, after)
        more = len(found) > limit
        found = found[:limit]
        return found, (encode_cursor_id(found[-1].seq) if more else None)

    def unfinished_jobs(self) -> list[str]:
        return self.store.unfinished()

    def run_job(self, job_id: str) -> None:
        """Work through a job's items that have no outcome yet, if this backend can take
        its lease (another live backend holds it: nothing); safe to call after a restart."""
        with self._jobs_lock:
            self._queued.discard(job_id)
            if job_id in self._running:
                return
            self._running.add(job_id)
        try:
            began = time.monotonic()
            if not self.store.claim(job_id, self.lease):
                log.info("bulk job %s: another backend runs it", job_id)
                return
            self._renewed(job_id, began)
            job = self.store.get(job_id)
            if job is None or job.state not in UNFINISHED:
                self.store.release(job_id, self.lease)
                return
            if job.state == "running":
                log.info("bulk job %s: resumed here (%d of %d done)", job_id, job.done, job.total)
            self._run_job(job_id)
        except LeaseLost as exc:
            # Nothing is being sent now (the publishing thread was waited for): whatever
            # this backend still holds is given up, for any backend to claim at once.
            log.warning("%s; left to the backend that claims it", exc)
            self.store.release(job_id, self.lease)
        except Exception as exc:
            log.exception("bulk job %s failed", job_id)
            try:
                job = self.store.set_state(job_id, "failed", self.lease)
            except LeaseLost:
                job = None
            if job is not None:
                self.audit.finish(job.audit_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
                self.store.release(job_id, self.lease)
        finally:
            with self._jobs_lock:
                self._running.discard(job_id)
                self._held.pop(job_id, None)

    def _run_job(self, job_id: str) -> None:
        job = self.store.set_state(job_id, "running", self.lease)
        if job is None:
            raise LookupError(f"no bulk job {job_id}")
        self._resume_publishing(job_id)
        if job.action == "retry":
            self._retry_all(job_id, job.priority)
        while job.action != "retry":
            self._check_lease(job_id)
            items = self.store.pending(job_id, CHUNK)
            if not items:
                break
            ids = [i.task_id for i in items]
            rows = self.ledger.rows(ids)
            if job.action == "cancel":
                outcomes = self.steps.cancel_many(ids, rows)
            elif job.priority is None:
                raise ValueError(f"bulk job {job_id} changes priority but names none")
            else:
                outcomes = self.steps.move_many(ids, rows, job.priority)
            self._record(job_id, items, outcomes)
        self.store.set_state(job_id, "done", self.lease)
        final = self.store.status(job_id)
        if final is None:
            raise LookupError(f"bulk job {job_id} is gone")
        self.audit.finish(
            job.audit_id, "ok" if final.failed == 0 else "partial",
            {"job_id": job_id, "total": final.total, "done": final.done, "failed": final.failed,
             "outcomes": final.outcomes},
        )  # fmt: skip
        self.store.release(job_id, self.lease)

    def _retry_all(self, job_id: str, priority: int | None) -> None:
        """Retry every pending item, a chunk at a time: its new ids committed and its
        quota slots taken, its messages published, its outcomes recorded. While one thread
        publishes chunk k, this one reads chunk k+1 and commits its new ids (the ledger's
        waits overlap the publishing); chunk k's outcomes are recorded once it is sent,
        before chunk k+1 is. A restart finds at most two chunks caught publishing, and
        ``_resume_publishing`` sends only what the broker never got."""
        with ThreadPoolExecutor(1, thread_name_prefix="bulk-publish") as publisher:
            ready = self._prepare_retries(job_id)
            while ready is not None:
                items, rows, new_ids = ready
                publishing = publisher.submit(
                    self._retry_chunk, job_id, items, rows, priority, new_ids
                )
                ready = self._prepare_retries(job_id)
                self._record(job_id, items, publishing.result())

    def _prepare_retries(
        self, job_id: str
    ) -> tuple[list[BulkItem], dict[str, TaskRecord], dict[int, str]] | None:
        """The next pending chunk, its rows, and its new task ids, committed (None: done)."""
        self._check_lease(job_id)
        items = self.store.pending(job_id, CHUNK)
        if not items:
            return None
        rows = self.ledger.rows([i.task_id for i in items])
        # The new ids are committed before publishing, so a restart in between
        # can tell which retries were already sent and never sends one twice.
        new_ids = {i.seq: str(uuid.uuid4()) for i in items}
        began = time.monotonic()
        self.store.start_publishing(job_id, new_ids, self.lease)
        self._renewed(job_id, began)
        present = [i for i in items if i.task_id in rows]
        self.steps.take_retry_slots(
            [rows[i.task_id] for i in present], [new_ids[i.seq] for i in present]
        )
        return items, rows, new_ids

    def _retry_chunk(
        self, job_id: str, items: list[BulkItem], rows: dict[str, TaskRecord],
        priority: int | None, new_ids: dict[int, str],
    ) -> list[Outcome]:  # fmt: skip
        self._check_lease(job_id)
        present = [rows[i.task_id] for i in items if i.task_id in rows]
        present_ids = [new_ids[i.seq] for i in items if i.task_id in rows]
        retried = self.steps.retry_many(
            present, priority, present_ids, slots_taken=True,
            ready=lambda: self._check_lease(job_id),
        )  # fmt: skip
        sent = {o.task_id: o for o in retried}
        return [sent.get(i.task_id) or retry_outcome(i.task_id, None) for i in items]

    def _resume_publishing(self, job_id: str) -> None:
        """Items caught between 'new id committed' and 'outcome recorded' by a restart."""
        caught = self.store.publishing(job_id)
        job = self.store.get(job_id) if caught else None
        if job is None:
            return
        published = self._published({c.new_task_id for c in caught}, job.updated_at)
        originals = self.ledger.rows([c.task_id for c in caught])
        published = self._reached_broker(published, caught, originals)
        unsent = [c for c in caught if c.new_task_id not in published]
        rows = {c.task_id: originals[c.task_id] for c in unsent if c.task_id in originals}
        again = [c for c in unsent if c.task_id in rows]
        self._check_lease(job_id)
        resent = self.steps.retry_many(
            [rows[c.task_id] for c in again], job.priority, [c.new_task_id for c in again],
            ready=lambda: self._check_lease(job_id),
        ) if again else []  # fmt: skip
        by_task = {o.task_id: o for o in resent}
        outcomes = [
            Outcome(c.task_id, RETRIED, None, new_task_id=c.new_task_id)
            if c.new_task_id in published
            else by_task.get(c.task_id) or retry_outcome(c.task_id, None)
            for c in caught
        ]
        self._record(job_id, [BulkItem(c.seq, c.task_id) for c in caught], outcomes)

    def _reached_broker(
        self, published: set[str], caught: list[PublishingItem], originals: dict[str, TaskRecord]
    ) -> set[str]:
        """Of the retries whose publish is recorded, those whose message the broker got.
        The records are sent before the messages, so a crash between the two leaves a
        recorded publish whose message never arrived: it is sent again. Got: the ledger
        saw a worker take it (past PENDING), or it waits in its queue, or a worker holds
        it unacknowledged."""
        if not published:
            return set()
        got = {i for i, r in self.ledger.rows(published).items() if r.state != lc.PENDING}
        rest = [i for i in published if i not in got]
        if rest:
            # Where each retry was sent: its original's queue.
            queue_rows = {c.new_task_id: originals[c.task_id] for c in caught
                          if c.task_id in originals}  # fmt: skip
            got |= set(self.steps.waiting_in(rest, queue_rows))
            got |= self.steps.queues.unacked_ids() & set(rest)
        return got

    def _published(self, ids: set[str], since: float) -> set[str]:
        """Which of ``ids`` the ledger, or the stream since ``since``, has seen published."""
        seen = set(self.ledger.rows(ids))
        start = f"{int((since - 60) * 1000)}-0"  # stream ids are millisecond timestamps
        entries: Any = self.steps.redis.xrange(lc.STREAM_KEY, start, "+")
        for _entry, fields in entries:
            if fields.get(b"type") == b"published":
                task_id = fields.get(b"task_id", b"").decode()
                if task_id in ids:
                    seen.add(task_id)
        return seen

    def _record(self, job_id: str, items: list[BulkItem], outcomes: list[Outcome]) -> None:
        results = []
        for item, o in zip(items, outcomes, strict=True):
            failed = o.outcome in FAILED_OUTCOMES
            results.append(
                ItemResult(item.seq, o.outcome, o.new_task_id, o.detail if failed else None, failed)
            )
        began = time.monotonic()
        self.store.record(job_id, results, self.lease)
        self._renewed(job_id, began)
