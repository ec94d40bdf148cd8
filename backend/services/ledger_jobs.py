"""Bulk jobs in the ledger's database: the job, its items in order, and their outcomes.

Every item is written when the job is created, and gets its outcome once acted
on, so a job that a restart interrupted resumes with the items that have none.
A retry's new task id is committed (outcome ``publishing``) before it is sent.

An unfinished job is run by the one backend that holds its lease (``bulk_leases``): taken
when the job is created, renewed while it runs, and claimed by another backend once it
lapsed. The claim is one conditional UPDATE (or the INSERT of a job that had no lease), so
of backends claiming at once exactly one gets it; every write of a running job renews the
lease in its own transaction and is refused (``LeaseLost``) if another backend holds it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from backend.services.schema import audit, bulk_items, bulk_jobs, bulk_leases

PUBLISHING = "publishing"  # an item's outcome while its retry is being sent
UNFINISHED = ("queued", "running")
ERRORS_SHOWN = 100


class LeaseLost(Exception):
    """This backend no longer holds the job's lease: another backend may be running it."""


@dataclass(frozen=True)
class Lease:
    """Who holds a job's lease (one backend process) and for how many seconds at a time."""

    owner: str
    seconds: float


def _hold(conn: Connection, job_id: str, lease: Lease) -> None:
    """Renew ``lease`` of the job in ``conn``'s transaction, or raise LeaseLost if its holder
    is another backend (which then rolls the transaction back). A write first: on SQLite a
    transaction that reads before it writes may find the database changed under it."""
    held = conn.execute(
        update(bulk_leases)
        .where(bulk_leases.c.job_id == job_id, bulk_leases.c.owner == lease.owner)
        .values(expires_at=time.time() + lease.seconds)
    )
    if held.rowcount != 1:
        raise LeaseLost(f"bulk job {job_id} is held by another backend")


@dataclass(frozen=True)
class BulkJob:
    job_id: str
    idempotency_key: str
    request_hash: str
    action: str  # cancel | retry | priority
    priority: int | None
    user: str
    audit_id: int
    state: str  # queued | running | done | failed
    total: int
    done: int
    failed: int
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class BulkItem:
    seq: int
    task_id: str


@dataclass(frozen=True)
class PublishingItem:
    """An item whose retry got its new id but has no recorded outcome yet."""

    seq: int
    task_id: str
    new_task_id: str


@dataclass(frozen=True)
class ItemResult:
    """What acting on one item came to."""

    seq: int
    outcome: str
    new_task_id: str | None = None
    error: str | None = None
    failed: bool = False


@dataclass(frozen=True)
class ItemError:
    task_id: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class BulkJobStatus:
    job_id: str
    action: str
    state: str
    total: int
    done: int
    failed: int
    outcomes: dict[str, int]  # outcome (or "pending") -> items
    errors: list[ItemError]  # the first ERRORS_SHOWN, in item order
    created_at: float
    updated_at: float
    user: str
    reason: str | None  # the audit entry's
    audit_id: int
    priority: int | None


@dataclass(frozen=True)
class ItemInfo:
    """An item as the job's item list shows it (outcome None: not acted on yet)."""

    seq: int
    task_id: str
    outcome: str | None
    detail: str | None
    new_task_id: str | None


_ITEM_UPDATE = update(bulk_items).where(
    bulk_items.c.job_id == bindparam("b_job"), bulk_items.c.seq == bindparam("b_seq")
)


def _update_items(conn: Connection, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """``UPDATE bulk_items SET <columns> WHERE job_id AND seq`` for each row (the columns'
    values, then job id and seq), as one DB-API executemany of plain tuples: a chunk of
    thousands of items costs microseconds each, where SQLAlchemy's per-row parameter
    processing cost tens."""
    style = conn.dialect.paramstyle
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(style)
    if mark is None:  # a driver with named parameters: the portable statement
        names = [*("v_" + c for c in columns), "b_job", "b_seq"]
        named = [dict(zip(names, r, strict=True)) for r in rows]
        conn.execute(_ITEM_UPDATE.values({c: bindparam("v_" + c) for c in columns}), named)
        return
    assignments = ", ".join(f"{c} = {mark}" for c in columns)
    conn.exec_driver_sql(
        f"UPDATE bulk_items SET {assignments} WHERE job_id = {mark} AND seq = {mark}", rows
    )


def _job(conn: Connection, where: Any) -> BulkJob | None:
    row = conn.execute(select(bulk_jobs).where(where)).first()
    return None if row is None else _job_of(row)


def _job_of(row: Any) -> BulkJob:
    data: dict[str, Any] = dict(row._mapping)
    data["priority"] = json.loads(data.pop("params")).get("priority")
    return BulkJob(**data)


def _status(conn: Connection, job: BulkJob) -> BulkJobStatus:
    errors = conn.execute(
        select(bulk_items.c.task_id, bulk_items.c.outcome, bulk_items.c.error)
        .where(bulk_items.c.job_id == job.job_id, bulk_items.c.error.is_not(None))
        .order_by(bulk_items.c.seq)
        .limit(ERRORS_SHOWN)
    ).all()
    counts = conn.execute(
        select(bulk_items.c.outcome, func.count())
        .where(bulk_items.c.job_id == job.job_id)
        .group_by(bulk_items.c.outcome)
    ).all()
    reason = conn.execute(select(audit.c.reason).where(audit.c.id == job.audit_id)).scalar()
    return BulkJobStatus(
        job_id=job.job_id, action=job.action, state=job.state, total=job.total,
        done=job.done, failed=job.failed,
        outcomes={str(o or "pending"): int(n) for o, n in counts},
        errors=[ItemError(e.task_id, e.outcome, e.error) for e in errors],
        created_at=job.created_at, updated_at=job.updated_at, user=job.user, reason=reason,
        audit_id=job.audit_id, priority=job.priority,
    )  # fmt: skip


class BulkJobStore:
    def __init__(self, engine: Engine, writing: threading.Lock | None = None) -> None:
        """``writing``: the ledger's lock of its writes, taken for a job's item updates
        too, so a chunk's update waits exactly for an ingest batch's commit where SQLite's
        own busy handler would wait for it by sleeps of up to 100 ms."""
        self.engine = engine
        self._writing = writing or threading.Lock()

    def by_key(self, idempotency_key: str) -> BulkJob | None:
        with self.engine.connect() as conn:
            return _job(conn, bulk_jobs.c.idempotency_key == idempotency_key)

    def get(self, job_id: str) -> BulkJob | None:
        with self.engine.connect() as conn:
            return _job(conn, bulk_jobs.c.job_id == job_id)

    def create(
        self, conn: Connection, job: BulkJob, task_ids: list[str], lease: Lease | None = None
    ) -> None:
        """The job and one item per task id, in the caller's transaction ``conn`` (which
        raises IntegrityError if a job with the same idempotency key exists); with
        ``lease``, held by its owner from the start."""
        conn.execute(
            insert(bulk_jobs).values(
                job_id=job.job_id, idempotency_key=job.idempotency_key,
                request_hash=job.request_hash, action=job.action,
                params=json.dumps({"priority": job.priority}), user=job.user,
                audit_id=job.audit_id, state=job.state, total=job.total, done=job.done,
                failed=job.failed, created_at=job.created_at, updated_at=job.updated_at,
            )
        )  # fmt: skip
        conn.execute(
            insert(bulk_items),
            [{"job_id": job.job_id, "seq": n, "task_id": i} for n, i in enumerate(task_ids)],
        )
        if lease is not None:
            conn.execute(
                insert(bulk_leases).values(
                    job_id=job.job_id, owner=lease.owner, expires_at=time.time() + lease.seconds
                )
            )

    def status(self, job_id: str) -> BulkJobStatus | None:
        with self.engine.connect() as conn:
            job = _job(conn, bulk_jobs.c.job_id == job_id)
            return None if job is None else _status(conn, job)

    def recent(self, limit: int, user: str | None = None) -> list[BulkJobStatus]:
        """The newest ``limit`` jobs (of ``user`` if given), newest first."""
        stmt = select(bulk_jobs).order_by(bulk_jobs.c.created_at.desc()).limit(limit)
        if user is not None:
            stmt = stmt.where(bulk_jobs.c.user == user)
        with self.engine.connect() as conn:
            return [_status(conn, _job_of(row)) for row in conn.execute(stmt).all()]

    def items(
        self, job_id: str, outcome: str | None, limit: int, after: int | None
    ) -> list[ItemInfo]:
        """A job's items in order after seq ``after``, with ``outcome`` if given ("pending":
        not acted on yet); at most ``limit``."""
        stmt = (
            select(bulk_items)
            .where(bulk_items.c.job_id == job_id)
            .order_by(bulk_items.c.seq)
            .limit(limit)
        )
        if outcome == "pending":
            stmt = stmt.where(bulk_items.c.outcome.is_(None))
        elif outcome is not None:
            stmt = stmt.where(bulk_items.c.outcome == outcome)
        if after is not None:
            stmt = stmt.where(bulk_items.c.seq > after)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [ItemInfo(r.seq, r.task_id, r.outcome, r.error, r.new_task_id) for r in rows]

    def unfinished(self) -> list[str]:
        with self.engine.connect() as conn:
            stmt = select(bulk_jobs.c.job_id).where(bulk_jobs.c.state.in_(UNFINISHED))
            return [r.job_id for r in conn.execute(stmt)]

    def claim(self, job_id: str, lease: Lease) -> bool:
        """Take the job's lease if it lapsed, is ``lease.owner``'s already, or was never
        taken; False if another backend holds it. Atomic: of backends claiming at once, one
        gets it (the UPDATE's condition is checked again on the row it locks; two INSERTs of
        the same key, one commits)."""
        now = time.time()
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(bulk_leases)
                .where(
                    bulk_leases.c.job_id == job_id,
                    or_(bulk_leases.c.expires_at < now, bulk_leases.c.owner == lease.owner),
                )
                .values(owner=lease.owner, expires_at=now + lease.seconds)
            )
            if taken.rowcount == 1:
                return True
            held = conn.execute(
                select(bulk_leases.c.owner).where(bulk_leases.c.job_id == job_id)
            ).first()
        if held is not None:
            return False
        try:  # a job made before leases, or by a request that gave none
            with self.engine.begin() as conn:
                conn.execute(
                    insert(bulk_leases).values(
                        job_id=job_id, owner=lease.owner, expires_at=now + lease.seconds
                    )
                )
        except IntegrityError:
            return False
        return True

    def renew(self, job_ids: set[str], lease: Lease) -> set[str]:
        """Renew ``lease`` on each of ``job_ids``; returns those it still holds."""
        kept = set()
        for job_id in sorted(job_ids):
            try:
                with self.engine.begin() as conn:
                    _hold(conn, job_id, lease)
                kept.add(job_id)
            except LeaseLost:
                pass
        return kept

    def release(self, job_id: str, lease: Lease) -> None:
        """Give up the job's lease (if ``lease.owner`` holds it)."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(bulk_leases).where(
                    bulk_leases.c.job_id == job_id, bulk_leases.c.owner == lease.owner
                )
            )

    def claimable(self) -> list[str]:
        """Unfinished jobs whose lease lapsed or that have none: no backend runs them."""
        stmt = (
            select(bulk_jobs.c.job_id)
            .select_from(
                bulk_jobs.outerjoin(bulk_leases, bulk_leases.c.job_id == bulk_jobs.c.job_id)
            )
            .where(
                bulk_jobs.c.state.in_(UNFINISHED),
                or_(bulk_leases.c.job_id.is_(None), bulk_leases.c.expires_at < time.time()),
            )
            .order_by(bulk_jobs.c.created_at)
        )
        with self.engine.connect() as conn:
            return [r.job_id for r in conn.execute(stmt)]

    def set_state(self, job_id: str, state: str, lease: Lease | None = None) -> BulkJob | None:
        """Set a job's state; returns the job as it was before, or None if there is none.
        With ``lease``, only while it holds the job (else LeaseLost, nothing changed)."""
        with self.engine.begin() as conn:
            if lease is not None:
                _hold(conn, job_id, lease)
            job = _job(conn, bulk_jobs.c.job_id == job_id)
            conn.execute(
                update(bulk_jobs).where(bulk_jobs.c.job_id == job_id)
                .values(state=state, updated_at=time.time())
            )  # fmt: skip
        return job

    def pending(self, job_id: str, limit: int) -> list[BulkItem]:
        """The first ``limit`` items, in order, that have no outcome yet."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(bulk_items.c.seq, bulk_items.c.task_id)
                .where(bulk_items.c.job_id == job_id, bulk_items.c.outcome.is_(None))
                .order_by(bulk_items.c.seq)
                .limit(limit)
            ).all()
        return [BulkItem(r.seq, r.task_id) for r in rows]

    def start_publishing(
        self, job_id: str, new_ids: dict[int, str], lease: Lease | None = None
    ) -> None:
        """Commit the new task id of each item (by seq) about to be retried (with ``lease``,
        only while it holds the job)."""
        with self._writing, self.engine.begin() as conn:
            if lease is not None:
                _hold(conn, job_id, lease)
            _update_items(
                conn, ["new_task_id", "outcome"],
                [(new, PUBLISHING, job_id, seq) for seq, new in new_ids.items()],
            )  # fmt: skip

    def publishing(self, job_id: str) -> list[PublishingItem]:
        """Items caught between 'new id committed' and 'outcome recorded'."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(bulk_items.c.seq, bulk_items.c.task_id, bulk_items.c.new_task_id).where(
                    bulk_items.c.job_id == job_id, bulk_items.c.outcome == PUBLISHING
                )
            ).all()
        return [PublishingItem(r.seq, r.task_id, r.new_task_id) for r in rows]

    def record(self, job_id: str, results: list[ItemResult], lease: Lease | None = None) -> None:
        """Items' outcomes, and the job's done and failed counts, in one transaction (with
        ``lease``, only while it holds the job)."""
        failed = sum(1 for r in results if r.failed)
        with self._writing, self.engine.begin() as conn:
            if lease is not None:
                _hold(conn, job_id, lease)
            _update_items(
                conn, ["outcome", "new_task_id", "error"],
                [(r.outcome, r.new_task_id, r.error, job_id, r.seq) for r in results],
            )  # fmt: skip
            conn.execute(
                update(bulk_jobs)
                .where(bulk_jobs.c.job_id == job_id)
                .values(
                    done=bulk_jobs.c.done + len(results) - failed,
                    failed=bulk_jobs.c.failed + failed,
                    updated_at=time.time(),
                )
            )
